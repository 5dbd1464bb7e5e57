//! Automatic persisted queries (Apollo's APQ) over POST and GET, shared by
//! replicas through Redis; and the document cache every request goes
//! through (parsed and validated once per text, bounded).

use std::time::Duration;

use serde_json::{json, Value};
use sha2::Digest;

use signin_rewards::cache::persisted_queries::{PersistedQueryStore, QueryHash};
use signin_rewards::state::AppState;

use crate::common::{assert_no_errors, error_code, urlencode, TestApp};

const ME: &str = "query Me { me { username } }";

/// The SHA-256 of `text`, in hex, computed here independently of the
/// service's own hashing.
fn sha256(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

/// Status, headers and JSON body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    fn new(port: u16, token: Option<&str>) -> Self {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: format!("http://127.0.0.1:{port}/graphql"),
            token: token.map(str::to_owned),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn post(&self, body: Value) -> Answer {
        self.send(self.http.post(&self.url).json(&body)).await
    }

    async fn get(&self, parameters: &[(&str, String)]) -> Answer {
        let query = parameters
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(self.http.get(format!("{}?{query}", self.url)))
            .await
    }
}

fn assert_not_found(answer: &Answer) {
    assert_eq!(
        answer.body["errors"][0]["message"], "PersistedQueryNotFound",
        "{}",
        answer.body
    );
    assert_eq!(error_code(&answer.body), "PERSISTED_QUERY_NOT_FOUND");
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_post_the_hash_first_then_the_query_once_then_the_hash_alone() {
    let app = TestApp::new().await;
    let (token, _) = app.register("apq_post").await;
    let server = app.serve(false).await;
    let client = Client::new(server.addr.port(), Some(&token));
    let hash = sha256(ME);

    // Unknown hash: the client is asked for the query.
    assert_not_found(&client.post(json!({ "extensions": apq(&hash) })).await);
    // Nothing was stored by asking.
    let store = PersistedQueryStore::new(app.state.redis.clone(), app.state.keys.clone());
    let key = store.key(&QueryHash::from_hex(&hash).unwrap());
    assert!(key.starts_with(&format!("{}:", app.db.name)), "{key}");
    let mut redis = redis::Client::open(crate::common::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!exists);

    // The query with its hash: stored, and run.
    let answer = client
        .post(json!({ "query": ME, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&answer.body);
    assert_eq!(answer.body["data"]["me"]["username"], "apq_post");
    let stored: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(ME));
    // Bounded: it expires (a day after its last use).
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((1..=86_400).contains(&ttl), "ttl {ttl}");

    // From now on the hash alone runs it (upper-case hex too).
    for hash in [hash.clone(), hash.to_uppercase()] {
        let answer = client.post(json!({ "extensions": apq(&hash) })).await;
        assert_no_errors(&answer.body);
        assert_eq!(answer.body["data"]["me"]["username"], "apq_post");
    }

    // With variables and an operation name, as Apollo sends them.
    let typed = "query T($n: String!) { __type(name: $n) { name } } query U { __typename }";
    let typed_hash = sha256(typed);
    let answer = client
        .post(json!({ "query": typed, "operationName": "T", "variables": { "n": "Query" }, "extensions": apq(&typed_hash) }))
        .await;
    assert_eq!(answer.body["data"]["__type"]["name"], "Query");
    let answer = client
        .post(json!({ "operationName": "T", "variables": { "n": "Mutation" }, "extensions": apq(&typed_hash) }))
        .await;
    assert_eq!(answer.body["data"]["__type"]["name"], "Mutation");
    let answer = client
        .post(json!({ "operationName": "U", "extensions": apq(&typed_hash) }))
        .await;
    assert_eq!(answer.body["data"]["__typename"], "Query");
    // Variables are still checked on each request.
    let answer = client
        .post(json!({ "operationName": "T", "variables": { "n": 5 }, "extensions": apq(&typed_hash) }))
        .await;
    assert_eq!(error_code(&answer.body), "BAD_USER_INPUT");
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_get_persisted_queries_run_and_answers_are_private() {
    let app = TestApp::new().await;
    let (token, _) = app.register("apq_get").await;
    let server = app.serve(false).await;
    let client = Client::new(server.addr.port(), Some(&token));
    let hash = sha256(ME);
    let extensions = apq(&hash).to_string();

    let answer = client.get(&[("extensions", extensions.clone())]).await;
    assert_not_found(&answer);
    assert_private(&answer);

    // Registered over POST (as Apollo's link does after a GET is not
    // found), then found over GET.
    let answer = client
        .post(json!({ "query": ME, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&answer.body);
    let answer = client.get(&[("extensions", extensions.clone())]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["data"]["me"]["username"], "apq_get");
    assert_private(&answer);
    // Registering over GET works as well.
    let typename = "{ apq: __typename }";
    let answer = client
        .get(&[
            ("query", typename.to_owned()),
            ("extensions", apq(&sha256(typename)).to_string()),
        ])
        .await;
    assert_eq!(answer.body["data"]["apq"], "Query");
    let answer = client
        .get(&[("extensions", apq(&sha256(typename)).to_string())])
        .await;
    assert_eq!(answer.body["data"]["apq"], "Query");
    // Every GET answer, persisted or not, errors included.
    assert_private(&client.get(&[("query", "{ __typename }".to_owned())]).await);
    assert_private(&client.get(&[("query", "{ nope }".to_owned())]).await);

    // A mutation stays refused over GET, whether sent in full or by hash.
    let mutation = "mutation { signIn { record { date } } }";
    let mutation_hash = sha256(mutation);
    let answer = client
        .get(&[
            ("query", mutation.to_owned()),
            ("extensions", apq(&mutation_hash).to_string()),
        ])
        .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow"), Some("POST"));
    // The refused GET stored nothing either.
    let store = PersistedQueryStore::new(app.state.redis.clone(), app.state.keys.clone());
    let key = store.key(&QueryHash::from_hex(&mutation_hash).unwrap());
    let mut redis = redis::Client::open(crate::common::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!exists, "a refused GET stored its mutation");
    let answer = client
        .post(json!({ "query": mutation, "extensions": apq(&mutation_hash) }))
        .await;
    assert_no_errors(&answer.body);
    let answer = client
        .get(&[("extensions", apq(&mutation_hash).to_string())])
        .await;
    assert_eq!(answer.status, 405, "{}", answer.body);
    assert_eq!(answer.header("allow"), Some("POST"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sign_ins").await, 1);
}

fn assert_private(answer: &Answer) {
    let cache_control = answer.header("cache-control").unwrap_or_default();
    assert!(
        cache_control
            .split(',')
            .map(str::trim)
            .any(|d| d == "private" || d == "no-store"),
        "Cache-Control: {cache_control:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let (token, _) = app.register("apq_bad").await;
    let server = app.serve(false).await;
    let client = Client::new(server.addr.port(), Some(&token));
    let other = sha256("{ __typename }");

    let answer = client
        .post(json!({ "query": ME, "extensions": apq(&other) }))
        .await;
    assert_eq!(error_code(&answer.body), "BAD_USER_INPUT");
    let message = answer.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("does not match"), "{message}");
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    // Neither hash names anything now.
    assert_not_found(&client.post(json!({ "extensions": apq(&other) })).await);
    assert_not_found(&client.post(json!({ "extensions": apq(&sha256(ME)) })).await);

    // The extension itself malformed: a clear error each.
    for (extensions, says) in [
        (
            json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256(ME) } }),
            "version 2",
        ),
        (
            json!({ "persistedQuery": { "version": 1, "sha256Hash": "1234" } }),
            "64 hexadecimal digits",
        ),
        (json!({ "persistedQuery": [] }), "must be an object"),
    ] {
        let answer = client
            .post(json!({ "query": ME, "extensions": extensions }))
            .await;
        assert_eq!(
            error_code(&answer.body),
            "BAD_USER_INPUT",
            "{}",
            answer.body
        );
        let message = answer.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }

    // A document that does not validate is answered with its errors and
    // not stored.
    let invalid = "{ noSuchField }";
    let answer = client
        .post(json!({ "query": invalid, "extensions": apq(&sha256(invalid)) }))
        .await;
    assert_eq!(error_code(&answer.body), "BAD_USER_INPUT");
    assert_not_found(
        &client
            .post(json!({ "extensions": apq(&sha256(invalid)) }))
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_persisted_through_one_replica_runs_on_another() {
    let app = TestApp::new().await;
    let (token, _) = app.register("apq_shared").await;
    let a = app.serve(false).await;
    // Another replica: its own state, pools and document cache, the same
    // PostgreSQL database and Redis namespace.
    let other = AppState::connect_with_clock(app.state.config.clone(), app.clock.clone())
        .await
        .unwrap();
    let b = signin_rewards::app::start(other, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let on_a = Client::new(a.addr.port(), Some(&token));
    let on_b = Client::new(b.addr.port(), Some(&token));
    let hash = sha256(ME);

    assert_not_found(&on_b.post(json!({ "extensions": apq(&hash) })).await);
    let answer = on_a
        .post(json!({ "query": ME, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&answer.body);
    let answer = on_b.post(json!({ "extensions": apq(&hash) })).await;
    assert_no_errors(&answer.body);
    assert_eq!(answer.body["data"]["me"]["username"], "apq_shared");
    let answer = on_b.get(&[("extensions", apq(&hash).to_string())]).await;
    assert_eq!(answer.body["data"]["me"]["username"], "apq_shared");
}

/// Parses are cached by text; async-graphql validates every execution
/// (so a wrong variable value is refused each time, before anything runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_document_text_is_parsed_once() {
    let app = TestApp::new().await;
    let (token, _) = app.register("doc_cache").await;
    let api = &app.api;

    let before = api.document_cache_stats();
    for _ in 0..3 {
        let r = app.exec(Some(&token), ME, json!({})).await;
        assert_eq!(r["data"]["me"]["username"], "doc_cache");
    }
    let after = api.document_cache_stats();
    assert_eq!(after.misses - before.misses, 1, "parsed once");
    assert_eq!(after.hits - before.hits, 2, "then found");

    // An invalid document gets the same errors every time.
    let first = app.exec(Some(&token), "{ noSuchField }", json!({})).await;
    let second = app.exec(Some(&token), "{ noSuchField }", json!({})).await;
    assert_eq!(error_code(&first), "BAD_USER_INPUT");
    assert_eq!(first, second);
    assert!(
        first.get("data").is_none() || first["data"].is_null(),
        "{first}"
    );

    // With variables, their values are checked on each request: a wrong
    // value is refused before anything runs.
    let typed = "query T($n: String!) { __type(name: $n) { name } }";
    let right = app.exec(Some(&token), typed, json!({ "n": "Query" })).await;
    assert_eq!(right["data"]["__type"]["name"], "Query");
    let wrong = app.exec(Some(&token), typed, json!({ "n": 5 })).await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    assert!(wrong["data"].is_null(), "{wrong}");
    assert!(wrong["errors"][0].get("path").is_none(), "{wrong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_cache_is_bounded() {
    let app = TestApp::new().await;
    for i in 0..1100 {
        let r = app
            .exec(None, &format!("{{ a{i}: __typename }}"), json!({}))
            .await;
        assert_eq!(r["data"][format!("a{i}")], "Query");
    }
    let stats = app.api.document_cache_stats();
    assert_eq!(stats.entries, 1024, "{stats:?}");
    // The oldest went first: the first text is parsed again, the last is
    // still held.
    let misses = stats.misses;
    app.exec(None, "{ a1099: __typename }", json!({})).await;
    assert_eq!(app.api.document_cache_stats().misses, misses);
    app.exec(None, "{ a0: __typename }", json!({})).await;
    assert_eq!(app.api.document_cache_stats().misses, misses + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_too_long_to_store_still_runs() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let client = Client::new(server.addr.port(), None);
    // 70 KB of comment: over the 64 KiB a stored query may have.
    let long = format!("# {}\n{{ long: __typename }}", "x".repeat(70_000));
    let hash = sha256(&long);
    let answer = client
        .post(json!({ "query": long, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&answer.body);
    assert_eq!(answer.body["data"]["long"], "Query");
    assert_not_found(&client.post(json!({ "extensions": apq(&hash) })).await);
}

/// Issue 24 (12): all replicas together store at most the hour's budget of
/// bytes (here 100): past it, a query still runs but is not remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_queries_are_stored_within_the_hours_budget() {
    let app = TestApp::with_config(&[("SIGNIN_APQ_BYTES_PER_HOUR", "100")]).await;
    let server = app.serve(false).await;
    let client = Client::new(server.addr.port(), None);
    // (A document that does not validate is not stored: see
    // a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored.)

    // 60 bytes each: the first fits the hour's 100, the second does not.
    let first = format!("{{ a: __typename {} }}", "b: __typename ".repeat(3));
    let second = format!("{{ c: __typename {} }}", "d: __typename ".repeat(3));
    for (query, remembered) in [(&first, true), (&second, false)] {
        let hash = sha256(query);
        let answer = client
            .post(json!({ "query": query, "extensions": apq(&hash) }))
            .await;
        assert_no_errors(&answer.body);
        let again = client.post(json!({ "extensions": apq(&hash) })).await;
        if remembered {
            assert_no_errors(&again.body);
        } else {
            assert_not_found(&again);
        }
    }
    // The next hour has a budget of its own.
    app.clock.advance(chrono::TimeDelta::hours(1));
    let hash = sha256(&second);
    client
        .post(json!({ "query": &second, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&client.post(json!({ "extensions": apq(&hash) })).await.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persisted_query_runs_over_websocket_too() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let app = TestApp::new().await;
    let (token, _) = app.register("apq_ws").await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let hash = sha256(ME);
    let answer = Client::new(port, Some(&token))
        .post(json!({ "query": ME, "extensions": apq(&hash) }))
        .await;
    assert_no_errors(&answer.body);

    let request = crate::common::upgrade_request(port);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    for message in [
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
        json!({ "type": "subscribe", "id": "known", "payload": { "extensions": apq(&hash) } }),
        json!({ "type": "subscribe", "id": "unknown", "payload": { "extensions": apq(&sha256("{ x: __typename }")) } }),
    ] {
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer in time")
            .expect("the connection stays open")
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if let Some(id) = message["id"].as_str() {
            if message["type"] != "complete" {
                seen.insert(id.to_owned(), message);
            }
        }
    }
    assert_eq!(seen["known"]["type"], "next", "{seen:?}");
    assert_eq!(seen["known"]["payload"]["data"]["me"]["username"], "apq_ws");
    assert_eq!(seen["unknown"]["type"], "error", "{seen:?}");
    assert_eq!(
        seen["unknown"]["payload"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
}
