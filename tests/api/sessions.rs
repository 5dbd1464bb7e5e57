//! Sessions (contract, "Sessions: staying signed in"): refresh-token
//! rotation with reuse detection and a grace window, idle and absolute
//! lifetimes on the test clock, ending sessions (one, the caller's, all,
//! by a password change or a deletion) on every replica, signing keys that
//! rotate, and the cookie the web pages use.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{json, Value};
use signin_rewards::graphql::{self, GraphqlApi};
use signin_rewards::state::AppState;

use crate::common::{assert_no_errors, error_code, TestApp, JWT_SECRET, PASSWORD};

const AUTH: &str = "token expiresAt refreshToken sessionExpiresAt user { id }";

/// An app with the contract's session settings (the test default keeps
/// sessions for years).
async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("SIGNIN_TOKEN_TTL_SECS", "900"),
        ("SIGNIN_SESSION_IDLE_DAYS", "30"),
        ("SIGNIN_SESSION_MAX_DAYS", "90"),
        ("SIGNIN_REFRESH_GRACE_SECS", "30"),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_config(&vars).await
}

async fn login(app: &TestApp, username: &str) -> Value {
    let answer = app
        .exec(
            None,
            &format!("mutation($u: String!, $p: String!) {{ login(username: $u, password: $p) {{ {AUTH} }} }}"),
            json!({ "u": username, "p": PASSWORD }),
        )
        .await;
    assert_no_errors(&answer);
    answer["data"]["login"].clone()
}

async fn refresh(api: &GraphqlApi, token: &str) -> Value {
    let request = async_graphql::Request::new(format!(
        "mutation($r: String) {{ refreshSession(refreshToken: $r) {{ {AUTH} }} }}"
    ))
    .variables(async_graphql::Variables::from_json(json!({ "r": token })))
    .data(signin_rewards::graphql::context::RequestAuth::from_authorization(None));
    serde_json::to_value(async_graphql::Executor::execute(api, request).await).unwrap()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.exec(Some(token), "{ me { id } }", json!({})).await
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The `Set-Cookie` header of `response` (empty without one) and its body.
async fn cookie_and_body(response: reqwest::Response) -> (String, Value) {
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (cookie, response.json().await.unwrap_or(Value::Null))
}

/// Another replica: its own state, caches and schema, the same database
/// and Redis namespace.
async fn replica(app: &TestApp) -> (Arc<AppState>, GraphqlApi) {
    let state = AppState::connect_with_clock(app.state.config.clone(), app.clock.clone())
        .await
        .unwrap();
    let api = graphql::build(state.clone(), &state.config.graphql);
    (state, api)
}

async fn exec_on(api: &GraphqlApi, token: &str, query: &str) -> Value {
    let header = format!("Bearer {token}");
    let request = async_graphql::Request::new(query)
        .data(signin_rewards::graphql::context::RequestAuth::from_authorization(Some(&header)));
    serde_json::to_value(async_graphql::Executor::execute(api, request).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_opens_a_session_with_a_short_access_token_and_a_refresh_token() {
    let app = app_with(&[]).await;
    app.register("ses_open").await;
    let now = app.state.calendar.now();
    let granted = login(&app, "ses_open").await;
    let expires: chrono::DateTime<chrono::Utc> = text(&granted["expiresAt"]).parse().unwrap();
    let session_ends: chrono::DateTime<chrono::Utc> =
        text(&granted["sessionExpiresAt"]).parse().unwrap();
    assert_eq!(expires, now + TimeDelta::seconds(900));
    assert_eq!(session_ends, now + TimeDelta::days(90));
    assert_eq!(text(&granted["refreshToken"]).len(), 43);
    // Stored as a hash only.
    let stored = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256('{}'::bytea)",
            text(&granted["refreshToken"])
        ))
        .await;
    assert_eq!(stored, 1);
    let plain = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM refresh_tokens WHERE position('{}'::bytea in token_hash) > 0",
            text(&granted["refreshToken"])
        ))
        .await;
    assert_eq!(plain, 0);
    let token = text(&granted["token"]);
    let listed = app
        .exec(
            Some(&token),
            "{ me { sessions { id current userAgent createdAt lastUsedAt expiresAt } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&listed);
    let sessions = listed["data"]["me"]["sessions"].as_array().unwrap();
    // The registration's session and the login's, newest first.
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[1]["current"], false);
    assert_eq!(
        text(&sessions[0]["expiresAt"])
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        now + TimeDelta::days(30),
        "the earlier of the idle end and the absolute end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_rotates_and_two_refreshes_at_once_get_one_pair() {
    let app = app_with(&[]).await;
    app.register("ses_rotate").await;
    let first = login(&app, "ses_rotate").await;
    let r1 = text(&first["refreshToken"]);
    // (A token issued in the same second for the same session is the same.)
    app.clock.advance(TimeDelta::seconds(5));
    let second = refresh(&app.api, &r1).await;
    assert_no_errors(&second);
    let second = &second["data"]["refreshSession"];
    assert_ne!(text(&second["refreshToken"]), r1);
    assert_ne!(second["token"], first["token"]);
    assert_eq!(second["sessionExpiresAt"], first["sessionExpiresAt"]);
    let r2 = text(&second["refreshToken"]);
    // Two tabs at once with the same token, on two replicas: one pair.
    let (_other, other_api) = replica(&app).await;
    let (a, b) = tokio::join!(refresh(&app.api, &r2), refresh(&other_api, &r2));
    assert_no_errors(&a);
    assert_no_errors(&b);
    assert_eq!(a["data"]["refreshSession"], b["data"]["refreshSession"]);
    let pair = &a["data"]["refreshSession"];
    assert_no_errors(&me(&app, &text(&pair["token"])).await);
    // Within the grace window the spent one answers its pair again.
    app.clock.advance(TimeDelta::seconds(20));
    let again = refresh(&app.api, &r2).await;
    assert_eq!(again["data"]["refreshSession"], *pair);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM refresh_tokens").await,
        // register's, login's, and two rotations of the login's.
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reuse_after_the_grace_window_ends_the_session_on_every_replica() {
    let app = app_with(&[]).await;
    app.register("ses_reuse").await;
    let first = login(&app, "ses_reuse").await;
    let r1 = text(&first["refreshToken"]);
    let rotated = refresh(&app.api, &r1).await;
    let access = text(&rotated["data"]["refreshSession"]["token"]);
    let r2 = text(&rotated["data"]["refreshSession"]["refreshToken"]);
    let (_other, other_api) = replica(&app).await;
    // The other replica has read the user's row (and may keep it).
    assert_no_errors(&exec_on(&other_api, &access, "{ me { id } }").await);
    app.clock.advance(TimeDelta::seconds(31));
    let reused = refresh(&app.api, &r1).await;
    assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    // The session is over: its access token, on both replicas, and its
    // latest refresh token.
    assert_eq!(error_code(&me(&app, &access).await), "UNAUTHENTICATED");
    assert_eq!(
        error_code(&exec_on(&other_api, &access, "{ me { id } }").await),
        "UNAUTHENTICATED"
    );
    assert_eq!(error_code(&refresh(&app.api, &r2).await), "UNAUTHENTICATED");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE ended_reason = 'reuse'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_and_at_their_absolute_end() {
    let app = app_with(&[
        ("SIGNIN_SESSION_IDLE_DAYS", "2"),
        ("SIGNIN_SESSION_MAX_DAYS", "5"),
    ])
    .await;
    app.register("ses_life").await;
    let first = login(&app, "ses_life").await;
    let ends = first["sessionExpiresAt"].clone();
    let mut token = text(&first["refreshToken"]);
    // Refreshed every day and a half: idle never, until day 5.
    for _ in 0..3 {
        app.clock.advance(TimeDelta::hours(36));
        let next = refresh(&app.api, &token).await;
        assert_no_errors(&next);
        assert_eq!(next["data"]["refreshSession"]["sessionExpiresAt"], ends);
        token = text(&next["data"]["refreshSession"]["refreshToken"]);
    }
    // Day 4.5: the access token never outlives the session.
    let last = refresh(&app.api, &token).await;
    let last = &last["data"]["refreshSession"];
    assert!(text(&last["expiresAt"]) <= text(&ends), "{last}");
    token = text(&last["refreshToken"]);
    app.clock.advance(TimeDelta::hours(13));
    assert_eq!(
        error_code(&refresh(&app.api, &token).await),
        "UNAUTHENTICATED"
    );
    // Idle: two days without a refresh.
    let other = login(&app, "ses_life").await;
    app.clock.advance(TimeDelta::days(2));
    let idle = refresh(&app.api, &text(&other["refreshToken"])).await;
    assert_eq!(error_code(&idle), "UNAUTHENTICATED");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE ended_reason IN ('idle', 'expired')")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revoke_and_sign_out_everywhere() {
    let app = app_with(&[]).await;
    let (_, _) = app.register("ses_end").await;
    let (other_token, _) = app.register("ses_other").await;
    let a = text(&login(&app, "ses_end").await["token"]);
    let b = login(&app, "ses_end").await;
    let c = text(&login(&app, "ses_end").await["token"]);
    let listed = app
        .exec(Some(&a), "{ me { sessions { id current } } }", json!({}))
        .await;
    let sessions = listed["data"]["me"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 4, "registration and three logins");
    let b_id = text(&sessions[1]["id"]);
    assert_eq!(
        sessions[2]["current"], true,
        "newest first: c, b, a, registration"
    );
    let revoke = |id: &str| format!("mutation {{ revokeSession(id: \"{id}\") }}");
    let answer = app.exec(Some(&a), &revoke(&b_id), json!({})).await;
    assert_eq!(answer["data"]["revokeSession"], true, "{answer}");
    assert_eq!(
        error_code(&me(&app, &text(&b["token"])).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&refresh(&app.api, &text(&b["refreshToken"])).await),
        "UNAUTHENTICATED"
    );
    // Gone, or another user's: NOT_FOUND.
    assert_eq!(
        error_code(&app.exec(Some(&a), &revoke(&b_id), json!({})).await),
        "NOT_FOUND"
    );
    let others = app
        .exec(Some(&other_token), "{ me { sessions { id } } }", json!({}))
        .await;
    let others_id = text(&others["data"]["me"]["sessions"][0]["id"]);
    assert_eq!(
        error_code(&app.exec(Some(&a), &revoke(&others_id), json!({})).await),
        "NOT_FOUND"
    );
    assert_eq!(
        error_code(&app.exec(Some(&a), &revoke("x"), json!({})).await),
        "BAD_USER_INPUT"
    );
    // Another user's sessions are theirs only, admins included.
    let (admin, _) = app.admin("ses_admin").await;
    let (_, other_id) = app.register("ses_third").await;
    let seen = app
        .exec(
            Some(&admin),
            &format!("{{ user(id: \"{other_id}\") {{ sessions {{ id }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&seen), "FORBIDDEN");
    // signOut ends the caller's own.
    let out = app.exec(Some(&a), "mutation { signOut }", json!({})).await;
    assert_eq!(out["data"]["signOut"], true, "{out}");
    assert_eq!(error_code(&me(&app, &a).await), "UNAUTHENTICATED");
    assert_no_errors(&me(&app, &c).await);
    // signOutEverywhere: the registration's and c.
    let all = app
        .exec(Some(&c), "mutation { signOutEverywhere }", json!({}))
        .await;
    assert_eq!(all["data"]["signOutEverywhere"], 2, "{all}");
    assert_eq!(error_code(&me(&app, &c).await), "UNAUTHENTICATED");
    assert_no_errors(&me(&app, &other_token).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_every_session_and_opens_one_and_a_deletion_ends_all() {
    let app = app_with(&[]).await;
    app.register("ses_pw").await;
    let a = login(&app, "ses_pw").await;
    let b = login(&app, "ses_pw").await;
    let changed = app
        .exec(
            Some(&text(&a["token"])),
            &format!(
                "mutation($c: String!, $n: String!) {{ changePassword(currentPassword: $c, newPassword: $n) {{ {AUTH} }} }}"
            ),
            json!({ "c": PASSWORD, "n": "another-long-password" }),
        )
        .await;
    assert_no_errors(&changed);
    let fresh = &changed["data"]["changePassword"];
    assert_no_errors(&me(&app, &text(&fresh["token"])).await);
    for old in [&a, &b] {
        assert_eq!(
            error_code(&me(&app, &text(&old["token"])).await),
            "UNAUTHENTICATED"
        );
        assert_eq!(
            error_code(&refresh(&app.api, &text(&old["refreshToken"])).await),
            "UNAUTHENTICATED"
        );
    }
    let listed = app
        .exec(
            Some(&text(&fresh["token"])),
            "{ me { sessions { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["me"]["sessions"].as_array().unwrap().len(),
        1
    );
    // A deleted user's sessions end: no refresh brings them back.
    let (admin, _) = app.admin("ses_pw_admin").await;
    let id = text(&changed["data"]["changePassword"]["user"]["id"]);
    let deleted = app
        .exec(
            Some(&admin),
            &format!("mutation {{ deleteUser(id: \"{id}\") }}"),
            json!({}),
        )
        .await;
    assert_no_errors(&deleted);
    assert_eq!(
        error_code(&refresh(&app.api, &text(&fresh["refreshToken"])).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id} AND ended_at IS NULL"
        ))
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_secret_with_the_old_one_as_previous_signs_nobody_out() {
    let app = app_with(&[]).await;
    app.register("ses_kid").await;
    let granted = login(&app, "ses_kid").await;
    let token = text(&granted["token"]);
    // The restart: a new secret signs, the old one only verifies.
    let mut config = app.state.config.clone();
    config.jwt_secret = "the-next-secret-of-at-least-32-bytes!".into();
    config.jwt_previous_secrets = vec![JWT_SECRET.into()];
    let restarted = AppState::connect_with_clock(config.clone(), app.clock.clone())
        .await
        .unwrap();
    let api = graphql::build(restarted.clone(), &restarted.config.graphql);
    assert_no_errors(&exec_on(&api, &token, "{ me { id } }").await);
    // Its refresh gets a token of the new key, which the old secret alone
    // does not verify.
    let next = refresh(&api, &text(&granted["refreshToken"])).await;
    assert_no_errors(&next);
    let new_token = text(&next["data"]["refreshSession"]["token"]);
    assert_no_errors(&exec_on(&api, &new_token, "{ me { id } }").await);
    assert_eq!(error_code(&me(&app, &new_token).await), "UNAUTHENTICATED");
    // Without the old secret, the old tokens stop.
    config.jwt_previous_secrets = Vec::new();
    let forgot = AppState::connect_with_clock(config, app.clock.clone())
        .await
        .unwrap();
    let forgot_api = graphql::build(forgot.clone(), &forgot.config.graphql);
    assert_eq!(
        error_code(&exec_on(&forgot_api, &token, "{ me { id } }").await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_of_another_user_or_of_no_shape_are_refused() {
    let app = app_with(&[]).await;
    let (alice, _) = app.register("ses_alice").await;
    app.register("ses_bob").await;
    let bob = login(&app, "ses_bob").await;
    // Alice's bearer with Bob's refresh token.
    let answer = app
        .exec(
            Some(&alice),
            "mutation($r: String) { refreshSession(refreshToken: $r) { token } }",
            json!({ "r": text(&bob["refreshToken"]) }),
        )
        .await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
    // Bob's own still works: the refusal spent nothing.
    assert_no_errors(&refresh(&app.api, &text(&bob["refreshToken"])).await);
    for bad in [
        "",
        "x",
        &"a".repeat(43),
        &"é".repeat(43),
        &"a".repeat(10_000),
    ] {
        assert_eq!(
            error_code(&refresh(&app.api, bad).await),
            "UNAUTHENTICATED",
            "{bad}"
        );
    }
    let none = app
        .exec(None, "mutation { refreshSession { token } }", json!({}))
        .await;
    assert_eq!(error_code(&none), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_get_the_refresh_token_as_an_http_only_cookie() {
    let app = app_with(&[]).await;
    app.register("ses_cookie").await;
    let server = app.serve(false).await;
    let url = format!("http://127.0.0.1:{}/graphql", server.addr.port());
    let client = reqwest::Client::new();
    let post = |body: Value, cookie: Option<String>| {
        let mut request = client
            .post(&url)
            .header("signin-session", "cookie")
            .header("user-agent", "SessionTest/1.0 (a browser)")
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    // register answers the same way as login (and changePassword, which
    // shares the answer) in cookie mode.
    let response = post(
        json!({ "query": format!("mutation {{ register(username: \"ses_cookie_new\", password: \"{PASSWORD}\") {{ {AUTH} }} }}") }),
        None,
    )
    .await
    .unwrap();
    let (registered_cookie, registered) = cookie_and_body(response).await;
    assert_no_errors(&registered);
    assert_eq!(registered["data"]["register"]["refreshToken"], Value::Null);
    assert!(
        registered_cookie.starts_with("signin_refresh=") && registered_cookie.contains("HttpOnly"),
        "{registered_cookie}"
    );
    let response = post(
        json!({ "query": format!("mutation {{ login(username: \"ses_cookie\", password: \"{PASSWORD}\") {{ {AUTH} }} }}") }),
        None,
    )
    .await
    .unwrap();
    let (set, body) = cookie_and_body(response).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["login"]["refreshToken"], Value::Null);
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/graphql",
        "Max-Age=",
    ] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    assert!(
        cookie.starts_with("signin_refresh=") && cookie.len() > 50,
        "{cookie}"
    );
    // refreshSession without an argument reads the cookie and rotates it.
    let response = post(
        json!({ "query": "mutation { refreshSession { token refreshToken } }" }),
        Some(cookie.clone()),
    )
    .await
    .unwrap();
    let (rotated, body) = cookie_and_body(response).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["refreshSession"]["refreshToken"], Value::Null);
    assert_ne!(rotated.split(';').next().unwrap(), cookie);
    let access = text(&body["data"]["refreshSession"]["token"]);
    let listed = app
        .exec(
            Some(&access),
            "{ me { sessions { userAgent current } } }",
            json!({}),
        )
        .await;
    let current: Vec<&Value> = listed["data"]["me"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current[0]["userAgent"], "SessionTest/1.0 (a browser)");
    // signOut clears it.
    let response = client
        .post(&url)
        .bearer_auth(&access)
        .json(&json!({ "query": "mutation { signOut }" }))
        .send()
        .await
        .unwrap();
    let (cleared, signed_out) = cookie_and_body(response).await;
    assert_eq!(signed_out["data"]["signOut"], true, "{signed_out}");
    assert!(
        cleared.starts_with("signin_refresh=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // A cookie of no live session is cleared by the refresh it fails.
    let ended = rotated.split(';').next().unwrap().to_owned();
    let response = post(
        json!({ "query": "mutation { refreshSession { token } }" }),
        Some(ended),
    )
    .await
    .unwrap();
    let (dropped, body) = cookie_and_body(response).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(dropped.contains("Max-Age=0"), "{dropped}");
    server.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refreshes_count_as_failed_logins_of_the_address() {
    let app = app_with(&[
        ("SIGNIN_LOGIN_ADDRESS_SLOW_AFTER", "100"),
        ("SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER", "3"),
    ])
    .await;
    let server = app.serve(false).await;
    let url = format!("http://127.0.0.1:{}/graphql", server.addr.port());
    let client = reqwest::Client::new();
    let mut codes = Vec::new();
    for i in 0..5 {
        let body: Value = client
            .post(&url)
            .json(&json!({
                "query": "mutation($r: String) { refreshSession(refreshToken: $r) { token } }",
                "variables": { "r": format!("{i:0>43}") }
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        codes.push(error_code(&body).to_owned());
    }
    assert_eq!(&codes[..3], ["UNAUTHENTICATED"; 3], "{codes:?}");
    assert_eq!(&codes[3..], ["RATE_LIMITED"; 2], "{codes:?}");
    server.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_ends_sessions_past_their_end_and_deletes_them_after_the_retention() {
    let app = app_with(&[("SIGNIN_SESSION_IDLE_DAYS", "2")]).await;
    app.register("ses_sweep").await;
    let kept = login(&app, "ses_sweep").await;
    app.clock.advance(TimeDelta::days(1));
    // Used yesterday: kept; the registration's session: idle for 3 days.
    assert_no_errors(&refresh(&app.api, &text(&kept["refreshToken"])).await);
    app.clock.advance(TimeDelta::days(2));
    signin_rewards::service::sessions::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sessions WHERE ended_reason = 'idle'")
            .await,
        2,
        "the registration's and the login's first (refreshed a day in, idle two days since)"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE cardinality(live_sessions) > 0")
            .await,
        0
    );
    // Ended sessions stay for the retention (30 days), then go with their
    // refresh tokens.
    app.clock.advance(TimeDelta::days(29));
    signin_rewards::service::sessions::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sessions").await, 2);
    app.clock.advance(TimeDelta::days(2));
    let deleted = signin_rewards::service::sessions::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM refresh_tokens").await,
        0
    );
}
