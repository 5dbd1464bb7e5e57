//! Registration, login, tokens, password changes.

use chrono::TimeDelta;
use serde_json::json;

use crate::common::{assert_no_errors, error_code, TestApp, PASSWORD};

const ME: &str = "{ me { id username role createdAt } }";
const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token expiresAt user { id } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_and_me() {
    let app = TestApp::new().await;
    let r = app
        .exec(
            None,
            "mutation { register(username: \"Alice_1\", password: \"correct-horse-battery\") { token expiresAt user { id username role createdAt wallet { balance } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&r);
    let payload = &r["data"]["register"];
    assert_eq!(payload["user"]["username"], "Alice_1");
    assert_eq!(payload["user"]["role"], "USER");
    assert_eq!(payload["user"]["createdAt"], "2026-03-01T09:00:00.000Z");
    assert_eq!(
        payload["user"]["wallet"]["balance"], 0,
        "registration opens an empty wallet"
    );
    assert_eq!(
        payload["expiresAt"], "2026-03-02T09:00:00.000Z",
        "tokens last 24 h by default"
    );
    let token = payload["token"].as_str().unwrap();

    let me = app.exec(Some(token), ME, json!({})).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "Alice_1");

    // Login is case-insensitive on the username.
    let login = app.login("alice_1", PASSWORD).await;
    assert_no_errors(&login);
    assert_eq!(login["data"]["login"]["user"]["username"], "Alice_1");
    let hash = app
        .scalar_i64("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'")
        .await;
    assert_eq!(hash, 1, "passwords are stored only as Argon2id hashes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_validates_input_and_usernames_are_unique_case_insensitively() {
    let app = TestApp::new().await;
    app.register("bob.smith").await;
    let register = |u: &str, p: &str| {
        let (u, p) = (u.to_owned(), p.to_owned());
        let app = &app;
        async move {
            app.exec(
                None,
                "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { token } }",
                json!({ "u": u, "p": p }),
            )
            .await
        }
    };
    assert_eq!(
        error_code(&register("BOB.SMITH", PASSWORD).await),
        "USERNAME_TAKEN"
    );
    for bad_name in [
        "ab",
        "x".repeat(33).as_str(),
        "has space",
        "émile",
        "semi;colon",
    ] {
        let r = register(bad_name, PASSWORD).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{bad_name}");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "username");
    }
    for bad_password in ["short", "p".repeat(129).as_str()] {
        let r = register("valid_name", bad_password).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "password");
    }
    assert_no_errors(&register("abc", "12345678").await);
    assert_no_errors(&register(&"y".repeat(32), &"p".repeat(128)).await);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_missing_tokens() {
    let app = TestApp::new().await;
    app.register("carol").await;
    assert_eq!(
        error_code(&app.login("carol", "wrong-password").await),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(
        error_code(&app.login("nobody", PASSWORD).await),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(
        error_code(&app.exec(None, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.exec(Some("not-a-token"), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    let r = app
        .exec(
            Some("x.y.z"),
            "mutation { signIn { record { date } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sign_ins").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_by_the_service_clock() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "3600")]).await;
    let (token, _) = app.register("dave").await;
    app.clock.advance(TimeDelta::minutes(59));
    assert_no_errors(&app.exec(Some(&token), ME, json!({})).await);
    app.clock.advance(TimeDelta::minutes(1));
    assert_eq!(
        error_code(&app.exec(Some(&token), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_revokes_earlier_tokens() {
    let app = TestApp::new().await;
    let (old_token, _) = app.register("erin").await;
    let second_old = app.login("erin", PASSWORD).await["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let wrong = app
        .exec(
            Some(&old_token),
            CHANGE,
            json!({ "c": "not-my-password", "n": "brand-new-pass" }),
        )
        .await;
    assert_eq!(error_code(&wrong), "INVALID_CREDENTIALS");
    let weak = app
        .exec(
            Some(&old_token),
            CHANGE,
            json!({ "c": PASSWORD, "n": "short" }),
        )
        .await;
    assert_eq!(error_code(&weak), "BAD_USER_INPUT");
    assert_eq!(weak["errors"][0]["extensions"]["argument"], "newPassword");
    assert_eq!(
        error_code(
            &app.exec(
                None,
                CHANGE,
                json!({ "c": PASSWORD, "n": "brand-new-pass" })
            )
            .await
        ),
        "UNAUTHENTICATED"
    );

    let changed = app
        .exec(
            Some(&old_token),
            CHANGE,
            json!({ "c": PASSWORD, "n": "brand-new-pass" }),
        )
        .await;
    assert_no_errors(&changed);
    let new_token = changed["data"]["changePassword"]["token"].as_str().unwrap();

    for revoked in [&old_token, &second_old] {
        assert_eq!(
            error_code(&app.exec(Some(revoked), ME, json!({})).await),
            "UNAUTHENTICATED"
        );
    }
    assert_no_errors(&app.exec(Some(new_token), ME, json!({})).await);
    assert_eq!(
        error_code(&app.login("erin", PASSWORD).await),
        "INVALID_CREDENTIALS"
    );
    assert_no_errors(&app.login("erin", "brand-new-pass").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_slowed_then_refused() {
    let app = TestApp::with_config(&[
        ("SIGNIN_LOGIN_SLOW_AFTER", "2"),
        ("SIGNIN_LOGIN_REFUSE_AFTER", "4"),
    ])
    .await;
    app.register("frank").await;
    for _ in 0..2 {
        assert_eq!(
            error_code(&app.login("frank", "wrong-password").await),
            "INVALID_CREDENTIALS"
        );
    }
    let started = std::time::Instant::now();
    assert_eq!(
        error_code(&app.login("FRANK", "wrong-password").await),
        "INVALID_CREDENTIALS"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "the third failure is slowed down"
    );
    assert_eq!(
        error_code(&app.login("frank", "wrong-password").await),
        "INVALID_CREDENTIALS"
    );
    // Refused now, even with the right password, with a hint when to retry.
    let refused = app.login("frank", PASSWORD).await;
    assert_eq!(error_code(&refused), "RATE_LIMITED");
    assert!(
        refused["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Other usernames are not affected.
    app.register("grace").await;
    assert_no_errors(&app.login("grace", PASSWORD).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_users_lose_access_at_once() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("root").await;
    let (token, id) = app.register("heidi").await;
    assert_no_errors(&app.exec(Some(&token), ME, json!({})).await);
    let r = app
        .exec(
            Some(&admin),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["deleteUser"], true);
    assert_eq!(
        error_code(&app.exec(Some(&token), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.login("heidi", PASSWORD).await),
        "INVALID_CREDENTIALS"
    );
}

/// Token checks are remembered for the token's life (no signature work on
/// later requests), and that memory never outlives a revocation: a
/// password change or a deletion refuses the remembered token at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_token_checks_still_refuse_revoked_tokens_at_once() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("memo_root").await;
    let (token, _) = app.register("memo_ivan").await;
    let (other, other_id) = app.register("memo_judy").await;
    let before = app.state.tokens.remembered();
    for t in [&token, &other, &token, &other] {
        assert_no_errors(&app.exec(Some(t), ME, json!({})).await);
    }
    assert!(
        app.state.tokens.remembered() >= before.max(2),
        "verified tokens are remembered"
    );

    let second = app.login("memo_ivan", PASSWORD).await["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_no_errors(
        &app.exec(
            Some(&second),
            CHANGE,
            json!({ "c": PASSWORD, "n": "memo-new-password" }),
        )
        .await,
    );
    assert_eq!(
        error_code(&app.exec(Some(&token), ME, json!({})).await),
        "UNAUTHENTICATED",
        "a remembered token is refused right after a password change"
    );

    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": other_id.to_string() }),
        )
        .await,
    );
    assert_eq!(
        error_code(&app.exec(Some(&other), ME, json!({})).await),
        "UNAUTHENTICATED",
        "a remembered token is refused right after its user is deleted"
    );
}
