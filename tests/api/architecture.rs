//! The direction of dependencies between the crate's layers, read from the
//! sources' own `crate::` paths. The compiler cannot hold it inside one
//! crate (and the fixed top-level layout leaves no room for a workspace of
//! crates), so this test does: a module that reaches a layer it must not
//! fails here, naming the file and the line.

use std::path::{Path, PathBuf};

/// (layer, layers it must never name). A layer is a folder or a file
/// directly under `src/`.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // Pure rules: nothing of the crate but themselves and the vocabulary of
    // `model` (ids and enums).
    (
        "domain",
        &[
            "after_commit",
            "app",
            "auth",
            "cache",
            "clock",
            "config",
            "events",
            "graphql",
            "http",
            "jobs",
            "schema",
            "service",
            "state",
            "store",
            "telemetry",
        ],
    ),
    // Use cases: never the transport, the API or the consumers of jobs.
    ("service", &["graphql", "http", "jobs", "app"]),
    ("state", &["jobs", "graphql", "http", "service", "app"]),
    // Below the use cases.
    (
        "after_commit",
        &[
            "service", "graphql", "http", "jobs", "state", "app", "store",
        ],
    ),
    (
        "store",
        &[
            "service",
            "graphql",
            "http",
            "jobs",
            "cache",
            "events",
            "state",
            "after_commit",
            "app",
        ],
    ),
    (
        "cache",
        &[
            "store", "service", "graphql", "http", "jobs", "state", "events", "app",
        ],
    ),
    (
        "events",
        &[
            "store", "service", "graphql", "http", "jobs", "state", "app",
        ],
    ),
    (
        "model",
        &[
            "store",
            "service",
            "graphql",
            "http",
            "jobs",
            "state",
            "cache",
            "events",
            "after_commit",
            "app",
        ],
    ),
    // The API and the job consumers sit side by side.
    ("graphql", &["http", "jobs", "app"]),
    ("jobs", &["graphql", "http", "app"]),
];

/// I/O crates the pure rules must not use.
const IO_CRATES: &[&str] = &[
    "diesel",
    "diesel_async",
    "redis",
    "bb8",
    "tokio",
    "apalis",
    "axum",
    "async_graphql",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of `layer` (a folder or `layer.rs`).
fn files_of(layer: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{layer}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut stack = vec![src().join(layer)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Whether a line of code names the layer `other` through a `crate::` path,
/// in any spelling (`crate::x::y`, `crate::x;`, `use crate::{a, x}`).
fn names(code: &str, other: &str) -> bool {
    code.contains(&format!("crate::{other}::"))
        || code.contains(&format!("crate::{other};"))
        || code.contains(&format!("crate::{other},"))
        || code.contains(&format!("crate::{other}}}"))
        || (code.contains("crate::{")
            && code
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == other))
}

/// Every `(file:line, layer)` where `layer`'s files name `crate::<other>`
/// for a forbidden other.
fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in files_of(layer) {
        let text = std::fs::read_to_string(&path).expect("source readable");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for other in forbidden {
                if names(code, other) {
                    found.push(format!(
                        "{}:{}: {layer} names {other}",
                        path.strip_prefix(src()).unwrap_or(&path).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn layers_depend_one_way() {
    let mut all = Vec::new();
    for (layer, forbidden) in FORBIDDEN {
        assert!(!files_of(layer).is_empty(), "no sources for layer {layer}");
        all.extend(violations(layer, forbidden));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn the_pure_rules_use_no_io_crate() {
    let mut found = Vec::new();
    for path in files_of("domain") {
        let text = std::fs::read_to_string(&path).expect("source readable");
        for (n, line) in text.lines().enumerate() {
            for krate in IO_CRATES {
                if line.contains(&format!("{krate}::")) {
                    found.push(format!("{}:{}: {krate}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_notices_a_forbidden_path() {
    for line in [
        "use crate::jobs::RewardJob;",
        "use crate::jobs;",
        "use crate::{graphql, jobs};",
        "    crate::jobs::worker::run(state).await",
    ] {
        assert!(names(line, "jobs"), "{line}");
    }
    for line in ["use crate::jobsite::X;", "use crate::{graphql, http};"] {
        assert!(!names(line, "jobs"), "{line}");
    }
}

/// Issue 23: the nine packages of the product's stack are dependencies,
/// and each is used where its job is done (a use of its API in the file
/// that does that job). The behaviour tests (`http`, `realtime`, `cache`,
/// `jobs`, the loaders') show each on the live path.
#[test]
fn the_named_stack_is_on_the_live_path() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let uses = [
        ("async-graphql", "graphql/mod.rs", "async_graphql::"),
        ("async-graphql-axum", "http/graphql.rs", "GraphQLRequest<"),
        (
            "async-graphql-axum",
            "http/ws.rs",
            "GraphQLWebSocket::new_with_pair",
        ),
        ("axum", "http/mod.rs", "Router::new()"),
        ("diesel", "store/sign_ins.rs", "diesel::"),
        ("diesel-async", "store/mod.rs", "diesel_async::"),
        (
            "bb8-redis",
            "cache/mod.rs",
            "bb8_redis::RedisConnectionManager",
        ),
        (
            "dataloader",
            "graphql/loaders.rs",
            "use dataloader::non_cached::",
        ),
        ("tokio", "app.rs", "tokio::"),
        ("apalis", "jobs/worker.rs", "apalis"),
    ];
    for (package, file, use_of) in uses {
        assert!(
            manifest
                .lines()
                .any(|line| line.starts_with(&format!("{package} ="))),
            "{package} is not a dependency"
        );
        let code = std::fs::read_to_string(src().join(file)).unwrap();
        assert!(
            code.contains(use_of),
            "{file} does not use {package} ({use_of})"
        );
    }
}
