//! The committed schema is the code's, and contains the contract as the product implements it
//! (`docs/contract/schema.graphql`, the repository's own copy).

use async_graphql_parser::types::{ServiceDocument, TypeKind, TypeSystemDefinition};
use std::collections::BTreeMap;

const CONTRACT: &str = include_str!("../../docs/contract/schema.graphql");

/// type name -> (kind, field or value name -> "args -> type")
type Shape = BTreeMap<String, (String, BTreeMap<String, String>)>;

fn shape(sdl: &str) -> Shape {
    let doc: ServiceDocument = async_graphql_parser::parse_schema(sdl).expect("SDL parses");
    let mut out = Shape::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = t.node;
        let (kind, members) = match t.kind {
            TypeKind::Scalar => ("scalar", BTreeMap::new()),
            TypeKind::Object(o) => (
                "object",
                o.fields
                    .into_iter()
                    .map(|f| {
                        let f = f.node;
                        let args: Vec<String> = f
                            .arguments
                            .iter()
                            .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                            .collect();
                        (
                            f.name.node.to_string(),
                            format!("({}) -> {}", args.join(", "), f.ty.node),
                        )
                    })
                    .collect(),
            ),
            TypeKind::Enum(e) => (
                "enum",
                e.values
                    .into_iter()
                    .map(|v| (v.node.value.node.to_string(), String::new()))
                    .collect(),
            ),
            other => panic!("unexpected kind in the contract: {other:?}"),
        };
        out.insert(t.name.node.to_string(), (kind.to_owned(), members));
    }
    out
}

#[test]
fn committed_schema_is_the_codes() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(
        committed,
        signin_rewards::graphql::sdl(),
        "schema.graphql is stale: run `signin-rewards schema > schema.graphql`"
    );
}

#[test]
fn schema_contains_the_whole_contract() {
    let ours = shape(&signin_rewards::graphql::sdl());
    let contract = shape(CONTRACT);
    let mut missing = Vec::new();
    for (name, (kind, members)) in &contract {
        match ours.get(name) {
            None => missing.push(format!("type {name}")),
            Some((our_kind, _)) if our_kind != kind => {
                missing.push(format!("{name} is a {our_kind}, not a {kind}"))
            }
            Some((_, our_members)) => {
                for (member, signature) in members {
                    match our_members.get(member) {
                        None => missing.push(format!("{name}.{member}")),
                        Some(ours) if ours != signature => {
                            missing.push(format!("{name}.{member}: {ours} instead of {signature}"))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the schema departs from the contract:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_comparison_notices_a_departure() {
    let contract = shape(CONTRACT);
    let tampered = shape(&CONTRACT.replace("cycleDay: Int!", "cycleDay: Int"));
    assert_ne!(contract, tampered);
}
