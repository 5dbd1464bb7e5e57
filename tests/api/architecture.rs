//! The direction of dependencies between the crate's layers. The compiler
//! cannot hold it inside one crate (and the fixed top-level layout leaves no
//! room for a workspace of crates), so this test does.
//!
//! Every `src/**/*.rs` is parsed with `syn`, and every path it names is
//! collected: each leaf of each `use` tree (nested groups, renames, globs,
//! `self::`, `super::super::`), every path in code and types
//! (`crate::store::x::f()`), and the paths inside macro bodies. `self` and
//! `super` are resolved against the file's module (`mod.rs` or `x.rs`, and
//! inline `mod` blocks); a path through a re-export (`model::UserId`) is
//! followed to where it is defined (`model::ids::UserId`). The rules are read
//! from the layer table of `docs/architecture.md` ("may use"), so the doc and
//! this test cannot say different things.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// I/O crates the pure rules must not use.
const IO_CRATES: &[&str] = &[
    "diesel",
    "diesel_async",
    "redis",
    "bb8",
    "bb8_redis",
    "tokio",
    "apalis",
    "apalis_core",
    "apalis_redis",
    "axum",
    "async_graphql",
    "async_graphql_axum",
    "hyper",
    "hyper_util",
    "tower",
    "tower_http",
    "reqwest",
    "std::fs",
    "std::net",
    "std::io",
    "std::process",
    "std::env",
];

/// A module path inside the crate (`["graphql", "types", "user"]`).
type Module = Vec<String>;

/// A path a source names, resolved: `crate`-rooted paths start with
/// `"crate"`, any other path starts with the name of its crate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    line: usize,
    path: Vec<String>,
}

/// One source file: its module and the text it holds.
struct Source {
    /// Path under `src/`, for messages.
    file: String,
    module: Module,
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn src() -> PathBuf {
    root().join("src")
}

/// The module a file under `src/` is (`a/mod.rs` and `a.rs` are both `a`).
fn module_of(rel: &Path) -> Module {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Every `.rs` file of the library (`main.rs` is the binary: it names the
/// library as `signin_rewards::`, from outside).
fn sources() -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src()).unwrap().to_path_buf();
                if rel == Path::new("main.rs") {
                    continue;
                }
                out.push(Source {
                    file: rel.display().to_string(),
                    module: module_of(&rel),
                    text: std::fs::read_to_string(&path).expect("source readable"),
                });
            }
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The crate's modules, from its files and the inline `mod` blocks in them.
fn known_modules(sources: &[Source]) -> BTreeSet<Module> {
    struct Mods<'a> {
        module: Module,
        out: &'a mut BTreeSet<Module>,
    }
    impl<'ast> Visit<'ast> for Mods<'_> {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            self.module.push(m.ident.to_string());
            self.out.insert(self.module.clone());
            visit::visit_item_mod(self, m);
            self.module.pop();
        }
    }
    let mut out = BTreeSet::new();
    out.insert(Vec::new());
    for source in sources {
        out.insert(source.module.clone());
        let file = syn::parse_file(&source.text).expect("source parses");
        Mods {
            module: source.module.clone(),
            out: &mut out,
        }
        .visit_file(&file);
    }
    out
}

/// A `pub use`: the module it is in, the name it gives, the path it names.
type Reexport = (Module, String, Vec<String>);

/// Collects the paths one file names.
struct Collector<'a> {
    module: Module,
    known: &'a BTreeSet<Module>,
    named: Vec<Named>,
    reexports: Vec<Reexport>,
}

impl Collector<'_> {
    /// Resolves `segments` as written in the current module.
    fn resolve(&self, segments: &[String], leading_colon: bool) -> Option<Vec<String>> {
        let first = segments.first()?;
        if leading_colon {
            return Some(segments.to_vec());
        }
        let in_crate = |rest: &[String], mut base: Module| {
            base.extend(rest.iter().cloned());
            let mut path = vec!["crate".to_string()];
            path.extend(base);
            path
        };
        match first.as_str() {
            "crate" => Some(in_crate(&segments[1..], Vec::new())),
            "self" => Some(in_crate(&segments[1..], self.module.clone())),
            "super" => {
                let mut base = self.module.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                Some(in_crate(rest, base))
            }
            _ => {
                // A child module of this one (or, at the crate root, a
                // layer), else another crate or a local name.
                let mut child = self.module.clone();
                child.push(first.clone());
                if self.known.contains(&child) {
                    Some(in_crate(segments, self.module.clone()))
                } else {
                    Some(segments.to_vec())
                }
            }
        }
    }

    fn push(&mut self, line: usize, segments: &[String], leading_colon: bool) {
        if let Some(path) = self.resolve(segments, leading_colon) {
            self.named.push(Named { line, path });
        }
    }

    /// Each leaf of a `use` tree, with the name it binds (`None` for a glob).
    fn use_leaves(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        out: &mut Vec<(usize, Vec<String>, Option<String>)>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                Self::use_leaves(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let mut path = prefix.clone();
                let binds = if name == "self" {
                    prefix.last().cloned()
                } else {
                    path.push(name.clone());
                    Some(name)
                };
                out.push((n.ident.span().start().line, path, binds));
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                out.push((
                    r.ident.span().start().line,
                    path,
                    Some(r.rename.to_string()),
                ));
            }
            syn::UseTree::Glob(g) => {
                out.push((g.star_token.span().start().line, prefix.clone(), None));
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    Self::use_leaves(tree, prefix, out);
                }
            }
        }
    }

    /// The paths in a macro's body (`Ident (:: Ident)*`, `$crate::...`),
    /// which `syn` leaves as tokens.
    fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::{Spacing, TokenTree};
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => {
                    self.scan_tokens(g.stream());
                    i += 1;
                }
                TokenTree::Ident(first) => {
                    let line = first.span().start().line;
                    let leading_colon = i >= 2
                        && matches!((&trees[i - 2], &trees[i - 1]),
                            (TokenTree::Punct(a), TokenTree::Punct(b))
                                if a.as_char() == ':' && a.spacing() == Spacing::Joint
                                    && b.as_char() == ':')
                        && !(i >= 3 && matches!(&trees[i - 3], TokenTree::Ident(_)));
                    let dollar = i >= 1
                        && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '$');
                    let mut segments = vec![if dollar && first == "crate" {
                        "crate".to_string()
                    } else {
                        first.to_string()
                    }];
                    let mut j = i + 1;
                    while j + 1 < trees.len() {
                        match (&trees[j], &trees[j + 1], trees.get(j + 2)) {
                            (
                                TokenTree::Punct(a),
                                TokenTree::Punct(b),
                                Some(TokenTree::Ident(next)),
                            ) if a.as_char() == ':'
                                && a.spacing() == Spacing::Joint
                                && b.as_char() == ':' =>
                            {
                                segments.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if segments.len() > 1 || leading_colon {
                        self.push(line, &segments, leading_colon);
                    }
                    i = j;
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => i += 1,
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.module.push(m.ident.to_string());
        visit::visit_item_mod(self, m);
        self.module.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        Self::use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
        let public = !matches!(u.vis, syn::Visibility::Inherited);
        for (line, segments, binds) in leaves {
            if segments.is_empty() {
                continue;
            }
            let before = self.named.len();
            self.push(line, &segments, u.leading_colon.is_some());
            if let (true, Some(name), Some(target)) = (public, binds, self.named.get(before)) {
                self.reexports
                    .push((self.module.clone(), name, target.path.clone()));
            }
        }
        for attr in &u.attrs {
            self.visit_attribute(attr);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let keyword = segments
            .first()
            .is_some_and(|s| matches!(s.as_str(), "crate" | "self" | "super"));
        if segments.len() > 1 || keyword || p.leading_colon.is_some() {
            self.push(p.span().start().line, &segments, p.leading_colon.is_some());
        }
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.scan_tokens(m.tokens.clone());
        visit::visit_macro(self, m);
    }

    /// `#[derive(diesel::Queryable)]`, `#[diesel(table_name = crate::x)]`.
    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.scan_tokens(m.tokens.clone());
        visit::visit_meta_list(self, m);
    }
}

/// What one file names, and the re-exports it declares.
fn parse(
    module: &Module,
    code: &str,
    known: &BTreeSet<Module>,
) -> syn::Result<(Vec<Named>, Vec<Reexport>)> {
    let file = syn::parse_file(code)?;
    let mut collector = Collector {
        module: module.clone(),
        known,
        named: Vec::new(),
        reexports: Vec::new(),
    };
    collector.visit_file(&file);
    Ok((collector.named, collector.reexports))
}

/// The crate's re-exports, `crate::model::UserId` → `crate::model::ids::UserId`.
type Reexports = BTreeMap<Vec<String>, Vec<String>>;

/// A path with its re-exports followed to where the item is defined.
fn canonical(path: &[String], reexports: &Reexports) -> Vec<String> {
    let mut path = path.to_vec();
    for _ in 0..8 {
        let hit = (1..=path.len())
            .rev()
            .find_map(|n| reexports.get(&path[..n]).map(|to| (n, to)));
        match hit {
            Some((n, to)) if to.as_slice() != &path[..n] => {
                let mut next = to.clone();
                next.extend_from_slice(&path[n..]);
                path = next;
            }
            _ => break,
        }
    }
    path
}

/// The rules: layer → the `crate` paths it may name besides its own.
type Rules = BTreeMap<String, Vec<Vec<String>>>;

/// The layer table of `docs/architecture.md`: a row per layer
/// (`` `src/x/` `` or `` `x.rs` ``), whose "may use" column lists, in
/// backticks, the layers or the modules of a layer it may name.
fn rules_from_doc(doc: &str) -> Rules {
    let mut rules = Rules::new();
    let mut may_use_column = None;
    for line in doc.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() < 2 {
            may_use_column = None;
            continue;
        }
        if let Some(n) = cells.iter().position(|c| *c == "may use") {
            may_use_column = Some(n);
            continue;
        }
        let Some(column) = may_use_column else {
            continue;
        };
        let Some(layer) = cells[0]
            .strip_prefix('`')
            .and_then(|c| c.strip_suffix('`'))
            .map(|c| c.trim_start_matches("src/"))
            .map(|c| c.trim_end_matches('/').trim_end_matches(".rs"))
        else {
            continue;
        };
        let allowed = cells
            .get(column)
            .unwrap_or(&"")
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|p| {
                let mut path = vec!["crate".to_string()];
                path.extend(p.split("::").map(str::to_string));
                path
            })
            .collect();
        rules.insert(layer.to_string(), allowed);
    }
    rules
}

fn doc_rules() -> Rules {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("doc readable");
    rules_from_doc(&doc)
}

/// Every path of `sources` that leaves its layer for one its row does not
/// list, as `file:line: layer names path`.
fn layer_violations(sources: &[Source], rules: &Rules) -> Vec<String> {
    let known = known_modules(sources);
    let mut reexports = Reexports::new();
    let mut parsed = Vec::new();
    for source in sources {
        let (named, exported) = parse(&source.module, &source.text, &known)
            .unwrap_or_else(|e| panic!("{}: {e}", source.file));
        for (module, name, target) in exported {
            let mut key = vec!["crate".to_string()];
            key.extend(module);
            key.push(name);
            reexports.insert(key, target);
        }
        parsed.push((source, named));
    }
    let mut found = Vec::new();
    for (source, named) in parsed {
        let Some(layer) = source.module.first() else {
            continue; // lib.rs: the crate root declares the layers.
        };
        let Some(allowed) = rules.get(layer) else {
            found.push(format!(
                "{}: layer `{layer}` has no row in docs/architecture.md",
                source.file
            ));
            continue;
        };
        for Named { line, path } in named {
            if path.first().map(String::as_str) != Some("crate") || path.len() < 2 {
                continue;
            }
            let path = canonical(&path, &reexports);
            let Some(other) = path.get(1) else { continue };
            if !known.contains(std::slice::from_ref(other)) {
                // Not a module of the crate: a `super::` in a macro that
                // makes modules of its own (diesel's `table!`).
                continue;
            }
            let ok = other == layer || allowed.iter().any(|a| path.starts_with(a));
            if !ok {
                found.push(format!(
                    "src/{}:{line}: {layer} names {} (its row allows: {})",
                    source.file,
                    path[1..].join("::"),
                    allowed
                        .iter()
                        .map(|a| a[1..].join("::"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    found.dedup();
    found
}

/// Every path of `domain`'s sources into an I/O crate.
fn io_violations(sources: &[Source]) -> Vec<String> {
    let known = known_modules(sources);
    let mut found = Vec::new();
    for source in sources {
        if source.module.first().map(String::as_str) != Some("domain") {
            continue;
        }
        let (named, _) = parse(&source.module, &source.text, &known)
            .unwrap_or_else(|e| panic!("{}: {e}", source.file));
        for Named { line, path } in named {
            let joined = path.join("::");
            if let Some(krate) = IO_CRATES
                .iter()
                .find(|k| joined == **k || joined.starts_with(&format!("{k}::")))
            {
                found.push(format!(
                    "src/{}:{line}: domain names {krate} ({joined})",
                    source.file
                ));
            }
        }
    }
    found.dedup();
    found
}

#[test]
fn layers_depend_one_way() {
    let rules = doc_rules();
    let sources = sources();
    let layers: BTreeSet<&String> = sources.iter().filter_map(|s| s.module.first()).collect();
    for layer in rules.keys() {
        assert!(
            layers.contains(layer),
            "docs/architecture.md has a row for `{layer}`, which is no module of src/"
        );
    }
    let found = layer_violations(&sources, &rules);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn the_pure_rules_use_no_io_crate() {
    let found = io_violations(&sources());
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

/// The tree with one more file, held in memory, checked with the doc's own
/// rules: what is found in that file.
fn check_planted(file: &str, code: &str) -> Vec<String> {
    let mut sources = sources();
    let rel = Path::new(file);
    let planted = Source {
        file: file.to_string(),
        module: module_of(rel),
        text: code.to_string(),
    };
    sources.retain(|s| s.file != file);
    sources.push(planted);
    let found = layer_violations(&sources, &doc_rules());
    found
        .into_iter()
        .filter(|f| f.starts_with(&format!("src/{file}:")))
        .collect()
}

#[test]
fn the_check_notices_every_form_of_a_forbidden_path() {
    // (file, code, what must be reported): a nested use, a multi-line nested
    // use, `super::super::`, deeper `super::` from a `mod.rs`, a path in
    // code, a renamed import, a glob, a path in a type, paths in a closure
    // and a macro's body, `super::` from an inline module; the re-export
    // followed to a module domain may not use; another layer's row.
    let planted: &[(&str, &str, &str)] = &[
        (
            "graphql/planted.rs",
            "use crate::{store::x};\n",
            "graphql/planted.rs:1: graphql names store::x",
        ),
        (
            "graphql/planted.rs",
            "use crate::{\n    model::UserId,\n    service::{\n        self,\n        store_like,\n    },\n    store::{\n        ledger::{Entry, append},\n    },\n};\n",
            "graphql/planted.rs:8: graphql names store::ledger::Entry",
        ),
        (
            "graphql/planted.rs",
            "use super::super::store::ledger;\n",
            "graphql/planted.rs:1: graphql names store::ledger",
        ),
        (
            "graphql/types/planted/mod.rs",
            "fn f() { super::super::super::store::ledger::find(); }\n",
            "graphql/types/planted/mod.rs:1: graphql names store::ledger::find",
        ),
        (
            "graphql/planted.rs",
            "async fn f() {\n    let _ = crate::store::ledger::find().await;\n}\n",
            "graphql/planted.rs:2: graphql names store::ledger::find",
        ),
        (
            "graphql/planted.rs",
            "use crate::store as db;\nfn f() { db::ledger::find(); }\n",
            "graphql/planted.rs:1: graphql names store",
        ),
        (
            "graphql/planted.rs",
            "use crate::store::*;\n",
            "graphql/planted.rs:1: graphql names store",
        ),
        (
            "graphql/planted.rs",
            "fn f() -> crate::store::StoreError { todo!() }\n",
            "graphql/planted.rs:1: graphql names store::StoreError",
        ),
        (
            "graphql/planted.rs",
            "fn f() { tokio::spawn(async { crate::store::ledger::find().await }); }\n",
            "graphql/planted.rs:1: graphql names store::ledger::find",
        ),
        (
            "graphql/planted.rs",
            "fn f() { let _ = format!(\"{:?}\", crate::store::ledger::find()); }\n",
            "graphql/planted.rs:1: graphql names store::ledger::find",
        ),
        (
            "graphql/planted.rs",
            "mod inner {\n    use super::super::super::store;\n}\n",
            "graphql/planted.rs:2: graphql names store",
        ),
        (
            "domain/planted.rs",
            "use crate::model::User;\n",
            "domain/planted.rs:1: domain names model::records::User",
        ),
        (
            "store/planted.rs",
            "use crate::cache;\n",
            "store/planted.rs:1: store names cache",
        ),
    ];
    let mut report = Vec::new();
    for (file, code, expected) in planted {
        let found = check_planted(file, code);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(&format!("src/{expected} ("))),
            "planted in {file}:\n{code}\nexpected `{expected}`, found {found:#?}"
        );
        report.extend(found);
    }
    println!("{}", report.join("\n"));

    // And what the rules allow passes.
    for (file, code) in [
        (
            "graphql/planted.rs",
            "use crate::{model::UserId, service::{self, sign_in}};\n",
        ),
        (
            "graphql/planted.rs",
            "use crate::cache::persisted_queries::Apq;\n",
        ),
        (
            "graphql/types/planted.rs",
            "use super::super::errors::ApiError;\nuse super::Foo;\n",
        ),
        (
            "domain/planted.rs",
            "use crate::model::{LedgerKind, UserId};\n",
        ),
    ] {
        let found = check_planted(file, code);
        assert!(found.is_empty(), "{code}: {found:#?}");
    }
}

#[test]
fn the_check_notices_an_io_crate_in_domain() {
    for code in [
        "use tokio::sync::Mutex;\n",
        "use ::redis as r;\n",
        "fn f() { let _ = diesel::sql_query(\"select 1\"); }\n",
        "#[tokio::test]\nasync fn t() {}\n",
        "use {std::fs, axum::Router};\n",
        "#[derive(Debug, diesel::Queryable)]\nstruct Row;\n",
    ] {
        let sources = vec![Source {
            file: "domain/planted.rs".into(),
            module: vec!["domain".into(), "planted".into()],
            text: code.into(),
        }];
        assert!(!io_violations(&sources).is_empty(), "{code}");
    }
}

#[test]
fn the_doc_table_is_read() {
    let rules = doc_rules();
    for layer in [
        "http",
        "graphql",
        "jobs",
        "service",
        "after_commit",
        "domain",
        "model",
        "store",
        "cache",
        "events",
    ] {
        assert!(rules.contains_key(layer), "no rule for {layer}: {rules:?}");
    }
    let known = known_modules(&sources());
    for (layer, allowed) in &rules {
        for path in allowed {
            assert!(
                known.contains(&path[1..]),
                "docs/architecture.md: `{layer}` may use `{}`, which is no module of src/",
                path[1..].join("::")
            );
        }
    }
    assert!(rules["clock"].is_empty());
    assert!(rules["jobs"].contains(&vec![
        "crate".to_string(),
        "after_commit".to_string(),
        "queue".to_string()
    ]));
}

/// Issue 23: the nine packages of the product's stack are dependencies,
/// and each is used where its job is done (a use of its API in the file
/// that does that job). The behaviour tests (`http`, `realtime`, `cache`,
/// `jobs`, the loaders') show each on the live path.
#[test]
fn the_named_stack_is_on_the_live_path() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
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

/// Whether an item is compiled only for tests (`#[cfg(test)]`).
fn is_test_only(item: &syn::Item) -> bool {
    let attrs = match item {
        syn::Item::Use(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Const(i) => &i.attrs,
        _ => return false,
    };
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

/// The circles among the files of `domain` (tests aside): each as the
/// files it goes through, the first repeated at its end.
fn domain_circles(sources: &[Source]) -> Vec<Vec<String>> {
    let known = known_modules(sources);
    let domain: Vec<&Source> = sources
        .iter()
        .filter(|s| s.module.first().map(String::as_str) == Some("domain"))
        .collect();
    let files: BTreeSet<Module> = domain.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for source in &domain {
        let mut file =
            syn::parse_file(&source.text).unwrap_or_else(|e| panic!("{}: {e}", source.file));
        file.items.retain(|item| !is_test_only(item));
        let mut collector = Collector {
            module: source.module.clone(),
            known: &known,
            named: Vec::new(),
            reexports: Vec::new(),
        };
        collector.visit_file(&file);
        for Named { path, .. } in collector.named {
            if path.first().map(String::as_str) != Some("crate") {
                continue;
            }
            // The file the path leads into: its longest module prefix.
            let target = (1..path.len())
                .rev()
                .map(|n| path[1..=n].to_vec())
                .find(|m| files.contains(m));
            // A parent module (`mod.rs`) only declares its children.
            if let Some(target) = target.filter(|t| !source.module.starts_with(t)) {
                edges
                    .entry(source.module.clone())
                    .or_default()
                    .insert(target);
            }
        }
    }
    // Depth-first, each file once; a file met again on the current path
    // closes a circle.
    fn visit(
        file: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
        circles: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = path.iter().position(|m| m == file) {
            let mut circle: Vec<String> = path[at..].iter().map(|m| m.join("::")).collect();
            circle.push(file.join("::"));
            circles.push(circle);
            return;
        }
        if !done.insert(file.clone()) {
            return;
        }
        path.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            visit(next, edges, path, done, circles);
        }
        path.pop();
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for file in &files {
        visit(file, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    circles
}

/// Issue 25 (2): `domain`'s files import one another one way.
#[test]
fn domain_has_no_import_circle() {
    let circles = domain_circles(&sources());
    assert!(circles.is_empty(), "import circles in domain: {circles:?}");
}

#[test]
fn the_circle_check_finds_a_planted_circle() {
    let planted = |file: &str, module: &[&str], text: &str| Source {
        file: file.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        text: text.into(),
    };
    let sources = vec![
        planted(
            "domain/mod.rs",
            &["domain"],
            "pub mod a; pub mod b; pub mod c;",
        ),
        planted(
            "domain/a.rs",
            &["domain", "a"],
            "use super::b::B; pub struct A;",
        ),
        planted(
            "domain/b.rs",
            &["domain", "b"],
            "use crate::domain::c::C; pub struct B;",
        ),
        planted(
            "domain/c.rs",
            &["domain", "c"],
            "use super::a::A; pub struct C; #[cfg(test)] use super::b::B;",
        ),
    ];
    assert_eq!(
        domain_circles(&sources),
        vec![vec![
            "domain::a".to_string(),
            "domain::b".into(),
            "domain::c".into(),
            "domain::a".into()
        ]]
    );
    // The same imports made only in tests are no circle.
    let mut tests_only = sources;
    tests_only[3].text = "pub struct C; #[cfg(test)] use super::a::A;".into();
    assert!(domain_circles(&tests_only).is_empty());
}
