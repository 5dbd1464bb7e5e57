//! Parts of an answer written as JSON text by their resolver.
//!
//! async-graphql answers with a value tree, which the HTTP layer then writes
//! as JSON. For an admin's history (a 100-user month: ~3,100 day objects,
//! ~240 KB) building that tree, writing it and freeing it was most of the
//! request's CPU. A resolver that can write its answer directly returns it
//! as a [`fragment`]: a `Value::Binary` holding JSON text, which
//! [`write_data`] copies into the body as it is.
//!
//! Only an answer written by [`write_data`] may hold fragments. A resolver
//! writes one only when the request carries [`JsonFragments`] (the HTTP
//! layer adds it; answers sent over a WebSocket, or serialised by serde
//! anywhere else, never hold one), and no output type of the schema gives
//! `Value::Binary` otherwise.
//!
//! async-graphql also looks into answers once: it merges the answers of a
//! field selected twice under one key (objects key by key, lists item by
//! item), and a fragment is neither, so one answer would be dropped. The
//! HTTP layer adds [`JsonFragments`] only for documents that select no
//! field with a sub-selection twice ([`allowed_for`]).

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Field, SelectionSet};
use async_graphql::Value;

use super::response_shape::collect_fields;

/// Request data: the answer is written by [`write_data`], so resolvers may
/// answer with [`fragment`]s.
#[derive(Debug, Clone, Copy)]
pub struct JsonFragments;

/// Whether the answers of `document` may hold fragments: not when one of
/// its operations selects a field that has a sub-selection more than once
/// under one response key, directly or through fragments (whatever their
/// type conditions and directives: a document that might merge is treated
/// as one that does).
pub fn allowed_for(document: &ExecutableDocument) -> bool {
    document
        .operations
        .iter()
        .all(|(_, operation)| !merges(document, &operation.node.selection_set.node))
}

/// Whether `set`, or a selection under it, selects a field that has a
/// sub-selection twice under one key.
fn merges(document: &ExecutableDocument, set: &SelectionSet) -> bool {
    let mut by_key: HashMap<&str, &Field> = HashMap::new();
    for field in collect_fields(document, &[set]) {
        if field.selection_set.node.items.is_empty() {
            continue;
        }
        if by_key
            .insert(field.response_key().node.as_str(), field)
            .is_some()
        {
            return true;
        }
    }
    by_key
        .values()
        .any(|field| merges(document, &field.selection_set.node))
}

/// A resolver's answer already written as JSON (`json` must be one JSON
/// value, UTF-8): copied into the body as it is by [`write_data`].
pub fn fragment(json: Vec<u8>) -> Value {
    Value::Binary(json.into())
}

/// The size of an answer: its value tree's nodes (what freeing it costs
/// goes by these) and the bytes of its fragments (most of a large answer's
/// JSON text, when it has fragments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub nodes: usize,
    pub fragment_bytes: usize,
}

/// The [`Size`] of `value`.
pub fn size(value: &Value) -> Size {
    let mut total = Size {
        nodes: 1,
        fragment_bytes: 0,
    };
    let mut add = |item: &Value| {
        let s = size(item);
        total.nodes += s.nodes;
        total.fragment_bytes += s.fragment_bytes;
    };
    match value {
        Value::Binary(json) => total.fragment_bytes = json.len(),
        Value::List(items) => items.iter().for_each(&mut add),
        Value::Object(entries) => entries.values().for_each(&mut add),
        _ => {}
    }
    total
}

/// Appends `value` to `out` as JSON: what serde_json writes for it, except
/// that a [`fragment`] is copied as it is. Fails only if serde_json fails to
/// write a string or a number (it does not, writing to memory).
pub fn write_data(out: &mut Vec<u8>, value: &Value) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => serde_json::to_writer(&mut *out, n)?,
        Value::String(s) => serde_json::to_writer(&mut *out, s.as_str())?,
        Value::Enum(name) => serde_json::to_writer(&mut *out, name.as_str())?,
        Value::Binary(json) => out.extend_from_slice(json),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_data(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(entries) => {
            out.push(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key.as_str())?;
                out.push(b':');
                write_data(out, item)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::indexmap::IndexMap;
    use async_graphql::Name;

    fn object(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (Name::new(k), v))
                .collect::<IndexMap<_, _>>(),
        )
    }

    fn written(value: &Value) -> String {
        let mut out = Vec::new();
        write_data(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_tree_without_fragments_is_written_as_serde_json_writes_it() {
        let tree = object(vec![
            ("null", Value::Null),
            ("yes", Value::Boolean(true)),
            ("no", Value::Boolean(false)),
            ("int", Value::from(-42)),
            ("big", Value::from(9_007_199_254_740_993_i64)),
            ("float", Value::from(1.5)),
            (
                "text",
                Value::from("quote \" backslash \\ newline \n tab \t nul \u{0} é 🦀"),
            ),
            ("enum", Value::Enum(Name::new("SIGN_IN"))),
            ("empty list", Value::List(vec![])),
            ("empty object", object(vec![])),
            (
                "key \"quoted\"",
                Value::List(vec![
                    object(vec![("a", Value::from(1))]),
                    Value::List(vec![Value::Null, Value::from("x")]),
                ]),
            ),
        ]);
        assert_eq!(written(&tree), serde_json::to_string(&tree).unwrap());
    }

    #[test]
    fn documents_that_select_an_object_field_twice_under_one_key_get_no_fragments() {
        let cases = [
            ("{ a { b } }", true),
            ("{ a { b } x: a { c } }", true),
            ("{ a { b } c c }", true),
            ("{ a { b } a { c } }", false),
            ("{ a { b } ...F } fragment F on Q { a { c } }", false),
            ("{ a { b } ... on Q { a { c } } }", false),
            ("{ a { b } a @skip(if: true) { c } }", false),
            ("{ a { d { e } d { f } } }", false),
            (
                "{ a { d { e } } ...F } fragment F on Q { x: d { f } }",
                true,
            ),
            ("query A { a { b } } query B { a { b } a { c } }", false),
            ("{ ...F ...F } fragment F on Q { a { b } }", true),
        ];
        for (text, allowed) in cases {
            let document = async_graphql::parser::parse_query(text).unwrap();
            assert_eq!(allowed_for(&document), allowed, "{text}");
        }
    }

    #[test]
    fn a_size_counts_nodes_and_fragment_bytes() {
        let tree = object(vec![
            ("a", fragment(b"[1,2]".to_vec())),
            (
                "b",
                Value::List(vec![Value::Null, fragment(b"{}".to_vec())]),
            ),
        ]);
        assert_eq!(
            size(&tree),
            Size {
                nodes: 5,
                fragment_bytes: 7
            }
        );
    }

    #[test]
    fn fragments_are_copied_as_they_are() {
        let tree = object(vec![
            ("a", fragment(br#"[{"x":1},{"x":null}]"#.to_vec())),
            (
                "b",
                Value::List(vec![fragment(b"{}".to_vec()), Value::Null]),
            ),
        ]);
        assert_eq!(
            written(&tree),
            r#"{"a":[{"x":1},{"x":null}],"b":[{},null]}"#
        );
    }
}
