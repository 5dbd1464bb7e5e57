//! The admin surface: the role guard, look-ups, search, history, stats, and
//! what admins do to users.

use std::collections::BTreeSet;
use std::time::Duration;

use async_graphql_parser::types::{
    BaseType, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use serde_json::{json, Value};
use signin_rewards::model::UserId;
use signin_rewards::state::ReadSource;

use crate::common::{assert_no_errors, error_code, post_graphql_with, TestApp};

/// Every field of Query and Mutation documented "Admin only", with a
/// runnable operation for it built from its arguments' types.
fn admin_operations() -> Vec<(String, String)> {
    let sdl = signin_rewards::graphql::sdl();
    let doc: ServiceDocument = async_graphql_parser::parse_schema(&sdl).unwrap();
    let mut objects = BTreeSet::new();
    let mut roots = Vec::new();
    for def in &doc.definitions {
        if let TypeSystemDefinition::Type(t) = def {
            if let TypeKind::Object(o) = &t.node.kind {
                objects.insert(t.node.name.node.to_string());
                if matches!(t.node.name.node.as_str(), "Query" | "Mutation") {
                    roots.push((t.node.name.node.to_string(), o.fields.clone()));
                }
            }
        }
    }
    fn base_name(ty: &Type) -> String {
        match &ty.base {
            BaseType::Named(n) => n.to_string(),
            BaseType::List(inner) => base_name(inner),
        }
    }
    fn sample(ty: &Type) -> String {
        match &ty.base {
            BaseType::List(inner) => format!("[{}]", sample(inner)),
            BaseType::Named(n) => match n.as_str() {
                "ID" => "\"999999\"".into(),
                "Date" => "\"2026-03-01\"".into(),
                "String" => "\"x\"".into(),
                "Int" => "1".into(),
                "Boolean" => "true".into(),
                "Role" => "USER".into(),
                "WebhookEventType" => "SIGN_IN_RECORDED".into(),
                "WebhookDeliveryStatus" => "PENDING".into(),
                other => panic!("no sample value for {other}: extend the guard test"),
            },
        }
    }
    let mut operations = Vec::new();
    for (root, fields) in roots {
        for field in fields {
            let field = field.node;
            let admin_only = field
                .description
                .as_ref()
                .is_some_and(|d| d.node.starts_with("Admin only"));
            if !admin_only {
                continue;
            }
            let args: Vec<String> = field
                .arguments
                .iter()
                .filter(|a| !a.node.ty.node.nullable)
                .map(|a| format!("{}: {}", a.node.name.node, sample(&a.node.ty.node)))
                .collect();
            let args = if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            };
            let selection = if objects.contains(&base_name(&field.ty.node)) {
                " { __typename }"
            } else {
                ""
            };
            let keyword = if root == "Query" { "query" } else { "mutation" };
            operations.push((
                format!("{root}.{}", field.name.node),
                format!("{keyword} {{ {}{args}{selection} }}", field.name.node),
            ));
        }
    }
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_field_is_guarded() {
    let app = TestApp::new().await;
    let (user, _) = app.register("plain_user").await;
    let (admin, _) = app.admin("the_admin").await;
    let operations = admin_operations();
    assert!(operations.len() >= 9, "found only {operations:?}");
    for (name, operation) in &operations {
        let anonymous = app.exec(None, operation, json!({})).await;
        assert_eq!(
            error_code(&anonymous),
            "UNAUTHENTICATED",
            "{name} without a token: {anonymous}"
        );
        let forbidden = app.exec(Some(&user), operation, json!({})).await;
        assert_eq!(
            error_code(&forbidden),
            "FORBIDDEN",
            "{name} as a user: {forbidden}"
        );
        let as_admin = app.exec(Some(&admin), operation, json!({})).await;
        if let Some(errors) = as_admin.get("errors") {
            let code = errors[0]["extensions"]["code"].as_str().unwrap_or_default();
            assert!(
                !matches!(code, "FORBIDDEN" | "UNAUTHENTICATED"),
                "{name} as admin: {as_admin}"
            );
        }
    }
    // Nothing changed for the refused calls: still two users, no money moved.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE deleted_at IS NULL")
            .await,
        2
    );
}

const USER_FIELDS: &str = "id username role";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_ups_keep_order_and_hide_deleted_users() {
    let app = TestApp::new().await;
    let (admin, admin_id) = app.admin("root").await;
    let ids = app.seed_users("Person", 3).await;
    app.sql(&format!(
        "UPDATE users SET deleted_at = now() WHERE id = {}",
        ids[1]
    ))
    .await;

    let q = format!("query($ids: [ID!]!) {{ users(ids: $ids) {{ {USER_FIELDS} }} }}");
    let asked = json!([
        ids[2].to_string(),
        "999999",
        ids[0].to_string(),
        ids[1].to_string(),
        ids[2].to_string()
    ]);
    let r = app.exec(Some(&admin), &q, json!({ "ids": asked })).await;
    assert_no_errors(&r);
    let names: Vec<Value> = r["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("Person3"),
            Value::Null,
            json!("Person1"),
            Value::Null,
            json!("Person3")
        ]
    );

    let too_many: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
    let r = app.exec(Some(&admin), &q, json!({ "ids": too_many })).await;
    assert_eq!(
        (
            error_code(&r),
            r["errors"][0]["extensions"]["argument"].as_str()
        ),
        ("BAD_USER_INPUT", Some("ids"))
    );
    let r = app
        .exec(Some(&admin), &q, json!({ "ids": ["12", "abc"] }))
        .await;
    assert_eq!(
        (
            error_code(&r),
            r["errors"][0]["extensions"]["argument"].as_str()
        ),
        ("BAD_USER_INPUT", Some("ids"))
    );

    let one = |id: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                "query($id: ID!) { user(id: $id) { username role } }",
                json!({ "id": id }),
            )
            .await
        }
    };
    assert_eq!(
        one(ids[0].to_string()).await["data"]["user"]["username"],
        "Person1"
    );
    assert!(
        one(ids[1].to_string()).await["data"]["user"].is_null(),
        "deleted"
    );
    assert!(
        one("424242".into()).await["data"]["user"].is_null(),
        "unknown"
    );
    assert_eq!(
        one(admin_id.to_string()).await["data"]["user"]["role"],
        "ADMIN"
    );
    assert_eq!(error_code(&one("not-an-id".into()).await), "BAD_USER_INPUT");

    let by_name = |name: &str| {
        let (admin, name) = (admin.clone(), name.to_owned());
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                "query($n: String!) { userByUsername(username: $n) { id } }",
                json!({ "n": name }),
            )
            .await
        }
    };
    assert_eq!(
        by_name("pErSoN3").await["data"]["userByUsername"]["id"],
        ids[2].to_string()
    );
    assert!(
        by_name("Person2").await["data"]["userByUsername"].is_null(),
        "deleted"
    );
    assert!(
        by_name("Person").await["data"]["userByUsername"].is_null(),
        "exact match only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_a_case_insensitive_substring_match_with_pages() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids = app.seed_users("Gamer_", 25).await;
    app.seed_users("other", 3).await;
    app.sql(&format!(
        "UPDATE users SET deleted_at = now() WHERE id = {}",
        ids[0]
    ))
    .await;
    let search = |query: &str, first: i64, after: Option<String>| {
        let (admin, query) = (admin.clone(), query.to_owned());
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                "query($q: String!, $f: Int, $a: String) { searchUsers(query: $q, first: $f, after: $a) { edges { cursor node { username } } pageInfo { hasNextPage endCursor } } }",
                json!({ "q": query, "f": first, "a": after }),
            )
            .await
        }
    };
    let names = |r: &Value| -> Vec<String> {
        r["data"]["searchUsers"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let page1 = search("MER_", 10, None).await;
    assert_no_errors(&page1);
    assert_eq!(
        names(&page1),
        (2..=11).map(|i| format!("Gamer_{i}")).collect::<Vec<_>>(),
        "deleted Gamer_1 left out"
    );
    assert_eq!(
        page1["data"]["searchUsers"]["pageInfo"]["hasNextPage"],
        true
    );
    let mut all = names(&page1);
    let mut after = page1["data"]["searchUsers"]["pageInfo"]["endCursor"]
        .as_str()
        .map(String::from);
    while let Some(cursor) = after {
        let page = search("mer_", 10, Some(cursor)).await;
        all.extend(names(&page));
        let info = &page["data"]["searchUsers"]["pageInfo"];
        after = if info["hasNextPage"] == true {
            info["endCursor"].as_str().map(String::from)
        } else {
            None
        };
    }
    assert_eq!(all.len(), 24);
    assert_eq!(
        names(&search("THER", 20, None).await),
        vec!["other1", "other2", "other3"]
    );
    assert!(
        names(&search("%", 20, None).await).is_empty(),
        "LIKE wildcards are matched literally"
    );
    assert_eq!(
        names(&search("_2", 20, None).await).len(),
        7,
        "Gamer_2, Gamer_20..25"
    );
    for bad in ["", "   "] {
        let r = search(bad, 20, None).await;
        assert_eq!(
            (
                error_code(&r),
                r["errors"][0]["extensions"]["argument"].as_str()
            ),
            ("BAD_USER_INPUT", Some("query"))
        );
    }
}

async fn history_fixture(app: &TestApp, users: usize) -> Vec<i64> {
    let ids = app.seed_users("hist", users).await;
    // Every user signed in on 2026-02-01..03 (days 1..3) and on 02-05 (day 1 again).
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
         SELECT u, d::date, c, c, r, now(), {schedule} FROM unnest(ARRAY[{}]::BIGINT[]) u, \
         (VALUES ('2026-02-01', 1, 10), ('2026-02-02', 2, 10), ('2026-02-03', 3, 20), ('2026-02-05', 1, 10)) v(d, c, r)",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    ))
    .await;
    ids
}

/// An admin's look at users reads their rows through the cache that token
/// checks read (a 100-user history read 100 rows from PostgreSQL on every
/// request): the second look reads no row, and a deletion (a role change
/// likewise) is seen by the next look at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looks_at_users_read_through_the_cache_and_see_changes_at_once() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids = history_fixture(&app, 3).await;
    let asked: Vec<String> = ids.iter().map(i64::to_string).collect();
    let look = || async {
        let r = app
            .exec(
                Some(&admin),
                "query($ids: [ID!]!) { users(ids: $ids) { username role } \
                 signInHistory(userIds: $ids, from: \"2026-02-01\", to: \"2026-02-03\") { user { id } } }",
                json!({ "ids": asked }),
            )
            .await;
        assert_no_errors(&r);
        r
    };
    let users_read = |records: &[signin_rewards::store::instrument::StatementRecord]| {
        records
            .iter()
            .filter(|r| r.sql.contains("FROM \"users\""))
            .count()
    };
    look().await;
    // The first look's rows go to Redis after it has answered (the reads'
    // stores are not waited for); without this process's copies (used
    // only while its event subscription is up) the second look reads them
    // there.
    app.state.cache.stores_settled().await;
    app.state.statements.start_recording();
    let r = look().await;
    assert_eq!(users_read(&app.state.statements.take_records()), 0);
    assert_eq!(r["data"]["users"][1]["role"], "USER");
    assert_eq!(r["data"]["signInHistory"].as_array().unwrap().len(), 3);

    let change = |query: &'static str| {
        let (admin, id) = (&admin, asked[1].clone());
        let app = &app;
        async move {
            let r = app.exec(Some(admin), query, json!({ "id": id })).await;
            assert_no_errors(&r);
        }
    };
    change("mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }").await;
    assert_eq!(look().await["data"]["users"][1]["role"], "ADMIN");
    change("mutation($id: ID!) { deleteUser(id: $id) }").await;
    let r = look().await;
    assert_eq!(r["data"]["users"][1], Value::Null);
    let seen: Vec<&str> = r["data"]["signInHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, [asked[0].as_str(), asked[2].as_str()]);
}

const HISTORY: &str = "query($ids: [ID!]!, $from: Date!, $to: Date!) { signInHistory(userIds: $ids, from: $from, to: $to) { user { id username wallet { balance } signInStatus { streak } } days { date signedIn cycleDay streak reward } } }";

/// Opens three connections in the pool: a large history is read in two
/// halves, on two connections, while the pool has connections to spare.
async fn three_idle_connections(app: &TestApp) {
    let pool = &app.state.db;
    let _held = tokio::try_join!(pool.get(), pool.get(), pool.get()).unwrap();
}

/// Plain selections of `SignInDay` are answered without async-graphql's
/// per-object resolution (over HTTP, written as JSON); the answer must be
/// what that resolution gives (fragments and directives take it).
/// The answers of `signInHistory` for `users` fixture users from `from` to
/// `to`, selecting the days (and the user's own history) plainly (answered
/// directly), through an inline fragment, a named fragment and with a
/// directive (answered by async-graphql); each checked to be the first,
/// and each the same over HTTP as from the executor (compared as JSON
/// values: key order is the unit tests' business).
async fn history_days_by_selection(app: &TestApp, users: usize, from: &str, to: &str) -> String {
    let (admin, _) = app.admin("root").await;
    let ids = history_fixture(app, users).await;
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let vars = json!({ "ids": ids, "from": from, "to": to });
    let fields = "d: date __typename signedIn date streak s2: streak reward cycleDay date";
    let server = app.serve(false).await;
    let port = server.addr.port();
    let client = reqwest::Client::new();
    let selections = [
        fields.to_owned(),
        format!("... on SignInDay {{ {fields} }}"),
        "...F".to_owned(),
        format!("{fields} reward @include(if: true)"),
    ];
    let mut answers = Vec::new();
    for selection in &selections {
        let fragment = match selection.as_str() {
            "...F" => format!("fragment F on SignInDay {{ {fields} }}"),
            _ => String::new(),
        };
        let query = format!(
            "query($ids: [ID!]!, $from: Date!, $to: Date!) {{ signInHistory(userIds: $ids, from: $from, to: $to) {{ user {{ id signInHistory(from: $from, to: $to) {{ {selection} }} }} days {{ {selection} }} }} }} {fragment}"
        );
        three_idle_connections(app).await;
        let response = app.exec_raw(Some(&admin), &query, vars.clone()).await;
        assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
        answers.push(serde_json::to_string(&response.data).unwrap());
        // Over HTTP, where plain selections are written as JSON straight
        // from the rows: the same answer.
        three_idle_connections(app).await;
        let over_http = post_graphql_with(&client, port, Some(&admin), &query, vars.clone())
            .await
            .unwrap();
        assert!(over_http.get("errors").is_none(), "{query}: {over_http}");
        assert_eq!(
            over_http["data"],
            serde_json::to_value(&response.data).unwrap(),
            "{selection} over HTTP"
        );
    }
    // Compared as JSON values: async-graphql puts an object's fields in
    // the order they finish (`user` waits on a loader, `days` does not),
    // whichever path answers the days.
    let parse = |answer: &str| serde_json::from_str::<Value>(answer).unwrap();
    for (answer, selection) in answers.iter().zip(&selections).skip(1) {
        assert_eq!(parse(answer), parse(&answers[0]), "{selection}");
    }
    answers.swap_remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_days_answer_the_same_with_or_without_fragments() {
    let app = TestApp::new().await;
    let answer = history_days_by_selection(&app, 2, "2026-01-31", "2026-02-06").await;
    let answers = [answer];
    // And it is the right answer, keys in selection order.
    assert!(
        answers[0].contains(r#"{"d":"2026-02-03","__typename":"SignInDay","signedIn":true,"date":"2026-02-03","streak":3,"s2":3,"reward":20,"cycleDay":3}"#),
        "{}",
        answers[0]
    );
    let first: Value = serde_json::from_str(&answers[0]).unwrap();
    assert_eq!(
        first["signInHistory"][0]["days"][4]["signedIn"],
        json!(false)
    );
    assert_eq!(first["signInHistory"][0]["days"][4]["streak"], Value::Null);
    assert_eq!(
        first["signInHistory"][1]["user"]["signInHistory"],
        first["signInHistory"][1]["days"]
    );
}

/// 100 users x 28 days (2,800 day objects), read in two halves: the plain
/// selection's lists, written directly (as JSON over HTTP), answer as
/// async-graphql does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_history_answers_the_same_with_or_without_fragments() {
    let app = TestApp::new().await;
    let answer = history_days_by_selection(&app, 100, "2026-02-01", "2026-02-28").await;
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let rows = answer["signInHistory"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    for row in rows {
        let days = row["days"].as_array().unwrap();
        assert_eq!(days.len(), 28);
        assert_eq!(days[2]["streak"], 3);
        assert_eq!(days[3]["signedIn"], false);
        assert_eq!(&row["user"]["signInHistory"], &row["days"]);
    }
}

/// The days selected twice under one key, directly or through fragments,
/// for an admin and for the caller's own history: async-graphql merges
/// the two answers, so over HTTP they are not written as JSON (which it
/// cannot merge) and each day has every field selected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_selected_twice_answer_every_field_over_http() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids = history_fixture(&app, 2).await;
    let user = app.token_for(ids[0]).await;
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let vars = json!({ "ids": ids, "from": "2026-01-31", "to": "2026-02-06" });
    let server = app.serve(false).await;
    let client = reqwest::Client::new();
    let admin_history = "query($ids: [ID!]!, $from: Date!, $to: Date!) { signInHistory(userIds: $ids, from: $from, to: $to) {";
    let queries = [
        (&admin, format!("{admin_history} days {{ date }} days {{ streak reward }} }} }}")),
        (&admin, format!("{admin_history} days {{ date }} ...F }} }} fragment F on UserSignInHistory {{ days {{ streak reward }} }}")),
        (&admin, format!("{admin_history} user {{ signInHistory(from: $from, to: $to) {{ date }} ...G }} }} }} fragment G on User {{ signInHistory(from: $from, to: $to) {{ streak reward }} }}")),
        (&user, "query($from: Date!, $to: Date!) { me { signInHistory(from: $from, to: $to) { date } signInHistory(from: $from, to: $to) { streak reward } } }".to_owned()),
    ];
    for (token, query) in &queries {
        let executed = app.exec(Some(token), query, vars.clone()).await;
        assert_no_errors(&executed);
        let over_http = post_graphql_with(
            &client,
            server.addr.port(),
            Some(token),
            query,
            vars.clone(),
        )
        .await
        .unwrap();
        assert_no_errors(&over_http);
        assert_eq!(over_http["data"], executed["data"], "{query}");
        let text = over_http["data"].to_string();
        assert!(text.contains(r#""date":"2026-02-03""#), "{query}: {text}");
        assert!(text.contains(r#""streak":3"#), "{query}: {text}");
        assert!(text.contains(r#""reward":20"#), "{query}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_for_many_users_one_entry_per_date() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids = history_fixture(&app, 3).await;
    let asked = json!([ids[2].to_string(), ids[0].to_string(), "777777"]);
    let r = app
        .exec(
            Some(&admin),
            HISTORY,
            json!({ "ids": asked, "from": "2026-01-31", "to": "2026-02-06" }),
        )
        .await;
    assert_no_errors(&r);
    let rows = r["data"]["signInHistory"].as_array().unwrap();
    let order: Vec<String> = rows
        .iter()
        .map(|h| h["user"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order,
        vec![ids[2].to_string(), ids[0].to_string()],
        "order of userIds; unknown ids left out"
    );
    let days = rows[0]["days"].as_array().unwrap();
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(
        dates,
        vec![
            "2026-01-31",
            "2026-02-01",
            "2026-02-02",
            "2026-02-03",
            "2026-02-04",
            "2026-02-05",
            "2026-02-06"
        ]
    );
    assert_eq!(
        days[0],
        json!({ "date": "2026-01-31", "signedIn": false, "cycleDay": null, "streak": null, "reward": null })
    );
    assert_eq!(
        days[3],
        json!({ "date": "2026-02-03", "signedIn": true, "cycleDay": 3, "streak": 3, "reward": 20 })
    );
    assert_eq!(days[5]["cycleDay"], 1);

    // The same through the User field, for the user themself.
    let (token, _) = app.register("selfie").await;
    let r = app
        .exec(
            Some(&token),
            "{ me { signInHistory(from: \"2026-02-27\", to: \"2026-03-01\") { date signedIn } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["me"]["signInHistory"].as_array().unwrap().len(),
        3
    );

    // Bad ranges name their argument.
    for (from, to, argument) in [
        ("2026-02-06", "2026-02-01", "from"),
        ("2025-01-01", "2026-01-02", "to"),
    ] {
        let r = app
            .exec(
                Some(&admin),
                HISTORY,
                json!({ "ids": [ids[0].to_string()], "from": from, "to": to }),
            )
            .await;
        assert_eq!(
            (
                error_code(&r),
                r["errors"][0]["extensions"]["argument"].as_str()
            ),
            ("BAD_USER_INPUT", Some(argument)),
            "{r}"
        );
    }
    let r = app
        .exec(
            Some(&admin),
            HISTORY,
            json!({ "ids": [ids[0].to_string()], "from": "2025-01-01", "to": "2026-01-01" }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["signInHistory"][0]["days"]
            .as_array()
            .unwrap()
            .len(),
        366,
        "366 days is the limit"
    );
    let r = app
        .exec(
            Some(&admin),
            HISTORY,
            json!({ "ids": [ids[0].to_string()], "from": "2026-13-01", "to": "2026-02-01" }),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_are_batched_whatever_the_number_of_users() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids = history_fixture(&app, 500).await;
    let mut counts = Vec::new();
    for n in [1usize, 10, 500] {
        let asked: Vec<String> = ids[..n].iter().map(i64::to_string).collect();
        let before = app.state.statements.count();
        let r = app
            .exec(
                Some(&admin),
                HISTORY,
                json!({ "ids": asked, "from": "2026-02-01", "to": "2026-02-28" }),
            )
            .await;
        assert_no_errors(&r);
        assert_eq!(r["data"]["signInHistory"].as_array().unwrap().len(), n);
        counts.push(app.state.statements.count() - before);
    }
    // One query each for users, sign-ins, statuses and wallets, whatever the
    // number of users; the first request also reads the caller's row for
    // the token check (cached after that). The sign-ins of 500 users may be
    // read in two halves at once (when two pooled connections are idle).
    assert_eq!(counts[..2], [5, 4], "statements for 1 and 10 users");
    assert!(
        counts[2] == 4 || counts[2] == 5,
        "statements for 500 users: {}",
        counts[2]
    );
}

/// A history of many users read while the pool is idle goes in two halves
/// at once; the answer is the one a single read gives, frozen dates merged
/// in date order for users of either half.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_history_read_in_two_halves_answers_as_one_read() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced(
        "writes frozen dates straight into the table, without the freezes that would pay for them",
    );
    let ids = history_fixture(&app, 100).await;
    for id in [ids[3], ids[90]] {
        app.sql(&format!(
            "INSERT INTO frozen_days (user_id, day, sign_in_id, created_at) \
             SELECT user_id, '2026-02-04', id, now() FROM sign_ins \
              WHERE user_id = {id} AND day = '2026-02-05'"
        ))
        .await;
    }
    let users: Vec<UserId> = ids.iter().copied().map(UserId).collect();
    let (from, to) = ("2026-02-01".parse().unwrap(), "2026-02-28".parse().unwrap());
    // Open three connections and give them back: the pool has them idle.
    {
        let pool = &app.state.db;
        let _held = tokio::try_join!(pool.get(), pool.get(), pool.get()).unwrap();
    }
    app.state.statements.start_recording();
    let split = signin_rewards::service::sign_in::history(
        &app.state,
        ReadSource::Primary,
        &users,
        from,
        to,
    )
    .await
    .unwrap();
    let reads: Vec<_> = app
        .state
        .statements
        .take_records()
        .into_iter()
        .filter(|r| r.sql.contains("FROM frozen_days f"))
        .collect();
    assert_eq!(reads.len(), 2, "two halves: {reads:#?}");

    let one_by_one = |user: UserId| {
        let state = app.state.clone();
        async move {
            signin_rewards::service::sign_in::history(
                &state,
                ReadSource::Primary,
                &[user],
                from,
                to,
            )
            .await
            .unwrap()
            .remove(&user)
            .unwrap()
        }
    };
    assert_eq!(split.len(), 100);
    for i in [0, 3, 49, 50, 90, 99] {
        assert_eq!(split[&users[i]], one_by_one(users[i]).await, "user {i}");
    }
    let dates = |i: usize| -> Vec<(String, bool)> {
        split[&users[i]]
            .iter()
            .map(|d| (d.day.to_string(), d.frozen))
            .collect()
    };
    let frozen_on_the_4th = vec![
        ("2026-02-01".to_owned(), false),
        ("2026-02-02".to_owned(), false),
        ("2026-02-03".to_owned(), false),
        ("2026-02-04".to_owned(), true),
        ("2026-02-05".to_owned(), false),
    ];
    assert_eq!(dates(3), frozen_on_the_4th);
    assert_eq!(dates(90), frozen_on_the_4th);
    assert_eq!(dates(4).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_reads_run_at_the_same_time() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let ids: Vec<String> = history_fixture(&app, 100)
        .await
        .iter()
        .map(i64::to_string)
        .collect();
    let (warm, asked) = ids.split_at(50);
    // Warms the pool, and puts the admin's row in the cache, so the token
    // check below reads no table.
    app.exec(
        Some(&admin),
        HISTORY,
        json!({ "ids": warm, "from": "2026-02-01", "to": "2026-02-28" }),
    )
    .await;
    app.state.cache.stores_settled().await;
    // Both tables held: each read, once started, waits for its lock until
    // they are let go. Reads made one after the other could never both be
    // waiting at once (the second starts when the first has finished); the
    // users asked for were never read, so their rows come from PostgreSQL.
    let mut holder = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE users, sign_ins IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let both_waited = async {
        // A product of the two counts: more than 0 only when both are.
        let both = app
            .becomes_nonzero(
                "SELECT count(*) FILTER (WHERE query LIKE '%FROM \"users\"%') \
                      * count(*) FILTER (WHERE query LIKE '%FROM sign_ins%') \
                   FROM pg_stat_activity \
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
                Duration::from_secs(10),
            )
            .await;
        holder.batch_execute("ROLLBACK").await.unwrap();
        both
    };
    let (answer, both) = tokio::join!(
        app.exec(
            Some(&admin),
            "query($ids: [ID!]!) { signInHistory(userIds: $ids, from: \"2026-02-01\", to: \"2026-02-28\") { user { id } days { signedIn } } }",
            json!({ "ids": asked }),
        ),
        both_waited
    );
    assert!(
        both,
        "the users' and the sign-ins' reads were never both under way"
    );
    assert_no_errors(&answer);
    assert_eq!(
        answer["data"]["signInHistory"].as_array().unwrap().len(),
        50
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_per_date_in_one_query() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    history_fixture(&app, 4).await;
    let before = app.state.statements.count();
    let r = app
        .exec(Some(&admin), "{ signInStats(from: \"2026-02-01\", to: \"2026-02-04\") { date signedIn byCycleDay rewardTotal } }", json!({}))
        .await;
    assert_no_errors(&r);
    assert_eq!(
        app.state.statements.count() - before,
        2,
        "the token check and one aggregate"
    );
    assert_eq!(
        r["data"]["signInStats"],
        json!([
            { "date": "2026-02-01", "signedIn": 4, "byCycleDay": [4, 0, 0, 0, 0, 0, 0], "rewardTotal": 40 },
            { "date": "2026-02-02", "signedIn": 4, "byCycleDay": [0, 4, 0, 0, 0, 0, 0], "rewardTotal": 40 },
            { "date": "2026-02-03", "signedIn": 4, "byCycleDay": [0, 0, 4, 0, 0, 0, 0], "rewardTotal": 80 },
            { "date": "2026-02-04", "signedIn": 0, "byCycleDay": [0, 0, 0, 0, 0, 0, 0], "rewardTotal": 0 }
        ])
    );
    let r = app
        .exec(
            Some(&admin),
            "{ signInStats(from: \"2026-02-04\", to: \"2026-02-01\") { date } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["argument"], "from");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_deletes_and_adjustments() {
    let app = TestApp::new().await;
    let (admin, admin_id) = app.admin("root").await;
    let (token, id) = app.register("yvonne").await;
    let id_s = id.to_string();

    // Promotion and demotion take effect on the very next request.
    let set_role = |role: &str| {
        let (admin, id_s, role) = (admin.clone(), id_s.clone(), role.to_owned());
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                &format!("mutation {{ setUserRole(id: \"{id_s}\", role: {role}) {{ role }} }}"),
                json!({}),
            )
            .await
        }
    };
    assert_eq!(
        set_role("ADMIN").await["data"]["setUserRole"]["role"],
        "ADMIN"
    );
    assert_no_errors(
        &app.exec(
            Some(&token),
            "{ signInStats(from: \"2026-02-01\", to: \"2026-02-01\") { date } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(
        set_role("USER").await["data"]["setUserRole"]["role"],
        "USER"
    );
    let r = app
        .exec(
            Some(&token),
            "{ signInStats(from: \"2026-02-01\", to: \"2026-02-01\") { date } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN");

    // Adjustments: idempotent, never below zero, an ADJUSTMENT row with the note.
    let adjust = |amount: i64, key: &str| {
        let (admin, id_s, key) = (admin.clone(), id_s.clone(), key.to_owned());
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                "mutation($u: ID!, $a: Int!, $k: String!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: $k, note: \"goodwill\") { id amount kind balanceAfter note } }",
                json!({ "u": id_s, "a": amount, "k": key }),
            )
            .await
        }
    };
    let credit = adjust(50, "a1").await;
    assert_eq!(credit["data"]["adjustWallet"]["kind"], "ADJUSTMENT");
    assert_eq!(credit["data"]["adjustWallet"]["note"], "goodwill");
    assert_eq!(credit["data"]["adjustWallet"]["balanceAfter"], 50);
    assert_eq!(
        adjust(50, "a1").await["data"]["adjustWallet"]["id"],
        credit["data"]["adjustWallet"]["id"]
    );
    assert_eq!(error_code(&adjust(60, "a1").await), "IDEMPOTENCY_CONFLICT");
    assert_eq!(error_code(&adjust(-51, "a2").await), "INSUFFICIENT_FUNDS");
    assert_eq!(error_code(&adjust(0, "a3").await), "BAD_USER_INPUT");
    assert_eq!(
        adjust(-50, "a4").await["data"]["adjustWallet"]["balanceAfter"],
        0
    );
    let r = app.exec(Some(&admin), "mutation { adjustWallet(userId: \"99999\", amount: 5, idempotencyKey: \"x\", note: \"n\") { id } }", json!({})).await;
    assert_eq!(error_code(&r), "NOT_FOUND");

    // Admins see other users' private fields.
    let r = app.exec(Some(&admin), &format!("{{ user(id: \"{id_s}\") {{ wallet {{ balance transactions {{ edges {{ node {{ amount }} }} }} }} signInStatus {{ cycleDay }} }} }}"), json!({})).await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["user"]["wallet"]["transactions"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Deletes: once true, then false; unknown ids are NOT_FOUND; admins cannot delete themselves.
    let delete = |target: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.exec(
                Some(&admin),
                "mutation($id: ID!) { deleteUser(id: $id) }",
                json!({ "id": target }),
            )
            .await
        }
    };
    assert_eq!(delete(id_s.clone()).await["data"]["deleteUser"], true);
    assert_eq!(delete(id_s.clone()).await["data"]["deleteUser"], false);
    assert_eq!(error_code(&delete("31337".into()).await), "NOT_FOUND");
    assert_eq!(
        error_code(&delete(admin_id.to_string()).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        error_code(&set_role("ADMIN").await),
        "NOT_FOUND",
        "a deleted user keeps no role"
    );
    assert_eq!(
        error_code(&app.exec(Some(&token), "{ me { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
    app.assert_ledger_consistent().await;
}

const SET_ROLE: &str =
    "mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { role } }";

/// Issue 24, item 3: the last admin cannot demote or delete themself
/// (`BAD_USER_INPUT` naming `id`); nothing changes and nothing is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_keeps_their_role() {
    let app = TestApp::new().await;
    let (root, root_id) = app.admin("root").await;
    let demote = |token: String, id: i64| {
        let app = &app;
        async move {
            app.exec(
                Some(&token),
                SET_ROLE,
                json!({ "id": id.to_string(), "role": "USER" }),
            )
            .await
        }
    };
    let refused = demote(root.clone(), root_id).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["argument"], "id");
    let deleted = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": root_id.to_string() }),
        )
        .await;
    assert_eq!(error_code(&deleted), "BAD_USER_INPUT");
    let me = app.exec(Some(&root), "{ me { role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "ADMIN");
    let audit = app
        .exec(
            Some(&root),
            "{ adminAuditLog(first: 10) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&audit);
    assert_eq!(
        audit["data"]["adminAuditLog"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only create-admin: {audit}"
    );

    // With a second admin, one may step down; then the other is the last.
    let (second, second_id) = app.admin("second").await;
    assert_no_errors(&demote(root.clone(), root_id).await);
    assert_eq!(
        error_code(&demote(second.clone(), second_id).await),
        "BAD_USER_INPUT"
    );

    // Race-safe: admins that demote themselves, or each other, at once
    // never leave none.
    for round in 0..5 {
        let (a, a_id) = app.admin(&format!("racer_a{round}")).await;
        let (b, b_id) = app.admin(&format!("racer_b{round}")).await;
        // `second` steps down first when it can, so that a and b are the
        // only admins.
        let _ = demote(second.clone(), second_id).await;
        let (ra, rb) = if round % 2 == 0 {
            tokio::join!(demote(a.clone(), a_id), demote(b.clone(), b_id))
        } else {
            tokio::join!(demote(a.clone(), b_id), demote(b.clone(), a_id))
        };
        let succeeded = [&ra, &rb]
            .iter()
            .filter(|r| r.get("errors").is_none())
            .count();
        assert_eq!(succeeded, 1, "round {round}: {ra} {rb}");
        let admins = app
            .scalar_i64(&format!(
                "SELECT count(*) FROM users WHERE role = 'ADMIN' AND deleted_at IS NULL AND id IN ({a_id}, {b_id})"
            ))
            .await;
        assert_eq!(admins, 1, "round {round}");
        // Hand the role back to `second` for the next round.
        // Who is still an admin: in even rounds the one whose own
        // demotion failed, in odd rounds the one whose demotion of the
        // other succeeded.
        let a_won = ra.get("errors").is_none();
        let remaining = if a_won == (round % 2 == 0) { &b } else { &a };
        assert_no_errors(
            &app.exec(
                Some(remaining),
                SET_ROLE,
                json!({ "id": second_id.to_string(), "role": "ADMIN" }),
            )
            .await,
        );
        for (token, id) in [(&a, a_id), (&b, b_id)] {
            let _ = demote(token.clone(), id).await;
        }
    }
}
