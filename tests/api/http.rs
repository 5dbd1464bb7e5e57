//! GraphQL over HTTP: GET's parameters (`operationName`, JSON-encoded
//! `variables` and `extensions`), and media types in `Content-Type` and
//! `Accept` read per RFC 9110 (parameters, optional whitespace, case,
//! q-values). And the embedded pages with their scripts.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{urlencode, TestApp};

const TWO_OPERATIONS: &str = "query A { a: __typename } query B { b: __typename }";

/// A query string from `(name, value)` pairs.
fn query_string(parameters: &[(&str, &str)]) -> String {
    parameters
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

struct Http {
    client: reqwest::Client,
    url: String,
}

/// Status, `Content-Type` and JSON body (Null when not JSON).
type Answer = (u16, String, Value);

impl Http {
    fn new(port: u16) -> Self {
        Http {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: format!("http://127.0.0.1:{port}/graphql"),
        }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, media, body)
    }

    async fn get(&self, parameters: &[(&str, &str)], accept: Option<&str>) -> Answer {
        let mut request = self
            .client
            .get(format!("{}?{}", self.url, query_string(parameters)));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    async fn post(&self, body: Value, content_type: &str, accept: Option<&str>) -> Answer {
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        Self::answer(request.send().await.unwrap()).await
    }
}

/// The first error's message and code.
fn first_error(body: &Value) -> (String, String) {
    (
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_honours_operation_name_variables_and_extensions() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());

    // operationName picks the operation, as over POST.
    let (status, _, body) = http
        .get(&[("query", TWO_OPERATIONS), ("operationName", "B")], None)
        .await;
    assert_eq!((status, &body), (200, &json!({ "data": { "b": "Query" } })));
    let (_, _, body) = http
        .get(&[("operationName", "A"), ("query", TWO_OPERATIONS)], None)
        .await;
    assert_eq!(body, json!({ "data": { "a": "Query" } }));

    // A name that is not in the document: the same answer as POST gives.
    for accept in [None, Some("application/graphql-response+json")] {
        let (get_status, get_media, get_body) = http
            .get(&[("query", TWO_OPERATIONS), ("operationName", "C")], accept)
            .await;
        let (post_status, post_media, post_body) = http
            .post(
                json!({ "query": TWO_OPERATIONS, "operationName": "C" }),
                "application/json",
                accept,
            )
            .await;
        assert_eq!(
            (get_status, &get_media, first_error(&get_body)),
            (post_status, &post_media, first_error(&post_body)),
            "{get_body} vs {post_body}"
        );
        assert_eq!(first_error(&get_body).1, "BAD_USER_INPUT");
        assert!(get_body.get("data").is_none(), "{get_body}");
    }
    // No name with two operations: the same refusal as POST too.
    let (_, _, get_body) = http.get(&[("query", TWO_OPERATIONS)], None).await;
    let (_, _, post_body) = http
        .post(json!({ "query": TWO_OPERATIONS }), "application/json", None)
        .await;
    assert_eq!(first_error(&get_body), first_error(&post_body));

    // A mutation chosen by operationName is refused over GET.
    let (status, _, _) = http
        .get(
            &[
                (
                    "query",
                    "query A { __typename } mutation M { signIn { record { date } } }",
                ),
                ("operationName", "M"),
            ],
            None,
        )
        .await;
    assert_eq!(status, 405);
    let (status, _, body) = http
        .get(
            &[
                (
                    "query",
                    "query A { __typename } mutation M { signIn { record { date } } }",
                ),
                ("operationName", "A"),
            ],
            None,
        )
        .await;
    assert_eq!(
        (status, &body["data"]["__typename"]),
        (200, &json!("Query"))
    );

    // variables and extensions are JSON-encoded parameters.
    let typed = "query T($n: String!) { __type(name: $n) { name } }";
    let (status, _, body) = http
        .get(&[("query", typed), ("variables", r#"{"n":"Query"}"#)], None)
        .await;
    assert_eq!(
        (status, &body["data"]["__type"]["name"]),
        (200, &json!("Query"))
    );
    let (status, _, body) = http
        .get(
            &[
                ("query", typed),
                ("variables", r#"{"n":"Mutation"}"#),
                ("extensions", r#"{"client":"test"}"#),
                ("operationName", "T"),
            ],
            None,
        )
        .await;
    assert_eq!(
        (status, &body["data"]["__type"]["name"]),
        (200, &json!("Mutation"))
    );
    // Empty ones count as absent (what a form sends).
    let (status, _, body) = http
        .get(
            &[
                ("query", "{ __typename }"),
                ("variables", ""),
                ("extensions", ""),
            ],
            None,
        )
        .await;
    assert_eq!(
        (status, &body["data"]["__typename"]),
        (200, &json!("Query"))
    );
    // Malformed ones are the request's fault: 400.
    for (name, value) in [
        ("variables", "{n:1}"),
        ("variables", "[1]"),
        ("variables", "\"x\""),
        ("extensions", "{"),
        ("extensions", "7"),
    ] {
        let (status, _, body) = http
            .get(&[("query", "{ __typename }"), (name, value)], None)
            .await;
        assert_eq!(
            (status, first_error(&body).1.as_str()),
            (400, "BAD_USER_INPUT"),
            "{name}={value}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_types_per_rfc_9110() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let http = Http::new(server.addr.port());
    let query = json!({ "query": "{ __typename }" });
    let ok = json!({ "data": { "__typename": "Query" } });

    // Content-Type: parameters, optional whitespace, case, quoted values.
    for content_type in [
        "application/json",
        "application/json;charset=utf-8",
        "application/json ; charset=utf-8",
        "application/json;charset=\"utf-8\"",
        "application/json; charset=UTF-8",
        "Application/JSON",
        "APPLICATION/JSON; CHARSET=\"UTF-8\"",
        "application/json;\tcharset=utf-8 ",
    ] {
        let (status, _, body) = http.post(query.clone(), content_type, None).await;
        assert_eq!((status, &body), (200, &ok), "{content_type}");
    }
    for content_type in [
        "application/json; charset=latin1",
        "application/json; charset",
        "application/jsonp",
        "text/plain",
    ] {
        let (status, _, _) = http.post(query.clone(), content_type, None).await;
        assert_eq!(status, 415, "{content_type}");
    }

    // Accept: the acceptable type with the highest q-value.
    const GRAPHQL: &str = "application/graphql-response+json; charset=utf-8";
    const JSON: &str = "application/json; charset=utf-8";
    for (accept, expected) in [
        (None, JSON),
        (Some("*/*"), JSON),
        (Some("application/json"), JSON),
        (Some("application/graphql-response+json"), GRAPHQL),
        (Some("Application/GraphQL-Response+JSON"), GRAPHQL),
        (
            Some("application/graphql-response+json;q=0.9, application/json;q=0.5"),
            GRAPHQL,
        ),
        (
            Some("application/json;q=0.5 , application/graphql-response+json ; q=0.9"),
            GRAPHQL,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            JSON,
        ),
        (
            Some("application/graphql-response+json; charset=utf-8, application/json;q=0.9"),
            GRAPHQL,
        ),
        (Some("application/json;q=0, */*"), GRAPHQL),
    ] {
        let (status, media, body) = http.post(query.clone(), "application/json", accept).await;
        assert_eq!(
            (status, media.as_str(), &body),
            (200, expected, &ok),
            "{accept:?}"
        );
        let (status, media, _) = http.get(&[("query", "{ __typename }")], accept).await;
        assert_eq!((status, media.as_str()), (200, expected), "GET {accept:?}");
        // A request error: 400 under graphql-response+json, 200 under JSON.
        let (status, media, body) = http
            .post(json!({ "query": "{ nope" }), "application/json", accept)
            .await;
        let expected_status = if expected == GRAPHQL { 400 } else { 200 };
        assert_eq!(
            (status, media.as_str(), first_error(&body).1.as_str()),
            (expected_status, expected, "BAD_USER_INPUT"),
            "{accept:?}"
        );
    }
    // Neither acceptable: 406, and nothing runs.
    for accept in [
        "text/html",
        "application/json;q=0, application/graphql-response+json;q=0",
        "*/*;q=0",
    ] {
        let (status, _, _) = http
            .post(query.clone(), "application/json", Some(accept))
            .await;
        assert_eq!(status, 406, "{accept}");
        let (status, _, _) = http.get(&[("query", "{ __typename }")], Some(accept)).await;
        assert_eq!(status, 406, "GET {accept}");
    }
}

/// The embedded pages: `/`, `/admin` and `/playground` are HTML under the
/// Content-Security-Policy (scripts only from this origin), not cached, and
/// every script they load is served from `/assets/` as JavaScript. The admin
/// page is served to anyone: the API checks each of its queries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_pages_are_served_with_their_scripts() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    let client = reqwest::Client::new();
    for (path, title) in [
        ("/", "<title>Daily check-in"),
        ("/admin", "<title>Admin"),
        ("/playground", "<title>GraphQL playground"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        assert!(
            header("content-security-policy").contains("script-src 'self';"),
            "{path}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(title), "{path}: {page}");
        let scripts: Vec<&str> = page
            .split("src=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|src| src.ends_with(".js"))
            .collect();
        assert!(!scripts.is_empty(), "{path} loads no script");
        for src in scripts {
            assert!(src.starts_with("/assets/"), "{path}: {src}");
            let script = client.get(format!("{base}{src}")).send().await.unwrap();
            assert_eq!(script.status(), 200, "{src}");
            assert_eq!(
                script.headers()["content-type"],
                "text/javascript; charset=utf-8",
                "{src}"
            );
        }
    }
}

/// A production configuration for tests (a secret of its own: the tests'
/// usual one is published, which production refuses).
fn production(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut vars = vec![
        ("SIGNIN_ENV", "production"),
        ("SIGNIN_JWT_SECRET", "metrics-test-secret-0123456789-abcdef"),
    ];
    vars.extend_from_slice(extra);
    vars
}

fn nosniff(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("x-content-type-options")
        .and_then(|v| v.to_str().ok())
}

/// Issue 24, item 16: in production `/metrics` is not served anonymously
/// on `SIGNIN_BIND`; with `SIGNIN_METRICS_TOKEN` it needs that bearer
/// token there, and `SIGNIN_METRICS_BIND` serves it to anyone; every
/// answer carries `X-Content-Type-Options: nosniff`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_in_production_need_their_own_address_or_a_token() {
    let client = reqwest::Client::new();

    // No token, no address of its own: not served at all on the API's.
    let app = TestApp::with_config(&production(&[])).await;
    let server = app.serve(false).await;
    let api = format!("http://{}", server.addr);
    let response = client.get(format!("{api}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(nosniff(&response), Some("nosniff"));
    for path in ["/healthz", "/nowhere", "/graphql?query=%7B__typename%7D"] {
        let response = client.get(format!("{api}{path}")).send().await.unwrap();
        assert_eq!(nosniff(&response), Some("nosniff"), "{path}");
    }
    let response = client
        .post(format!("{api}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(nosniff(&response), Some("nosniff"));
    server.stop().await.unwrap();

    // A token: only with it; and an address of its own, open to its
    // scraper.
    let app = TestApp::with_config(&production(&[
        ("SIGNIN_METRICS_TOKEN", "scrape-token-0123456789"),
        ("SIGNIN_METRICS_BIND", "127.0.0.1:0"),
    ]))
    .await;
    let server = app.serve(false).await;
    let api = format!("http://{}", server.addr);
    let anonymous = client.get(format!("{api}/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(nosniff(&anonymous), Some("nosniff"));
    let wrong = client
        .get(format!("{api}/metrics"))
        .bearer_auth("scrape-token-012345678")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(format!("{api}/metrics"))
        .bearer_auth("scrape-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert_eq!(nosniff(&right), Some("nosniff"));
    assert!(right.text().await.unwrap().contains("signin_db_pool_max"));
    let own = server.metrics_addr.expect("SIGNIN_METRICS_BIND is served");
    let scraped = client
        .get(format!("http://{own}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert_eq!(nosniff(&scraped), Some("nosniff"));
    // That address serves no API.
    let response = client
        .post(format!("http://{own}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    server.stop().await.unwrap();

    // Development keeps /metrics open when no token is set.
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let response = client
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await.unwrap();
}

/// Issue 23: `/graphql` requests are read by async-graphql-axum's
/// extractor: a JSON array (a batch, which async-graphql's own request
/// reader recognises and this service does not serve) gets its refusal,
/// as a GraphQL error in the negotiated media type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_read_by_async_graphql_axum() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/graphql", server.addr.port()))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(r#"[{"query":"{ __typename }"},{"query":"{ __typename }"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/graphql-response+json; charset=utf-8"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("batches are not served"), "{body}");
    assert!(body.get("data").is_none(), "{body}");
}
