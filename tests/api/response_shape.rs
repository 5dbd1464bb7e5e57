//! Field errors shape the response as the GraphQL specification says
//! (§6.4.4, §7.1.2): the failed field is `null` (never missing), and a null
//! in a non-null position propagates to the nearest nullable parent, up to
//! `data` itself. async-graphql 7.2.1 leaves failed fields out; the
//! executor repairs that (`graphql::response_shape`).

use serde_json::{json, Value};

use crate::common::TestApp;

const BAD_RANGE: &str = r#"signInHistory(from: "2026-02-01", to: "2026-01-01") { date }"#;

fn codes(response: &Value) -> Vec<&str> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_nullable_field_is_null_beside_its_siblings() {
    let app = TestApp::new().await;
    let (token, _) = app.register("plainuser").await;
    let r = app
        .exec(
            Some(&token),
            r#"{ user(id: "1") { username } me { username } }"#,
            json!({}),
        )
        .await;
    assert_eq!(codes(&r), ["FORBIDDEN"], "{r}");
    assert_eq!(r["errors"][0]["path"], json!(["user"]));
    assert_eq!(
        r["data"],
        json!({ "user": null, "me": { "username": "plainuser" } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_non_null_root_field_nulls_data() {
    let app = TestApp::new().await;
    let r = app
        .exec(None, "{ __typename me { username } }", json!({}))
        .await;
    assert_eq!(codes(&r), ["UNAUTHENTICATED"], "{r}");
    assert_eq!(r.get("data"), Some(&Value::Null), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nulls_propagate_through_non_null_objects_and_lists() {
    let app = TestApp::new().await;
    let (token, _) = app.register("nested").await;
    let (admin, _) = app.admin("shapeadmin").await;
    // me (User!) → signInHistory ([SignInDay!]!) fails: nothing nullable
    // until data.
    let r = app
        .exec(
            Some(&token),
            &format!("{{ me {{ username {BAD_RANGE} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(codes(&r), ["BAD_USER_INPUT"], "{r}");
    assert_eq!(r.get("data"), Some(&Value::Null), "{r}");
    // users ([User]!): each item is nullable, so the nulls stop there and
    // the list keeps its length.
    let ids = json!([
        app.register("one").await.1.to_string(),
        app.register("two").await.1.to_string()
    ]);
    let r = app
        .exec(
            Some(&admin),
            &format!("query($ids: [ID!]!) {{ users(ids: $ids) {{ username {BAD_RANGE} }} }}"),
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(codes(&r), ["BAD_USER_INPUT", "BAD_USER_INPUT"], "{r}");
    assert_eq!(r["data"], json!({ "users": [null, null] }), "{r}");
    // searchUsers → edges ([UserEdge!]!) → node (User!) → signInHistory:
    // all non-null up to searchUsers (UserConnection!), then data.
    let r = app
        .exec(
            Some(&admin),
            &format!(
                r#"{{ me {{ username }} searchUsers(query: "one") {{ edges {{ node {{ username {BAD_RANGE} }} }} }} }}"#
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.get("data"), Some(&Value::Null), "{r}");
    // A failed field whose siblings all failed too still has its key.
    let r = app
        .exec(
            Some(&token),
            r#"{ a: user(id: "1") { username } b: user(id: "2") { username } }"#,
            json!({}),
        )
        .await;
    assert_eq!(r["data"], json!({ "a": null, "b": null }), "{r}");
}

/// The raw body of a POST of `query` to the served instance at `addr`.
async fn post_text(addr: std::net::SocketAddr, token: Option<&str>, query: &str) -> String {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().text().await.unwrap()
}

/// Over HTTP the keys keep the selection's order, the failed one included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_the_null_stands_in_its_place() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let (token, _) = app.register("httpuser").await;
    let body = post_text(
        server.addr,
        Some(&token),
        r#"{ user(id: "1") { username } me { username } }"#,
    )
    .await;
    assert!(
        body.contains(r#""data":{"user":null,"me":{"username":"httpuser"}}"#),
        "{body}"
    );
    let body = post_text(server.addr, None, "{ __typename me { username } }").await;
    assert!(body.contains(r#""data":null"#), "{body}");
    server.stop().await.unwrap();
}
