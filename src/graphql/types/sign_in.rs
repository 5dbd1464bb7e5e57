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
use std::sync::Mutex;

use super::scalars::{graphql_int, Date};
use super::wallet::WalletTransaction;
use crate::domain::cycle;
use crate::model::SignIn;
use crate::service::ServiceError;
use crate::state::AppState;
use crate::store::sign_ins::HistoryRow;

/// What a user sees of their sign-ins today.
pub struct SignInStatus(pub cycle::SignInStatus);

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

    /// The seven days of the current cycle, day 1 first.
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
/// fragments, no directives: what clients send), the values are built
/// directly, in selection order, which is what async-graphql would produce;
/// anything else takes async-graphql's own path.
pub struct SignInDays {
    days: Vec<SignInDay>,
    /// The answer already built for one `days` selection (see
    /// [`build_at_once`]): the selection's address, and the value, taken
    /// when that selection is resolved.
    built: Option<(usize, Mutex<Option<Value>>)>,
}

impl SignInDays {
    pub fn new(days: Vec<SignInDay>) -> Self {
        SignInDays { days, built: None }
    }

    /// The answer built for `field`, if it was.
    fn take_built(&self, field: &Positioned<Field>) -> Option<Value> {
        let (address, value) = self.built.as_ref()?;
        if *address != std::ptr::from_ref(field) as usize {
            return None;
        }
        value.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Day objects from which [`build_at_once`] builds on two threads.
const BUILD_AT_ONCE_FROM: usize = 2_000;

/// Builds the answers of the `days` lists of many users (an admin's history)
/// for their one `days` selection `field`, half of them on a blocking thread
/// while this one builds the rest: ~3,100 day objects (100 users, a month)
/// are most of such a request's CPU, and on a lone request the other core
/// is idle. Does nothing for fewer than [`BUILD_AT_ONCE_FROM`] day objects,
/// for a selection the plain path cannot answer (the lists then resolve as
/// usual), or when `spare_core` is false (under load it would only add a
/// hand-over).
pub async fn build_at_once(
    lists: &mut [&mut SignInDays],
    field: &Positioned<Field>,
    spare_core: bool,
) -> Result<(), ServiceError> {
    let total: usize = lists.iter().map(|l| l.days.len()).sum();
    if !spare_core || total < BUILD_AT_ONCE_FROM {
        return Ok(());
    }
    let Some(template) = DayTemplate::of(field) else {
        return Ok(());
    };
    let template = std::sync::Arc::new(template);
    let address = std::ptr::from_ref(field) as usize;
    let (first, second) = lists.split_at_mut(lists.len() / 2);
    let moved: Vec<Vec<SignInDay>> = second
        .iter_mut()
        .map(|l| std::mem::take(&mut l.days))
        .collect();
    let other = template.clone();
    let elsewhere = tokio::task::spawn_blocking(move || {
        let values: Vec<Value> = moved.iter().map(|days| other.list(days)).collect();
        (moved, values)
    });
    for list in first.iter_mut() {
        let value = template.list(&list.days);
        list.built = Some((address, Mutex::new(Some(value))));
    }
    // A panic there took its lists' days with it: the request fails rather
    // than answer them empty.
    let (moved, values) = elsewhere.await.map_err(ServiceError::internal)?;
    for ((list, days), value) in second.iter_mut().zip(moved).zip(values) {
        list.days = days;
        list.built = Some((address, Mutex::new(Some(value))));
    }
    Ok(())
}

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
        if let Some(value) = self.take_built(field) {
            return Ok(value);
        }
        match DayTemplate::of(field) {
            Some(template) => Ok(template.list(&self.days)),
            None => resolve_list(ctx, field, &self.days, Some(self.days.len())).await,
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
    /// Each selected field and its key's position in `object` (a field
    /// selected twice under one key fills one entry).
    fields: Vec<(usize, DayField)>,
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
            fields.push((index, which));
        }
        Some(DayTemplate { object, fields })
    }

    /// The answer for a list of days.
    fn list(&self, days: &[SignInDay]) -> Value {
        Value::List(days.iter().map(|day| self.fill(day)).collect())
    }

    fn fill(&self, day: &SignInDay) -> Value {
        let optional = |n: Option<i32>| n.map_or(Value::Null, Value::from);
        let mut object = self.object.clone();
        for &(index, which) in &self.fields {
            let value = match which {
                DayField::Date => day.date.to_value(),
                DayField::SignedIn => Value::Boolean(day.signed_in),
                DayField::CycleDay => optional(day.cycle_day),
                DayField::Streak => optional(day.streak),
                DayField::Reward => optional(day.reward),
                DayField::MadeUp => Value::Boolean(day.made_up),
                DayField::Frozen => Value::Boolean(day.frozen),
                DayField::TypeName => Value::String("SignInDay".to_owned()),
            };
            if let Some((_, slot)) = object.get_index_mut(index) {
                *slot = value;
            }
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
    SignInDays::new(days)
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
