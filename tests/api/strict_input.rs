//! Strict input: `Date` is exactly `YYYY-MM-DD`, and only the contract's
//! ASCII usernames ever match an account (no Unicode case folding on any
//! look-up by name: login, `userByUsername`, `searchUsers`, create-admin,
//! the failed-login counters, register).

use serde_json::{json, Value};

use crate::common::{assert_no_errors, error_code, TestApp, PASSWORD};

const STATS: &str =
    "query($from: Date!, $to: Date!) { signInStats(from: $from, to: $to) { date signedIn } }";

/// Names that Unicode case folding (PostgreSQL's `lower()`, Rust's
/// `to_lowercase()`) could turn into, or that look like, the accounts
/// `kim`, `ivan`, `boss` and `ada`.
const LOOK_ALIKES: &[&str] = &[
    "\u{212A}im",               // KELVIN SIGN: lower() gives "kim"
    "\u{212A}IM",               // ... in any case
    "\u{0130}van",              // İ
    "\u{0131}van",              // ı (dotless i)
    "IVAN\u{0307}",             // combining dot above
    "bo\u{017F}s",              // ſ (long s)
    "BO\u{017F}\u{017F}",       // ſſ
    "\u{FF41}da",               // full-width a
    "\u{FF21}\u{FF24}\u{FF21}", // full-width ADA
    "ad\u{0430}",               // Cyrillic a
];

fn message(response: &Value) -> String {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_must_be_exactly_yyyy_mm_dd() {
    let app = TestApp::new().await;
    let (admin, admin_id) = app.admin("strict_dates").await;
    for bad in [
        "2026-3-1",
        "2026-03-1",
        "+10000-01-01",
        "10000-01-01",
        "-0001-01-01",
        "26-03-01",
        " 2026-03-01",
        "2026-02-29",
        "2026-02-30",
        "2026-03-01T00:00:00Z",
        "20260301",
    ] {
        // As a variable ...
        let r = app
            .exec(
                Some(&admin),
                STATS,
                json!({ "from": bad, "to": "2026-03-01" }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{bad}: {r}");
        assert!(message(&r).contains("YYYY-MM-DD"), "{bad}: {r}");
        // ... and as a literal, in a nested field too.
        let literal = format!(
            "query($id: ID!) {{ user(id: $id) {{ signInHistory(from: \"{bad}\", to: \"2026-03-01\") {{ date }} }} }}"
        );
        let r = app
            .exec(
                Some(&admin),
                &literal,
                json!({ "id": admin_id.to_string() }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{bad}: {r}");
        assert!(message(&r).contains("YYYY-MM-DD"), "{bad}: {r}");
    }
    for good in [
        ("2026-03-01", "2026-03-02"),
        ("2024-02-29", "2024-03-01"),
        ("0000-01-01", "0000-01-02"),
    ] {
        let r = app
            .exec(Some(&admin), STATS, json!({ "from": good.0, "to": good.1 }))
            .await;
        assert_no_errors(&r);
        assert_eq!(r["data"]["signInStats"][0]["date"], good.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_contract_usernames_match_an_account() {
    let app = TestApp::with_config(&[
        ("SIGNIN_LOGIN_SLOW_AFTER", "100"),
        ("SIGNIN_LOGIN_REFUSE_AFTER", "3"),
    ])
    .await;
    let (admin, _) = app.admin("strict_admin").await;
    for name in ["kim", "ivan", "boss", "ada"] {
        app.register(name).await;
    }
    for look_alike in LOOK_ALIKES {
        // login: wrong credentials, even with the right password.
        let r = app.login(look_alike, PASSWORD).await;
        assert_eq!(error_code(&r), "INVALID_CREDENTIALS", "{look_alike:?}: {r}");
        // userByUsername: nobody.
        let r = app
            .exec(
                Some(&admin),
                "query($u: String!) { userByUsername(username: $u) { username } }",
                json!({ "u": look_alike }),
            )
            .await;
        assert_no_errors(&r);
        assert_eq!(r["data"]["userByUsername"], Value::Null, "{look_alike:?}");
        // register: refused, naming the argument.
        let r = app
            .exec(
                None,
                "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { token } }",
                json!({ "u": look_alike, "p": PASSWORD }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{look_alike:?}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "username");
        // create-admin: refused before any look-up; nobody is promoted.
        let created =
            signin_rewards::service::accounts::create_admin(&app.state, look_alike, PASSWORD).await;
        assert!(created.is_err(), "{look_alike:?} made an admin");
    }
    // Failed logins under look-alike names are not counted against the
    // real accounts (three would lock them out here): they still log in.
    for look_alike in LOOK_ALIKES {
        for _ in 0..3 {
            let r = app.login(look_alike, "a-wrong-password").await;
            assert_eq!(error_code(&r), "INVALID_CREDENTIALS", "{look_alike:?}: {r}");
        }
    }
    for name in ["kim", "ivan", "boss", "ada"] {
        let r = app.login(name, PASSWORD).await;
        assert_no_errors(&r);
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE role = 'ADMIN'")
            .await,
        1
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 5);
    // searchUsers: a character no username has matches nothing.
    for needle in ["\u{212A}", "\u{017F}", "\u{0130}", "\u{FF4B}", "\u{0131}"] {
        let r = app
            .exec(
                Some(&admin),
                "query($q: String!) { searchUsers(query: $q) { edges { node { username } } } }",
                json!({ "q": needle }),
            )
            .await;
        assert_no_errors(&r);
        assert_eq!(
            r["data"]["searchUsers"]["edges"],
            json!([]),
            "{needle:?} matched"
        );
    }
    // The plain ASCII search still works, case-insensitively.
    let r = app
        .exec(
            Some(&admin),
            "{ searchUsers(query: \"KI\") { edges { node { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["searchUsers"]["edges"],
        json!([{ "node": { "username": "kim" } }])
    );
}
