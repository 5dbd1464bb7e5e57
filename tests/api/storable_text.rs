//! Text PostgreSQL cannot store: every string argument of the schema, sent
//! with a NUL (U+0000) and with another control character, gets the
//! contract's answer (BAD_USER_INPUT naming the argument where the value
//! can never be valid; the answer a missing value gets where it is a
//! look-up), never INTERNAL_SERVER_ERROR, and changes nothing.

use std::collections::BTreeSet;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::{json, Value};

use crate::common::{assert_no_errors, TestApp, PASSWORD};

/// What a row must answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// BAD_USER_INPUT with `extensions.argument` naming this argument.
    BadInput(&'static str),
    /// BAD_USER_INPUT (a scalar refused by its parser).
    BadScalar,
    /// INVALID_CREDENTIALS.
    InvalidCredentials,
    /// UNAUTHENTICATED (a refresh token of no shape).
    Unauthenticated,
    /// No error, and this field is null.
    Null(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Nobody,
    User,
    Admin,
}

struct Row {
    /// `Type.field(argument)`, as in the schema.
    coordinate: &'static str,
    who: Who,
    /// A document taking the bad text as `$v`.
    document: String,
    /// `$v` is a list of one good and one bad value.
    list: bool,
    expect: Expect,
}

fn row(coordinate: &'static str, who: Who, document: String, expect: Expect) -> Row {
    Row {
        coordinate,
        who,
        document,
        list: false,
        expect,
    }
}

/// Every argument of the committed schema whose type is (a list of)
/// `String`, `ID`, `Date` or `DateTime`, as `Type.field(argument)`.
fn text_arguments() -> BTreeSet<String> {
    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let document = async_graphql::parser::parse_schema(&sdl).unwrap();
    fn named(ty: &Type) -> &str {
        match &ty.base {
            BaseType::Named(name) => name.as_str(),
            BaseType::List(inner) => named(inner),
        }
    }
    let mut found = BTreeSet::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let TypeKind::Object(object) = &ty.node.kind else {
            continue;
        };
        for field in &object.fields {
            for argument in &field.node.arguments {
                let type_name = named(&argument.node.ty.node);
                if matches!(type_name, "String" | "ID" | "Date" | "DateTime") {
                    found.insert(format!(
                        "{}.{}({})",
                        ty.node.name.node, field.node.name.node, argument.node.name.node
                    ));
                }
            }
        }
    }
    found
}

fn rows(user_id: i64) -> Vec<Row> {
    use Expect::*;
    use Who::*;
    let u = user_id;
    let mut rows = vec![
        row("Mutation.register(username)", Nobody,
            format!("mutation($v: String!) {{ register(username: $v, password: \"{PASSWORD}\") {{ token }} }}"),
            BadInput("username")),
        row("Mutation.register(timeZone)", Nobody,
            format!("mutation($v: String!) {{ register(username: \"zoned\", password: \"{PASSWORD}\", timeZone: $v) {{ token }} }}"),
            BadInput("timeZone")),
        row("Mutation.setTimeZone(timeZone)", User,
            "mutation($v: String!) { setTimeZone(timeZone: $v) { id } }".to_owned(),
            BadInput("timeZone")),
        row("Mutation.login(username)", Nobody,
            format!("mutation($v: String!) {{ login(username: $v, password: \"{PASSWORD}\") {{ token }} }}"),
            InvalidCredentials),
        row("Mutation.login(password)", Nobody,
            "mutation($v: String!) { login(username: \"text_user\", password: $v) { token } }".into(),
            InvalidCredentials),
        row("Mutation.changePassword(currentPassword)", User,
            "mutation($v: String!) { changePassword(currentPassword: $v, newPassword: \"another-password\") { token } }".into(),
            InvalidCredentials),
        row("Mutation.spend(idempotencyKey)", User,
            "mutation($v: String!) { spend(amount: 1, idempotencyKey: $v, note: \"ok\") { id } }".into(),
            BadInput("idempotencyKey")),
        row("Mutation.spend(note)", User,
            "mutation($v: String) { spend(amount: 1, idempotencyKey: \"k-note\", note: $v) { id } }".into(),
            BadInput("note")),
        row("Mutation.makeUpSignIn(date)", User,
            "mutation($v: Date!) { makeUpSignIn(date: $v, idempotencyKey: \"k-date\") { record { date } } }".into(),
            BadScalar),
        row("Mutation.makeUpSignIn(idempotencyKey)", User,
            "mutation($v: String!) { makeUpSignIn(date: \"2026-02-28\", idempotencyKey: $v) { record { date } } }".into(),
            BadInput("idempotencyKey")),
        row("Mutation.buyStreakFreeze(idempotencyKey)", User,
            "mutation($v: String!) { buyStreakFreeze(idempotencyKey: $v) { status { freezesHeld } } }".into(),
            BadInput("idempotencyKey")),
        row("Mutation.refreshSession(refreshToken)", Nobody,
            "mutation($v: String) { refreshSession(refreshToken: $v) { token } }".into(),
            Unauthenticated),
        row("Mutation.revokeSession(id)", User,
            "mutation($v: ID!) { revokeSession(id: $v) }".into(),
            BadInput("id")),
        row("Mutation.deleteUser(id)", Admin,
            "mutation($v: ID!) { deleteUser(id: $v) }".into(),
            BadInput("id")),
        row("Mutation.setUserRole(id)", Admin,
            "mutation($v: ID!) { setUserRole(id: $v, role: ADMIN) { id } }".into(),
            BadInput("id")),
        row("Mutation.adjustWallet(userId)", Admin,
            "mutation($v: ID!) { adjustWallet(userId: $v, amount: 5, idempotencyKey: \"k-user\", note: \"ok\") { id } }".into(),
            BadInput("userId")),
        row("Mutation.adjustWallet(idempotencyKey)", Admin,
            format!("mutation($v: String!) {{ adjustWallet(userId: \"{u}\", amount: 5, idempotencyKey: $v, note: \"ok\") {{ id }} }}"),
            BadInput("idempotencyKey")),
        row("Mutation.adjustWallet(note)", Admin,
            format!("mutation($v: String!) {{ adjustWallet(userId: \"{u}\", amount: 5, idempotencyKey: \"k-adjust\", note: $v) {{ id }} }}"),
            BadInput("note")),
        row("Query.user(id)", Admin,
            "query($v: ID!) { user(id: $v) { id } }".into(),
            BadInput("id")),
        row("Query.userByUsername(username)", Admin,
            "query($v: String!) { userByUsername(username: $v) { id } }".into(),
            Null("userByUsername")),
        row("Query.searchUsers(query)", Admin,
            "query($v: String!) { searchUsers(query: $v) { edges { cursor } } }".into(),
            BadInput("query")),
        row("Query.searchUsers(after)", Admin,
            "query($v: String) { searchUsers(query: \"text\", after: $v) { edges { cursor } } }".into(),
            BadInput("after")),
        row("Query.signInHistory(from)", Admin,
            format!("query($v: Date!) {{ signInHistory(userIds: [\"{u}\"], from: $v, to: \"2026-03-01\") {{ days {{ date }} }} }}"),
            BadScalar),
        row("Query.signInHistory(to)", Admin,
            format!("query($v: Date!) {{ signInHistory(userIds: [\"{u}\"], from: \"2026-03-01\", to: $v) {{ days {{ date }} }} }}"),
            BadScalar),
        row("Query.signInStats(from)", Admin,
            "query($v: Date!) { signInStats(from: $v, to: \"2026-03-01\") { date } }".into(),
            BadScalar),
        row("Query.signInStats(to)", Admin,
            "query($v: Date!) { signInStats(from: \"2026-03-01\", to: $v) { date } }".into(),
            BadScalar),
        row("User.signInHistory(from)", User,
            "query($v: Date!) { me { signInHistory(from: $v, to: \"2026-03-01\") { date } } }".into(),
            BadScalar),
        row("User.signInHistory(to)", User,
            "query($v: Date!) { me { signInHistory(from: \"2026-03-01\", to: $v) { date } } }".into(),
            BadScalar),
        row("Mutation.publishRewardSchedule(effectiveFrom)", Admin,
            "mutation($v: Date!) { publishRewardSchedule(rewards: [1, 1, 1, 1, 1, 1, 1], effectiveFrom: $v, note: \"ok\") { id } }".into(),
            BadScalar),
        row("Mutation.publishRewardSchedule(effectiveTo)", Admin,
            "mutation($v: Date) { publishRewardSchedule(rewards: [1, 1, 1, 1, 1, 1, 1], effectiveFrom: \"2026-03-05\", effectiveTo: $v, note: \"ok\") { id } }".into(),
            BadScalar),
        row("Mutation.publishRewardSchedule(note)", Admin,
            "mutation($v: String!) { publishRewardSchedule(rewards: [1, 1, 1, 1, 1, 1, 1], effectiveFrom: \"2026-03-05\", note: $v) { id } }".into(),
            BadInput("note")),
        row("Mutation.cancelRewardSchedule(id)", Admin,
            "mutation($v: ID!) { cancelRewardSchedule(id: $v) { id } }".into(),
            BadInput("id")),
        row("Mutation.createWebhookEndpoint(url)", Admin,
            "mutation($v: String!) { createWebhookEndpoint(url: $v, events: [SIGN_IN_RECORDED]) { secret } }".into(),
            BadInput("url")),
        row("Mutation.createWebhookEndpoint(description)", Admin,
            "mutation($v: String) { createWebhookEndpoint(url: \"https://e.com/h\", events: [SIGN_IN_RECORDED], description: $v) { secret } }".into(),
            BadInput("description")),
        row("Mutation.updateWebhookEndpoint(id)", Admin,
            "mutation($v: ID!) { updateWebhookEndpoint(id: $v, enabled: true) { id } }".into(),
            BadInput("id")),
        row("Mutation.updateWebhookEndpoint(url)", Admin,
            "mutation($v: String) { updateWebhookEndpoint(id: \"1\", url: $v) { id } }".into(),
            BadInput("url")),
        row("Mutation.updateWebhookEndpoint(description)", Admin,
            "mutation($v: String) { updateWebhookEndpoint(id: \"1\", description: $v) { id } }".into(),
            BadInput("description")),
        row("Mutation.rotateWebhookSecret(id)", Admin,
            "mutation($v: ID!) { rotateWebhookSecret(id: $v) { secret } }".into(),
            BadInput("id")),
        row("Mutation.deleteWebhookEndpoint(id)", Admin,
            "mutation($v: ID!) { deleteWebhookEndpoint(id: $v) }".into(),
            BadInput("id")),
        row("Mutation.replayWebhookDelivery(id)", Admin,
            "mutation($v: ID!) { replayWebhookDelivery(id: $v) { id } }".into(),
            BadInput("id")),
        row("Query.webhookDeliveries(endpointId)", Admin,
            "query($v: ID!) { webhookDeliveries(endpointId: $v) { edges { cursor } } }".into(),
            BadInput("endpointId")),
        row("Query.webhookDeliveries(after)", Admin,
            "query($v: String) { webhookDeliveries(endpointId: \"1\", after: $v) { edges { cursor } } }".into(),
            BadInput("after")),
        row("Query.adminAuditLog(after)", Admin,
            "query($v: String) { adminAuditLog(after: $v) { edges { cursor } } }".into(),
            BadInput("after")),
        row("Query.adminAuditLog(actorId)", Admin,
            "query($v: ID) { adminAuditLog(actorId: $v) { edges { cursor } } }".into(),
            BadInput("actorId")),
        row("Query.adminAuditLog(targetUserId)", Admin,
            "query($v: ID) { adminAuditLog(targetUserId: $v) { edges { cursor } } }".into(),
            BadInput("targetUserId")),
        row("Wallet.transactions(after)", User,
            "query($v: String) { me { wallet { transactions(after: $v) { edges { cursor } } } } }".into(),
            BadInput("after")),
    ];
    let list = |coordinate, document: &str, argument| Row {
        coordinate,
        who: Admin,
        document: document.to_owned(),
        list: true,
        expect: BadInput(argument),
    };
    rows.push(list(
        "Query.users(ids)",
        "query($v: [ID!]!) { users(ids: $v) { id } }",
        "ids",
    ));
    rows.push(list(
        "Query.signInHistory(userIds)",
        "query($v: [ID!]!) { signInHistory(userIds: $v, from: \"2026-03-01\", to: \"2026-03-01\") { days { date } } }",
        "userIds",
    ));
    rows
}

/// Every count that would change if a row changed something.
async fn state_of(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT count(*) FROM users",
        "SELECT count(*) FROM users WHERE role = 'ADMIN'",
        "SELECT count(*) FROM users WHERE deleted_at IS NOT NULL",
        "SELECT coalesce(sum(token_version), 0) FROM users",
        "SELECT count(*) FROM wallet_transactions",
        "SELECT coalesce(sum(balance), 0) FROM wallets",
        "SELECT count(*) FROM sign_ins",
        "SELECT count(*) FROM reward_schedules WHERE created_by IS NOT NULL",
    ] {
        counts.push(app.scalar_i64(sql).await);
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_string_argument_refuses_nul_and_control_characters_cleanly() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("text_admin").await;
    let (user, user_id) = app.register("text_user").await;
    // Enough points that a spend would go through if its text were taken.
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($u: ID!) { adjustWallet(userId: $u, amount: 100, idempotencyKey: \"fund\", note: \"fund\") { id } }",
            json!({ "u": user_id.to_string() }),
        )
        .await,
    );
    let rows = rows(user_id);

    // The table covers every text argument of the schema.
    let covered: BTreeSet<String> = rows.iter().map(|r| r.coordinate.to_owned()).collect();
    let mut expected = text_arguments();
    // Passwords reach only Argon2 (which takes any bytes), never storage:
    // any text is a password (see the next test).
    for accepted in [
        "Mutation.register(password)",
        "Mutation.changePassword(newPassword)",
    ] {
        assert!(expected.remove(accepted), "{accepted} is not in the schema");
    }
    assert_eq!(covered, expected, "every text argument has a row");

    let before = state_of(&app).await;
    for bad in ["\u{0}", "\u{1b}"] {
        for row in &rows {
            let token = match row.who {
                Who::Nobody => None,
                Who::User => Some(user.as_str()),
                Who::Admin => Some(admin.as_str()),
            };
            // The bad character in the middle of otherwise valid text.
            let text = format!("text{bad}user");
            let value = if row.list {
                json!([user_id.to_string(), text])
            } else {
                json!(text)
            };
            let r = app.exec(token, &row.document, json!({ "v": value })).await;
            let context = format!("{} with {bad:?}: {r}", row.coordinate);
            let codes: Vec<&str> = r["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e["extensions"]["code"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            assert!(!codes.contains(&"INTERNAL_SERVER_ERROR"), "{context}");
            match row.expect {
                Expect::BadInput(argument) => {
                    assert_eq!(codes, ["BAD_USER_INPUT"], "{context}");
                    assert_eq!(
                        r["errors"][0]["extensions"]["argument"], argument,
                        "{context}"
                    );
                }
                Expect::BadScalar => assert_eq!(codes, ["BAD_USER_INPUT"], "{context}"),
                Expect::InvalidCredentials => {
                    assert_eq!(codes, ["INVALID_CREDENTIALS"], "{context}")
                }
                Expect::Unauthenticated => {
                    assert_eq!(codes, ["UNAUTHENTICATED"], "{context}")
                }
                Expect::Null(field) => {
                    assert!(codes.is_empty(), "{context}");
                    assert_eq!(r["data"][field], Value::Null, "{context}");
                }
            }
        }
    }
    assert_eq!(
        state_of(&app).await,
        before,
        "a refused request changed something"
    );
    // The messages say what is wrong.
    let r = app
        .exec(
            Some(&user),
            "mutation { spend(amount: 1, idempotencyKey: \"k\", note: \"a\\u0000b\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["message"],
        "note: the note must not contain the NUL character (U+0000)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_keep_line_breaks_and_passwords_may_hold_any_character() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("text_admin2").await;
    let (_, user_id) = app.register("text_user2").await;
    let r = app
        .exec(
            Some(&admin),
            "mutation($u: ID!, $n: String!) { adjustWallet(userId: $u, amount: 7, idempotencyKey: \"multi\", note: $n) { note } }",
            json!({ "u": user_id.to_string(), "n": "line one\nline two\ttabbed\r\n" }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["adjustWallet"]["note"],
        "line one\nline two\ttabbed\r\n"
    );

    // A password with NUL and other control characters is a password like
    // any other: it never reaches the database, only Argon2.
    let odd = "pass\u{0}word\u{1b}\u{7f}";
    let r = app
        .exec(
            None,
            "mutation($p: String!) { register(username: \"odd_pass\", password: $p) { token } }",
            json!({ "p": odd }),
        )
        .await;
    assert_no_errors(&r);
    let token = r["data"]["register"]["token"].as_str().unwrap().to_owned();
    assert_no_errors(&app.login("odd_pass", odd).await);
    assert_eq!(
        app.login("odd_pass", "password").await["errors"][0]["extensions"]["code"],
        "INVALID_CREDENTIALS"
    );
    let newer = "new\u{0}pass\u{0}word";
    let r = app
        .exec(
            Some(&token),
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
            json!({ "c": odd, "n": newer }),
        )
        .await;
    assert_no_errors(&r);
    assert_no_errors(&app.login("odd_pass", newer).await);
}
