//! Abuse limits, CSRF, tokens, login limits, leaks: each sends the bad
//! input over HTTP and checks the clear error and that nothing changed.

use std::time::{Duration, Instant};

use base64::Engine;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use signin_rewards::model::UserId;

use crate::common::{assert_no_errors, urlencode, TestApp, PASSWORD};

struct Http {
    client: reqwest::Client,
    url: String,
}

impl Http {
    fn new(port: u16) -> Self {
        Http {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn post(&self, body: Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.url))
            .json(&body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (u16, String) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

fn assert_message_mentions(body: &Value, word: &str) {
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        message.contains(word),
        "expected {word:?} in the error: {body}"
    );
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_and_complexity_are_refused_before_execution() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let (token, _) = app.register("limits").await;

    let deep = format!(
        "{{ __type(name: \"Query\") {{ {}name{} }} }}",
        "ofType { ".repeat(60),
        " }".repeat(60)
    );
    let (status, body) = http.post(json!({ "query": deep }), None).await;
    assert_eq!((status, code(&body)), (200, "BAD_USER_INPUT"), "{body}");
    assert_message_mentions(&body, "depth");

    let aliases: String = (0..5000).map(|i| format!("a{i}: __typename ")).collect();
    let (_, body) = http
        .post(json!({ "query": format!("{{ {aliases} }}") }), None)
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_message_mentions(&body, "complex");

    let aliases: String = (0..5000).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let (_, body) = http
        .post(json!({ "query": format!("{{ {aliases} }}") }), Some(&token))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_message_mentions(&body, "complex");

    // Refused before it runs: none of these 5,000 aliased sign-ins happens.
    let aliases: String = (0..5000)
        .map(|i| format!("s{i}: signIn {{ record {{ date }} }} "))
        .collect();
    let (_, body) = http
        .post(
            json!({ "query": format!("mutation {{ {aliases} }}") }),
            Some(&token),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sign_ins").await, 0);

    // GraphiQL's own introspection query stays within the defaults.
    let (status, body) = http.post(json!({ "query": INTROSPECTION }), None).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_limits_and_csrf() {
    let app = TestApp::with_config(&[("SIGNIN_MAX_BODY_BYTES", "10000")]).await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let (token, _) = app.register("csrf").await;
    use reqwest::Method;

    // Batches are not accepted.
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]).to_string();
    let (status, _) = http
        .raw(
            Method::POST,
            "/graphql",
            Some("application/json"),
            batch.into_bytes(),
        )
        .await;
    assert_eq!(status, 400);
    // Bodies over the limit.
    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(20_000)) }).to_string();
    let (status, _) = http
        .raw(
            Method::POST,
            "/graphql",
            Some("application/json"),
            big.into_bytes(),
        )
        .await;
    assert_eq!(status, 413);
    // Malformed JSON.
    let (status, body) = http
        .raw(
            Method::POST,
            "/graphql",
            Some("application/json"),
            b"{\"query\": ".to_vec(),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("BAD_USER_INPUT"), "{body}");

    // A mutation by GET is refused and changes nothing.
    let url = format!(
        "{}/graphql?query={}",
        http.url,
        urlencode("mutation { signIn { record { date } } }")
    );
    let response = http
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // Bodies a cross-site form can send without a preflight are refused.
    let mutation = json!({ "query": "mutation { signIn { record { date } } }" }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = http
            .client
            .post(format!("{}/graphql", http.url))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(mutation.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 415, "{content_type}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins").await,
        0,
        "no sign-in through any of these"
    );
    // Queries by GET work.
    let url = format!(
        "{}/graphql?query={}",
        http.url,
        urlencode("{ me { username } }")
    );
    let body: Value = http
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["me"]["username"], "csrf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out() {
    let app = TestApp::with_config(&[("SIGNIN_REQUEST_TIMEOUT_MS", "5")]).await;
    app.register("slowpoke").await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    // Checking an Argon2id hash takes longer than 5 ms.
    let body = json!({ "query": "mutation { login(username: \"slowpoke\", password: \"correct-horse-battery\") { token } }" });
    let (status, _) = http.post(body, None).await;
    assert_eq!(status, 408);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_and_playground_can_be_switched_off() {
    let app = TestApp::with_config(&[
        ("SIGNIN_INTROSPECTION", "false"),
        ("SIGNIN_PLAYGROUND", "false"),
    ])
    .await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    // async-graphql answers introspection with null when it is off.
    let (_, body) = http
        .post(json!({ "query": "{ __schema { types { name } } }" }), None)
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let (_, body) = http
        .post(
            json!({ "query": "{ __type(name: \"User\") { fields { name } } }" }),
            None,
        )
        .await;
    assert!(body["data"]["__type"].is_null(), "{body}");
    let (status, _) = http
        .raw(reqwest::Method::GET, "/playground", None, vec![])
        .await;
    assert_eq!(status, 404);
    // The API itself still works.
    let (_, body) = http.post(json!({ "query": "{ __typename }" }), None).await;
    assert_eq!(body["data"]["__typename"], "Query");

    let on = TestApp::new().await;
    let server = on.serve(false).await;
    let http = Http::new(server.addr.port());
    let (status, page) = http
        .raw(reqwest::Method::GET, "/playground", None, vec![])
        .await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("https://"),
        "the playground loads nothing from other hosts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_are_refused() {
    let app = TestApp::new().await;
    let (_, id) = app.register("victim").await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = chrono::Utc::now().timestamp();
    let claims = b64.encode(
        json!({ "sub": id.to_string(), "ver": 0, "iat": now, "exp": now + 3600 }).to_string(),
    );
    let unsigned = format!("{}.{claims}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let r = app.exec(Some(&unsigned), "{ me { id } }", json!({})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let now = app.state.calendar.now();
    let wrong_key = signin_rewards::auth::token::TokenKeys::new(
        b"some-other-secret-of-32-bytes-or-more",
        &[],
        Duration::from_secs(60),
    )
    .issue(
        UserId(id),
        0,
        signin_rewards::model::SessionId(1),
        now,
        now + chrono::TimeDelta::days(1),
    )
    .unwrap()
    .0;
    let r = app.exec(Some(&wrong_key), "{ me { id } }", json!({})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_time_does_not_tell_whether_a_user_exists() {
    let app = TestApp::with_config(&[
        ("SIGNIN_LOGIN_SLOW_AFTER", "1000"),
        ("SIGNIN_LOGIN_REFUSE_AFTER", "1000"),
    ])
    .await;
    app.register("existing").await;
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..15 {
        let started = Instant::now();
        app.login("existing", "wrong-password").await;
        known.push(started.elapsed());
        let started = Instant::now();
        app.login(&format!("ghost{i}"), "wrong-password").await;
        unknown.push(started.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    println!("login medians: existing user {known:?}, unknown user {unknown:?} (ratio {ratio:.2})");
    assert!(
        (0.5..2.0).contains(&ratio),
        "existing {known:?} vs unknown {unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_client_address() {
    let app = TestApp::with_config(&[
        ("SIGNIN_LOGIN_ADDRESS_SLOW_AFTER", "100"),
        ("SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER", "5"),
    ])
    .await;
    app.register("target").await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let login = |name: String, password: &'static str| {
        let http = &http;
        async move {
            http.post(json!({ "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }", "variables": { "u": name, "p": password } }), None)
                .await
                .1
        }
    };
    // Five different usernames from one address...
    for i in 0..5 {
        assert_eq!(
            code(&login(format!("sprayed{i}"), "guess-guess").await),
            "INVALID_CREDENTIALS"
        );
    }
    // ...and that address is refused, whatever the username.
    let refused = login("target".into(), "correct-horse-battery").await;
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
    assert!(
        refused["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Not through the API's in-process path, which has no address.
    assert_no_errors(&app.login("target", PASSWORD).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_do_not_leak() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let (token, _) = app.register("leaky").await;
    // Break the database under the service.
    app.sql("ALTER TABLE wallets RENAME TO wallets_gone").await;
    let response = http
        .client
        .post(format!("{}/graphql", http.url))
        .bearer_auth(&token)
        .header("x-request-id", "trace-me-42")
        .json(&json!({ "query": "{ me { wallet { balance } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let body: Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(error["extensions"]["requestId"], "trace-me-42");
    let text = body.to_string().to_lowercase();
    for secret in [
        "wallets",
        "relation",
        "select",
        "sql",
        "postgres",
        "127.0.0.1",
        "/src/",
        "panicked",
    ] {
        assert!(
            !text.contains(secret),
            "the response leaks {secret:?}: {body}"
        );
    }
    app.sql("ALTER TABLE wallets_gone RENAME TO wallets").await;
}

/// Random and mangled documents and variables: never a panic, never a 5xx,
/// always a JSON body; the process keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_malformed_requests_never_break_the_server() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let (token, _) = app.register("fuzzer").await;
    let corpus = [
        "{ me { id username wallet { balance transactions(first: 5) { edges { node { id } } } } } }",
        "mutation { signIn { record { date cycleDay } status { cycle { date } } } }",
        "mutation($a: Int!, $k: String!) { spend(amount: $a, idempotencyKey: $k) { id } }",
        "query($ids: [ID!]!) { users(ids: $ids) { id } }",
        "{ signInHistory(userIds: [\"1\"], from: \"2026-01-01\", to: \"2026-01-31\") { days { date } } }",
        "subscription { streakUpdated { streak } }",
        "fragment F on User { id } query Q { me { ...F } }",
    ];
    let tokens = [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ":",
        "$",
        "!",
        "...",
        "@skip(if: true)",
        "\"",
        "\\u0000",
        "query",
        "mutation",
        "__typename",
        "me",
        "1e309",
        "-2147483649",
        "null",
        "\u{1F600}",
        "#",
        ",",
        "on",
        "fragment",
    ];
    let variable_values = [
        json!(null),
        json!(1),
        json!(-1),
        json!(2147483648i64),
        json!("x"),
        json!([]),
        json!({}),
        json!(["1", 2]),
        json!("9".repeat(40)),
        json!(true),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261125);
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..1500 {
        let mut doc: Vec<char> = corpus[rng.random_range(0..corpus.len())].chars().collect();
        for _ in 0..rng.random_range(1..6) {
            let at = rng.random_range(0..=doc.len());
            match rng.random_range(0..4) {
                0 if !doc.is_empty() => {
                    let end = (at + rng.random_range(1..10)).min(doc.len());
                    doc.drain(at.min(end)..end);
                }
                1 => doc
                    .splice(at..at, tokens[rng.random_range(0..tokens.len())].chars())
                    .for_each(drop),
                2 => doc.truncate(at),
                _ => doc.insert(at, char::from(rng.random_range(32u8..127))),
            }
        }
        let mut body = json!({ "query": doc.into_iter().collect::<String>() });
        if rng.random_bool(0.5) {
            let vars: serde_json::Map<String, Value> = ["a", "k", "ids"]
                .iter()
                .map(|k| {
                    (
                        k.to_string(),
                        variable_values[rng.random_range(0..variable_values.len())].clone(),
                    )
                })
                .collect();
            body["variables"] = if rng.random_bool(0.9) {
                Value::Object(vars)
            } else {
                json!("not-an-object")
            };
        }
        let response = http
            .client
            .post(format!("{}/graphql", http.url))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{status} for {body}: {text}");
        let parsed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON ({status}) for {body}: {text}"));
        assert!(
            parsed.get("data").is_some() || parsed.get("errors").is_some(),
            "{parsed}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    println!("fuzz: 1500 requests, statuses {statuses:?}");
    let (status, _) = http
        .raw(reqwest::Method::GET, "/healthz", None, vec![])
        .await;
    assert_eq!(status, 200, "still up");
    app.assert_ledger_consistent().await;
}

/// The query GraphiQL sends to load the schema (graphql-js's
/// getIntrospectionQuery with descriptions and deprecated input values).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

/// `levels` fragments, each spreading the next one twice: 2^levels
/// selections once expanded, in about 25 bytes a level.
fn doubling_fragments(levels: usize) -> String {
    let mut text = "{ ...G0 }".to_owned();
    for i in 0..levels {
        text.push_str(&format!(
            " fragment G{i} on Query {{ ...G{0} ...G{0} }}",
            i + 1
        ));
    }
    text.push_str(&format!(" fragment G{levels} on Query {{ __typename }}"));
    text
}

/// Issue 23: documents whose fragments form a cycle, or expand
/// exponentially, are refused with a GraphQL error at once, anonymously,
/// in development and production settings, and the service goes on
/// serving. (The first crashed the process with a stack overflow; the
/// third kept a core busy for minutes; async-graphql's own first steps
/// expand fragments without a memo, see `graphql::fragment_budget`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_fragment_documents_are_refused_at_once() {
    let production: &[(&str, &str)] = &[
        ("SIGNIN_ENV", "production"),
        (
            "SIGNIN_JWT_SECRET",
            "a-production-secret-of-at-least-32-bytes",
        ),
    ];
    for settings in [&[][..], production] {
        let app = TestApp::with_config(settings).await;
        let server = app.serve(false).await;
        let http = Http::new(server.addr.port());
        let documents = [
            "{ __schema { queryType { ...T } } } fragment T on __Type { fields { type { ...T } } }"
                .to_owned(),
            "{ __type(name: \"User\") { ...R } } fragment R on __Type { ofType { ...R } }"
                .to_owned(),
            doubling_fragments(30),
        ];
        for document in documents {
            let started = Instant::now();
            let (status, body) = http.post(json!({ "query": document }), None).await;
            let took = started.elapsed();
            assert_eq!((status, code(&body)), (200, "BAD_USER_INPUT"), "{body}");
            assert!(body.get("data").is_none_or(Value::is_null), "{body}");
            // A hang here was minutes; a refusal takes about a millisecond
            // (the bound leaves room for a loaded CI machine).
            assert!(took < Duration::from_millis(500), "{document}: {took:?}");
            // Over GET too, where the operation's type is read first.
            let (status, _) = http
                .raw(
                    reqwest::Method::GET,
                    &format!("/graphql?query={}", urlencode(&document)),
                    None,
                    vec![],
                )
                .await;
            assert_eq!(status, 200);
        }
        let (_, body) = http.post(json!({ "query": "{ __typename }" }), None).await;
        assert_eq!(body["data"]["__typename"], "Query", "still serving");
        // A document within the budget still runs.
        let (_, body) = http
            .post(json!({ "query": doubling_fragments(5) }), None)
            .await;
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
    }
}

/// Issue 24 (8): HEAD executes nothing that GET would refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_runs_no_mutation() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let (token, _) = app.register("head_user").await;
    let client = reqwest::Client::new();
    let url = format!(
        "http://127.0.0.1:{}/graphql?query={}",
        server.addr.port(),
        urlencode("mutation { signIn { record { date } } }")
    );
    for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
        let response = client
            .request(method.clone(), &url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST", "{method}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sign_ins").await, 0);
    // A query over HEAD is answered (without a body).
    let response = client
        .head(format!(
            "http://127.0.0.1:{}/graphql?query={}",
            server.addr.port(),
            urlencode("{ __typename }")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

/// Issue 24 (10): without introspection (production's default) an unknown
/// field gets no "Did you mean ...?", which would name hidden fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_suggestions_without_introspection() {
    let typo = "mutation { adjustWalet(userId: 1, amount: 1, note: \"x\") { balance } }";
    let off = TestApp::with_config(&[("SIGNIN_INTROSPECTION", "false")]).await;
    let answer = off.exec(None, typo, json!({})).await;
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("adjustWalet"), "{answer}");
    assert!(!message.contains("adjustWallet"), "{answer}");
    // With introspection on (development), the hint helps.
    let on = TestApp::new().await;
    let answer = on.exec(None, typo, json!({})).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Did you mean \"adjustWallet\""),
        "{answer}"
    );
}

/// Issue 24 (11): a variable used only in a directive on `__typename` is
/// used (async-graphql 7.2.1's validation does not look there; see
/// `graphql::typename_directives`). The directive still works, its argument
/// is still type-checked, and an unused variable is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directives_on_typename_see_their_variables() {
    let app = TestApp::new().await;
    let (token, _) = app.register("typename_directive").await;
    let query = "query($v: Boolean!) { me { id __typename @skip(if: $v) } }";
    let skipped = app.exec(Some(&token), query, json!({ "v": true })).await;
    assert_no_errors(&skipped);
    assert!(
        skipped["data"]["me"].get("__typename").is_none(),
        "{skipped}"
    );
    let kept = app.exec(Some(&token), query, json!({ "v": false })).await;
    assert_no_errors(&kept);
    assert_eq!(kept["data"]["me"]["__typename"], "User", "{kept}");

    // Aliased, through a fragment, with @include, and at the root.
    let query = "query($v: Boolean!) { t: __typename @include(if: $v) me { ...F } } \
                 fragment F on User { kind: __typename @include(if: $v) }";
    let answer = app.exec(Some(&token), query, json!({ "v": true })).await;
    assert_no_errors(&answer);
    assert_eq!(answer["data"]["t"], "Query", "{answer}");
    assert_eq!(answer["data"]["me"]["kind"], "User", "{answer}");

    // The rules the field's directives escaped before still hold.
    let wrong_type = "query($v: Int!) { me { __typename @skip(if: $v) } }";
    let answer = app.exec(Some(&token), wrong_type, json!({ "v": 1 })).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    let unused = "query($v: Boolean!, $w: Boolean!) { me { __typename @skip(if: $v) } }";
    let answer = app
        .exec(Some(&token), unused, json!({ "v": true, "w": true }))
        .await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("\"$w\" is not used"),
        "{answer}"
    );
}

/// Issue 24 (15): complexity counts list sizes (days of a range, ids,
/// `first`), with a users' limit and an admins' limit, both sized so the
/// contract's largest requests pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complexity_counts_list_sizes() {
    let app = TestApp::new().await;
    let (user, _) = app.register("lists_user").await;
    let (admin, _) = app.admin("lists_admin").await;
    let year = "from: \"2025-01-01\", to: \"2025-12-31\"";
    let day_fields = "date signedIn cycleDay streak reward madeUp frozen __typename";
    let too_complex = |answer: &Value| {
        code(answer) == "BAD_USER_INPUT"
            && answer["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("too complex")
            && answer.get("data").is_none_or(Value::is_null)
    };

    // A user's year of history with every field, and their status, pass.
    let one_year = format!(
        "{{ me {{ signInHistory({year}) {{ {day_fields} }} \
           signInStatus {{ streak cycle {{ day reward }} }} \
           wallet {{ transactions(first: 100) {{ edges {{ node {{ id amount }} }} }} }} }} }}"
    );
    let answer = app.exec(Some(&user), &one_year, json!({})).await;
    assert_no_errors(&answer);
    assert_eq!(
        answer["data"]["me"]["signInHistory"]
            .as_array()
            .unwrap()
            .len(),
        365
    );

    // The issue's attack: aliased year-long histories, each cheap as a
    // field, refused before anything runs.
    let aliases: String = (0..150)
        .map(|i| format!("h{i}: signInHistory({year}) {{ date signedIn reward }} "))
        .collect();
    let answer = app
        .exec(Some(&user), &format!("{{ me {{ {aliases} }} }}"), json!({}))
        .await;
    assert!(too_complex(&answer), "{answer}");
    // `first` multiplies too.
    let pages: String = (0..60)
        .map(|i| format!("t{i}: transactions(first: 100) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let answer = app
        .exec(
            Some(&user),
            &format!("{{ me {{ wallet {{ {pages} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(too_complex(&answer), "{answer}");

    // The contract's largest admin read: 1000 users over 366 days.
    let ids: Vec<String> = (1..=1000).map(|i| format!("\"{i}\"")).collect();
    let ids = ids.join(",");
    let largest = format!(
        "{{ signInHistory(userIds: [{ids}], from: \"2024-01-01\", to: \"2024-12-31\") \
           {{ user {{ id username }} days {{ {day_fields} }} }} }}"
    );
    let answer = app.exec(Some(&admin), &largest, json!({})).await;
    assert_no_errors(&answer);
    assert_eq!(answer["data"]["signInHistory"].as_array().unwrap().len(), 2);
    // ... through variables too (the limit reads their values).
    let with_variables = format!(
        "query($ids: [ID!]!) {{ signInHistory(userIds: $ids, from: \"2024-01-01\", to: \"2024-12-31\") \
           {{ user {{ id }} days {{ {day_fields} }} }} }}"
    );
    let id_list: Vec<String> = (1..=1000).map(|i| i.to_string()).collect();
    let answer = app
        .exec(Some(&admin), &with_variables, json!({ "ids": id_list }))
        .await;
    assert_no_errors(&answer);
    // Twice that is over the admins' limit.
    let twice = format!(
        "{{ a: signInHistory(userIds: [{ids}], from: \"2024-01-01\", to: \"2024-12-31\") \
           {{ days {{ {day_fields} }} }} \
           b: signInHistory(userIds: [{ids}], from: \"2024-01-01\", to: \"2024-12-31\") \
           {{ days {{ {day_fields} }} }} }}"
    );
    let answer = app.exec(Some(&admin), &twice, json!({})).await;
    assert!(too_complex(&answer), "{answer}");
    // A user sending the admins' largest read gets the users' limit.
    let answer = app.exec(Some(&user), &largest, json!({})).await;
    assert!(too_complex(&answer), "{answer}");
    // Over an argument's own limit, the resolver's clear error, not
    // "too complex".
    let ids_over: Vec<String> = (1..=1001).map(|i| format!("\"{i}\"")).collect();
    let over = format!(
        "{{ signInHistory(userIds: [{}], from: \"2024-01-01\", to: \"2024-01-02\") {{ user {{ id }} }} }}",
        ids_over.join(",")
    );
    let answer = app.exec(Some(&admin), &over, json!({})).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["argument"], "userIds",
        "{answer}"
    );
    let long_range = "{ me { signInHistory(from: \"2024-01-01\", to: \"2025-12-31\") { date } } }";
    let answer = app.exec(Some(&user), long_range, json!({})).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(!too_complex(&answer), "{answer}");
}

/// Reads from `stream` until the server closes it (or `within` passes);
/// true when it closed.
async fn closed_by_server(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + within;
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Issue 24 (13): a connection that sends nothing, sends its headers a
/// byte at a time, or idles after a request is closed once the header read
/// timeout passes (here 300 ms; 10 s by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_dripping_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::with_config(&[("SIGNIN_HEADER_READ_TIMEOUT_MS", "300")]).await;
    let server = app.serve(false).await;
    let connect = || tokio::net::TcpStream::connect(server.addr);

    let mut silent = connect().await.unwrap();
    assert!(closed_by_server(&mut silent, Duration::from_secs(5)).await);

    let mut dripping = connect().await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let started = Instant::now();
    let mut closed = false;
    for byte in request.iter().cycle().take(200) {
        if dripping.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        closed || closed_by_server(&mut dripping, Duration::from_secs(5)).await,
        "a dripping connection stayed open"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let mut idle = connect().await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut idle, Duration::from_secs(5)).await);

    // Requests still work.
    let http = Http::new(server.addr.port());
    let (_, body) = http.post(json!({ "query": "{ __typename }" }), None).await;
    assert_eq!(body["data"]["__typename"], "Query");
}
