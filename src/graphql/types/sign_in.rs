use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{
    ContextSelectionSet, Name, Object, OutputType, Positioned, ScalarType, ServerResult,
    SimpleObject, Value, ID,
};
use chrono::NaiveDate;
use std::borrow::Cow;

use super::scalars::{graphql_int, Date, DateTime};
use super::wallet::WalletTransaction;
use crate::domain::streak::status;
use crate::model::HistoryRow;
use crate::model::SignIn;
use crate::state::AppState;

/// What a user sees of their sign-ins today.
pub struct SignInStatus(pub status::SignInStatus);

impl SignInStatus {
    /// The status of a user with no sign-ins and nothing held (rewards from
    /// the schedules in force on each date): the same as the service's for
    /// a user without a wallet.
    pub async fn empty(state: &AppState) -> Result<Self, crate::service::ServiceError> {
        Ok(SignInStatus(
            crate::service::sign_in::empty_status(state).await?,
        ))
    }
}

#[Object]
impl SignInStatus {
    async fn today(&self) -> Date {
        Date(self.0.today)
    }

    async fn signed_in_today(&self) -> bool {
        self.0.signed_in_today
    }

    /// Consecutive days up to today (if signed today) or yesterday; 0 when neither. Made-up dates count; frozen dates keep the run without adding to it.
    async fn streak(&self) -> i32 {
        graphql_int(self.0.streak)
    }

    /// 1..7: today's cycle day if signed today, else the cycle day a sign-in now would get.
    async fn cycle_day(&self) -> i32 {
        i32::from(self.0.cycle_day)
    }

    /// The reward today's sign-in earned, or would earn.
    async fn today_reward(&self) -> i32 {
        graphql_int(self.0.today_reward)
    }

    /// Streak freezes held now, 0..SIGNIN_MAX_FREEZES.
    async fn freezes_held(&self) -> i32 {
        i32::from(self.0.freezes_held)
    }

    /// Missed dates the make-up date rules allow now, oldest first (points and the monthly count aside).
    async fn make_up_dates(&self) -> Vec<Date> {
        self.0.make_up_dates.iter().copied().map(Date).collect()
    }

    /// Make-up sign-ins still allowed in the current calendar month.
    async fn make_ups_left(&self) -> i32 {
        graphql_int(self.0.make_ups_left)
    }

    /// The next milestone above the current streak, or null when none is left.
    async fn next_milestone(&self) -> Option<Milestone> {
        self.0.next_milestone.map(|m| Milestone {
            streak: graphql_int(m.streak),
            bonus: graphql_int(m.bonus),
        })
    }

    /// Points a make-up sign-in costs (SIGNIN_MAKEUP_COST). Not in the contract: for the check-in page.
    async fn make_up_cost(&self) -> i32 {
        graphql_int(self.0.make_up_cost)
    }

    /// Points a streak freeze costs (SIGNIN_FREEZE_COST). Not in the contract: for the check-in page.
    async fn freeze_cost(&self) -> i32 {
        graphql_int(self.0.freeze_cost)
    }

    /// Freezes a user may hold at once (SIGNIN_MAX_FREEZES). Not in the contract: for the check-in page.
    async fn max_freezes(&self) -> i32 {
        i32::from(self.0.max_freezes)
    }

    /// The IANA time zone `today` is counted in (the user's). Not in the contract: for the check-in page.
    async fn time_zone(&self) -> &str {
        self.0.time_zone.map_or("UTC", |zone| zone.name())
    }

    /// When `today` ends: the next date's start in the user's zone. Not in the contract: for the check-in page.
    async fn day_ends_at(&self) -> DateTime {
        let zone = self.0.time_zone.unwrap_or(chrono_tz::Tz::UTC);
        DateTime(crate::domain::streak::day::end_of(self.0.today, zone))
    }

    /// The seven days of the current cycle, day 1 first.
    #[graphql(complexity = "crate::graphql::complexity::list(7, child_complexity)")]
    async fn cycle(&self) -> Vec<CycleDay> {
        self.0
            .cycle
            .iter()
            .map(|c| CycleDay {
                day: i32::from(c.day),
                date: Date(c.date),
                reward: graphql_int(c.reward),
                signed_in: c.signed_in,
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct Milestone {
    /// The streak length that earns the bonus.
    pub streak: i32,
    pub bonus: i32,
}

#[derive(SimpleObject)]
pub struct CycleDay {
    pub day: i32,
    pub date: Date,
    pub reward: i32,
    pub signed_in: bool,
}

#[derive(SimpleObject)]
pub struct SignInDay {
    pub date: Date,
    pub signed_in: bool,
    pub cycle_day: Option<i32>,
    pub streak: Option<i32>,
    pub reward: Option<i32>,
    /// True when the date was filled by makeUpSignIn (it earned no reward).
    pub made_up: bool,
    /// True when a streak freeze covered this missed date (signedIn is false).
    pub frozen: bool,
}

/// A user's history, `[SignInDay!]!` in the schema.
///
/// An admin's history answer holds tens of thousands of these small objects
/// (1000 users x 31 days), and async-graphql resolves each object's each
/// field as its own future. When the selection is plain fields (no
/// fragments, no directives: what clients send), the answer is built
/// directly as the value tree async-graphql would produce, in selection
/// order; anything else takes async-graphql's own path.
pub struct SignInDays(Vec<SignInDay>);

impl OutputType for SignInDays {
    fn type_name() -> Cow<'static, str> {
        <Vec<SignInDay> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<SignInDay> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<SignInDay> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let days = &self.0;
        match DayTemplate::of(field) {
            Some(template) => Ok(template.list(days)),
            None => resolve_list(ctx, field, days, Some(days.len())).await,
        }
    }
}

#[derive(Clone, Copy)]
enum DayField {
    Date,
    SignedIn,
    CycleDay,
    Streak,
    Reward,
    MadeUp,
    Frozen,
    TypeName,
}

/// The answer object for a selection made only of plain `SignInDay`
/// fields, keys in selection order: each day's object is a copy with the
/// values filled in (copying the key index is cheaper than hashing the
/// keys again for every day).
struct DayTemplate {
    object: IndexMap<Name, Value>,
    /// The field that fills each entry of `object`, in order (a field
    /// selected twice under one key fills one entry).
    fields: Vec<DayField>,
}

impl DayTemplate {
    /// None when the selection holds anything else (fragments, directives).
    fn of(field: &Positioned<Field>) -> Option<DayTemplate> {
        let mut object = IndexMap::new();
        let mut fields = Vec::new();
        for item in &field.node.selection_set.node.items {
            let Selection::Field(f) = &item.node else {
                return None;
            };
            if !f.node.directives.is_empty() {
                return None;
            }
            let which = match f.node.name.node.as_str() {
                "date" => DayField::Date,
                "signedIn" => DayField::SignedIn,
                "cycleDay" => DayField::CycleDay,
                "streak" => DayField::Streak,
                "reward" => DayField::Reward,
                "madeUp" => DayField::MadeUp,
                "frozen" => DayField::Frozen,
                "__typename" => DayField::TypeName,
                _ => return None,
            };
            let (index, _) = object.insert_full(f.node.response_key().node.clone(), Value::Null);
            match fields.get_mut(index) {
                Some(entry) => *entry = which,
                None => fields.push(which),
            }
        }
        Some(DayTemplate { object, fields })
    }

    /// The answer for a list of days as a value tree, as async-graphql
    /// would build it.
    fn list(&self, days: &[SignInDay]) -> Value {
        Value::List(days.iter().map(|day| self.fill(day)).collect())
    }

    fn fill(&self, day: &SignInDay) -> Value {
        let optional = |n: Option<i32>| n.map_or(Value::Null, Value::from);
        let mut object = self.object.clone();
        for (slot, which) in object.values_mut().zip(&self.fields) {
            *slot = match which {
                DayField::Date => day.date.to_value(),
                DayField::SignedIn => Value::Boolean(day.signed_in),
                DayField::CycleDay => optional(day.cycle_day),
                DayField::Streak => optional(day.streak),
                DayField::Reward => optional(day.reward),
                DayField::MadeUp => Value::Boolean(day.made_up),
                DayField::Frozen => Value::Boolean(day.frozen),
                DayField::TypeName => Value::String("SignInDay".to_owned()),
            };
        }
        Value::Object(object)
    }
}

/// One entry per date from `from` to `to`, oldest first, from the user's
/// sign-in rows in that range.
pub fn history_days(rows: &[HistoryRow], from: NaiveDate, to: NaiveDate) -> SignInDays {
    let mut rows = rows.iter().peekable();
    let days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            while rows.peek().is_some_and(|r| r.day < date) {
                rows.next();
            }
            match rows.peek().filter(|r| r.day == date) {
                Some(r) if !r.frozen => SignInDay {
                    date: Date(date),
                    signed_in: true,
                    cycle_day: Some(i32::from(r.cycle_day)),
                    streak: Some(r.streak),
                    reward: Some(graphql_int(r.reward)),
                    made_up: r.made_up,
                    frozen: false,
                },
                frozen => SignInDay {
                    date: Date(date),
                    signed_in: false,
                    cycle_day: None,
                    streak: None,
                    reward: None,
                    made_up: false,
                    frozen: frozen.is_some(),
                },
            }
        })
        .collect();
    SignInDays(days)
}

pub struct SignInRecord(pub SignIn);

#[Object]
impl SignInRecord {
    async fn date(&self) -> Date {
        Date(self.0.day)
    }

    async fn cycle_day(&self) -> i32 {
        i32::from(self.0.cycle_day)
    }

    async fn streak(&self) -> i32 {
        self.0.streak
    }

    async fn reward(&self) -> i32 {
        graphql_int(self.0.reward)
    }

    /// False until the background job has written the reward into the wallet.
    async fn reward_credited(&self) -> bool {
        self.0.credited_at.is_some()
    }

    /// The schedule that set this sign-in's reward.
    async fn schedule_id(&self) -> ID {
        ID(self.0.schedule_id.to_string())
    }

    /// True when the date was filled by makeUpSignIn.
    async fn made_up(&self) -> bool {
        self.0.made_up
    }

    /// The milestone bonus this sign-in earned (SIGNIN_MILESTONES), or null.
    async fn milestone_bonus(&self) -> Option<i32> {
        self.0.milestone_bonus.map(graphql_int)
    }
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    pub record: SignInRecord,
    pub status: SignInStatus,
}

#[derive(SimpleObject)]
pub struct DailySignInStats {
    pub date: Date,
    /// Users who signed in on that date.
    pub signed_in: i32,
    /// Seven counts: sign-ins on that date at cycle day 1..7.
    pub by_cycle_day: Vec<i32>,
    pub reward_total: i32,
    /// Dates filled by makeUpSignIn that fall on that date.
    pub make_ups: i32,
    /// Users whose missed day on that date a streak freeze covered.
    pub frozen: i32,
    /// Milestone bonuses earned by that date's sign-ins.
    pub milestone_bonus_total: i32,
}

#[derive(SimpleObject)]
pub struct StreakFreezePayload {
    pub transaction: WalletTransaction,
    pub status: SignInStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::types::DocumentOperations;

    /// The `days` field of `{ days { <selection> } }`.
    fn days_field(selection: &str) -> Positioned<Field> {
        let document = async_graphql::parser::parse_query(format!("{{ days {{ {selection} }} }}"))
            .expect("the test's query parses");
        let DocumentOperations::Single(operation) = document.operations else {
            panic!("one operation");
        };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else {
            panic!("a field");
        };
        field.clone()
    }

    fn day(
        (y, m, d): (i32, u32, u32),
        sign_in: Option<(i32, i32, i32)>,
        made_up: bool,
        frozen: bool,
    ) -> SignInDay {
        let date = NaiveDate::from_ymd_opt(y, m, d).expect("a test date");
        SignInDay {
            date: Date(date),
            signed_in: sign_in.is_some(),
            cycle_day: sign_in.map(|s| s.0),
            streak: sign_in.map(|s| s.1),
            reward: sign_in.map(|s| s.2),
            made_up,
            frozen,
        }
    }

    #[test]
    fn a_template_answers_each_day_with_the_selection_keys_in_order() {
        let days = [
            day((2026, 1, 31), None, false, false),
            day((2026, 2, 1), Some((1, 1, 10)), false, false),
            day((2026, 2, 2), None, false, true),
            day((2026, 2, 3), Some((2, 2, 0)), true, false),
        ];
        let cases = [
            (
                "date signedIn cycleDay streak reward madeUp frozen",
                serde_json::json!({"date": "2026-02-01", "signedIn": true, "cycleDay": 1,
                    "streak": 1, "reward": 10, "madeUp": false, "frozen": false}),
            ),
            (
                "d: date __typename signedIn date streak s2: streak",
                serde_json::json!({"d": "2026-02-01", "__typename": "SignInDay",
                    "signedIn": true, "date": "2026-02-01", "streak": 1, "s2": 1}),
            ),
            (
                "reward: streak streak: reward",
                serde_json::json!({"reward": 1, "streak": 10}),
            ),
        ];
        for (selection, second_day) in cases {
            let field = days_field(selection);
            let Some(template) = DayTemplate::of(&field) else {
                panic!("{selection}: plain fields have a template");
            };
            let tree = template.list(&days).into_json().expect("a tree is JSON");
            assert_eq!(
                tree.as_array().map(Vec::len),
                Some(days.len()),
                "{selection}"
            );
            assert_eq!(tree[1], second_day, "{selection}");
            let keys: Vec<&String> = tree[1].as_object().expect("an object").keys().collect();
            let expected: Vec<&String> =
                second_day.as_object().expect("an object").keys().collect();
            assert_eq!(keys, expected, "{selection}: keys in selection order");
        }
    }

    #[test]
    fn selections_with_fragments_or_directives_have_no_template() {
        for selection in [
            "... on SignInDay { date }",
            "...F",
            "date @include(if: true)",
            "date unknown",
        ] {
            assert!(
                DayTemplate::of(&days_field(selection)).is_none(),
                "{selection}"
            );
        }
    }
}
