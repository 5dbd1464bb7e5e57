//! The command line: create-admin, schema, migrate, audit.

use std::process::Stdio;

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::common::{assert_no_errors, TestApp};
use crate::process::BIN;

fn command(app: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("REDIS_URL", crate::common::redis_url())
        .env("SIGNIN_REDIS_NAMESPACE", &app.db.name)
        .env(
            "SIGNIN_JWT_SECRET",
            "a-test-secret-that-is-at-least-32-bytes",
        )
        .env("RUST_LOG", "warn")
        .env_remove("SIGNIN_ADMIN_PASSWORD");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_from_env_stdin_or_by_promotion() {
    let app = TestApp::new().await;
    let out = command(&app, &["create-admin", "--username", "chief"])
        .env("SIGNIN_ADMIN_PASSWORD", "chief-password")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created admin chief"));
    let login = app.login("chief", "chief-password").await;
    assert_no_errors(&login);
    let token = login["data"]["login"]["token"].as_str().unwrap();
    let me = app.exec(Some(token), "{ me { role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "ADMIN");

    let mut child = command(&app, &["create-admin", "--username", "deputy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"deputy-password\n")
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    assert_no_errors(&app.login("deputy", "deputy-password").await);

    let (user_token, _) = app.register("carl").await;
    let out = command(&app, &["create-admin", "--username", "CARL"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("promoted to admin carl"));
    let me = app
        .exec(Some(&user_token), "{ me { role } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"]["role"], "ADMIN",
        "promotion applies to existing tokens at once"
    );

    // A weak password is refused with a message, and nothing is created.
    let out = command(&app, &["create-admin", "--username", "weakling"])
        .env("SIGNIN_ADMIN_PASSWORD", "short")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE username = 'weakling'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_prints_the_committed_sdl() {
    let out = Command::new(BIN).arg("schema").output().await.unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_audit_finds_tampering() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("tampers with a wallet to see the audit find it");
    for _ in 0..2 {
        let out = command(&app, &["migrate"]).output().await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_, id) = app.register("zed").await;
    let audit = command(&app, &["audit"]).output().await.unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );

    // Money changed behind the ledger's back is reported, and the exit code says so.
    app.sql(&format!(
        "UPDATE wallets SET balance = 42 WHERE user_id = {id}"
    ))
    .await;
    let audit = command(&app, &["audit"]).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&audit.stdout);
    assert!(!audit.status.success());
    assert!(
        stdout.contains("1  wallet balance differs from the sum of its ledger rows"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("id {id} (expected 0, found 42)")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_are_exported_over_otlp_when_asked() {
    use std::sync::{Arc, Mutex};
    // A stand-in collector that records what it is sent.
    let received: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let seen = received.clone();
    let collector =
        axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push((uri.path().to_owned(), body.len()));
                axum::http::StatusCode::OK
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let app = TestApp::new().await;
    let port = crate::process::free_port();
    let log_path = std::env::temp_dir().join(format!("{}-otlp.log", app.db.name));
    let mut service = command(&app, &["serve", "--no-worker"])
        .env("SIGNIN_BIND", format!("127.0.0.1:{port}"))
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector_port}"),
        )
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait for this service's own word that it serves: a port that merely
    // answers may be another test's process (free ports are picked before
    // they are bound), and a SIGTERM before start-up ends kills it unlogged.
    let serving = format!("serving GraphQL on http://127.0.0.1:{port}/graphql");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log_path)
        .unwrap_or_default()
        .contains(&serving)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the service did not start; its log:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    // SIGTERM flushes the buffered spans on the way out.
    let pid = service.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), service.wait())
        .await
        .unwrap()
        .unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    assert!(status.success(), "{status}; the service's log:\n{log}");
    let received = received.lock().unwrap();
    assert!(
        received
            .iter()
            .any(|(path, bytes)| path == "/v1/traces" && *bytes > 0),
        "{received:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_now_starts_the_clock_is_logged_and_refused_in_production() {
    let app = TestApp::new().await;
    let port = crate::process::free_port();
    let log_path = std::env::temp_dir().join(format!("{}-signin-now.log", app.db.name));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut service = command(&app, &["serve", "--no-worker"])
        .env("SIGNIN_BIND", format!("127.0.0.1:{port}"))
        // 23:30 UTC is 07:30 the next day in Shanghai.
        .env("SIGNIN_NOW", "2031-07-04T23:30:00Z")
        .env("SIGNIN_TIMEZONE", "Asia/Shanghai")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    crate::process::wait_for_port(port, std::time::Duration::from_secs(30)).await;
    let client = reqwest::Client::new();
    let registered = crate::common::post_graphql(
        &client,
        port,
        None,
        "mutation { register(username: \"time_traveller\", password: \"correct-horse-battery\") { token user { createdAt } } }",
    )
    .await
    .unwrap();
    assert_no_errors(&registered);
    assert!(registered["data"]["register"]["user"]["createdAt"]
        .as_str()
        .unwrap()
        .starts_with("2031-07-04T23:3"));
    let token = registered["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = crate::common::post_graphql(
        &client,
        port,
        Some(&token),
        "{ me { signInStatus { today } } }",
    )
    .await
    .unwrap();
    assert_eq!(status["data"]["me"]["signInStatus"]["today"], "2031-07-05");
    service.kill().await.unwrap();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        logged.contains("WARN") && logged.contains("TEST CLOCK"),
        "{logged}"
    );

    let refused = command(&app, &["migrate"])
        .env("SIGNIN_ENV", "production")
        .env(
            "SIGNIN_JWT_SECRET",
            "a-production-secret-of-at-least-32-bytes",
        )
        .env("SIGNIN_NOW", "2031-07-04T23:30:00Z")
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("SIGNIN_NOW"));
}

/// The rows of the README's configuration table: each variable with the
/// default the README gives it (backquotes dropped). A row of several
/// variables gives one default each (`30`, `5000`) or one for all.
fn readme_settings() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("the README has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    let quoted = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut settings = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (names, default) = (quoted(cells[1]), cells[2]);
        let defaults = quoted(default);
        let one_each = defaults.len() == names.len()
            && default
                == defaults
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
        for (i, name) in names.into_iter().enumerate() {
            let default = if one_each {
                defaults[i].clone()
            } else {
                default.replace('`', "")
            };
            settings.push((name, default));
        }
    }
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_help_lists_every_setting_of_the_readme_with_its_default() {
    let settings = readme_settings();
    assert!(settings.len() >= 30, "{settings:?}");
    assert!(settings.contains(&("SIGNIN_BIND".into(), "127.0.0.1:8000".into())));
    assert!(settings.contains(&("SIGNIN_RELAY_INTERVAL_MS".into(), "5000".into())));

    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .env("SIGNIN_JWT_SECRET", "a-secret-that-must-not-be-printed")
        .env("DATABASE_URL", "postgres://user:hunter2@db/x")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("a-secret-that-must-not-be-printed") && !help.contains("hunter2"));

    // One block per option, from its `--flag` line to the next; blanks
    // folded, so a wrapped line still matches.
    let mut blocks: Vec<String> = Vec::new();
    for line in help.lines() {
        if line.trim_start().starts_with('-') || blocks.is_empty() {
            blocks.push(String::new());
        }
        let block = blocks.last_mut().unwrap();
        block.push(' ');
        block.push_str(line.trim());
    }
    for (name, default) in settings {
        let block = blocks
            .iter()
            .find(|b| {
                b.contains(&format!("[env: {name}=")) || b.contains(&format!("[env: {name}]"))
            })
            .unwrap_or_else(|| panic!("{name} is not in `serve --help`:\n{help}"));
        assert!(
            block.contains(&format!("[default: {default}]")),
            "{name}: the README's default is {default:?}; `serve --help` says:\n{block}"
        );
    }
}

/// Refused before anything connects: exit code 2, the variable named.
async fn refused(args: &[&str], vars: &[(&str, &str)]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?} {vars:?}: {stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_refuse_to_start_naming_the_variable() {
    let secret = "a-production-secret-of-at-least-32-bytes";
    // Production needs a real secret; an empty one counts as none.
    let stderr = refused(&["migrate"], &[("SIGNIN_ENV", "production")]).await;
    assert!(stderr.contains("SIGNIN_JWT_SECRET is required"), "{stderr}");
    let stderr = refused(
        &["serve"],
        &[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", "")],
    )
    .await;
    assert!(stderr.contains("SIGNIN_JWT_SECRET is required"), "{stderr}");
    let stderr = refused(
        &["worker"],
        &[("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", "short")],
    )
    .await;
    assert!(
        stderr.contains("SIGNIN_JWT_SECRET: must be at least 32 bytes"),
        "{stderr}"
    );
    // The documented development default is public: anyone could forge
    // an admin's token with it (issue 24, item 9).
    let stderr = refused(
        &["serve"],
        &[
            ("SIGNIN_ENV", "production"),
            (
                "SIGNIN_JWT_SECRET",
                "development-only-secret-do-not-use-in-production",
            ),
        ],
    )
    .await;
    assert!(
        stderr.contains("SIGNIN_JWT_SECRET: a published example or default secret"),
        "{stderr}"
    );
    // The test clock, from the variable or the flag.
    let production = [("SIGNIN_ENV", "production"), ("SIGNIN_JWT_SECRET", secret)];
    let stderr = refused(&["serve", "--now=2031-07-04T23:30:00Z"], &production).await;
    assert!(
        stderr.contains("SIGNIN_NOW: a test clock is refused"),
        "{stderr}"
    );

    // A value that does not parse, given by variable or by flag.
    let stderr = refused(&["audit"], &[("SIGNIN_REWARDS", "1,2")]).await;
    assert!(
        stderr.contains("SIGNIN_REWARDS: expected 7 comma-separated rewards, got 2"),
        "{stderr}"
    );
    let stderr = refused(&["serve", "--max-depth", "deep"], &[]).await;
    assert!(stderr.contains("SIGNIN_MAX_DEPTH: \"deep\""), "{stderr}");
    let stderr = refused(&["migrate"], &[("SIGNIN_TIMEZONE", "Mars/Olympus")]).await;
    assert!(stderr.contains("SIGNIN_TIMEZONE"), "{stderr}");
    // An empty variable is unset, not a bad value: the refusal is the secret's.
    let stderr = refused(
        &["migrate"],
        &[("SIGNIN_ENV", "production"), ("SIGNIN_MAX_DEPTH", "")],
    )
    .await;
    assert!(stderr.contains("SIGNIN_JWT_SECRET is required"), "{stderr}");
}
