//! `__typename @skip(if: $v)` (or `@include`), handed to async-graphql in
//! an equivalent form its validation reads.
//!
//! Upstream flaw (async-graphql 7.2.1, `src/validation/visitor.rs`,
//! `visit_selection`): the validation visitor does not enter a
//! `__typename` field at all, so the variables used in its directives are
//! never seen; `NoUnusedVariables` then refuses a valid document
//! (`query($v: Boolean!) { me { id __typename @skip(if: $v) } }` answers
//! "Variable "$v" is not used"), and the directive's argument is not
//! type-checked either. Execution is right (its `remove_skipped_selection`
//! prunes every selection). No upstream report was found on 2026-12-06
//! (searched async-graphql's issues); the report's text is in
//! `docs/upstream.md`.
//!
//! The rewrite: such a field becomes an inline fragment without a type
//! condition that carries the directives and holds the bare field,
//! `... @skip(if: $v) { __typename }`. The GraphQL specification gives
//! both the same result (§6.3.2 CollectFields: a skipped inline fragment
//! contributes nothing, an included one its fields under the same response
//! key), and async-graphql validates the directives of inline fragments
//! with every rule (known directive and location, argument type, variable
//! use). Only `@skip` and `@include` are moved: both are allowed on inline
//! fragments, which another directive might not be.
//!
//! Runs on the parse before validation, like `fragment_budget`: one pass
//! over each selection set of each definition (spreads are not followed),
//! with an explicit stack, so time and stack are linear in the document.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, InlineFragment, Selection, SelectionSet,
};
use async_graphql::Positioned;

/// Rewrites every `__typename` whose directives are all `@skip`/`@include`
/// into the equivalent inline fragment (see the module doc). Returns how
/// many were rewritten.
pub fn hoist(document: &mut ExecutableDocument) -> usize {
    let mut pending: Vec<&mut SelectionSet> = Vec::new();
    match &mut document.operations {
        DocumentOperations::Single(operation) => {
            pending.push(&mut operation.node.selection_set.node)
        }
        DocumentOperations::Multiple(operations) => {
            for operation in operations.values_mut() {
                pending.push(&mut operation.node.selection_set.node);
            }
        }
    }
    for fragment in document.fragments.values_mut() {
        pending.push(&mut fragment.node.selection_set.node);
    }
    let mut rewritten = 0;
    while let Some(set) = pending.pop() {
        for item in &mut set.items {
            if hoists(&item.node) {
                rewrite(item);
                rewritten += 1;
            }
        }
        for item in &mut set.items {
            match &mut item.node {
                Selection::Field(field) => pending.push(&mut field.node.selection_set.node),
                Selection::InlineFragment(fragment) => {
                    pending.push(&mut fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    rewritten
}

/// A `__typename` field with directives, every one of them `@skip` or
/// `@include`.
fn hoists(selection: &Selection) -> bool {
    match selection {
        Selection::Field(field) => {
            field.node.name.node == "__typename"
                && !field.node.directives.is_empty()
                && field
                    .node
                    .directives
                    .iter()
                    .all(|d| matches!(d.node.name.node.as_str(), "skip" | "include"))
        }
        _ => false,
    }
}

/// `item` (a field that [`hoists`]) as an inline fragment holding it
/// without its directives.
fn rewrite(item: &mut Positioned<Selection>) {
    let pos = item.pos;
    let placeholder = Selection::InlineFragment(Positioned::new(
        InlineFragment {
            type_condition: None,
            directives: Vec::new(),
            selection_set: Positioned::new(SelectionSet::default(), pos),
        },
        pos,
    ));
    let Selection::Field(mut field) = std::mem::replace(&mut item.node, placeholder) else {
        return;
    };
    let directives = std::mem::take(&mut field.node.directives);
    item.node = Selection::InlineFragment(Positioned::new(
        InlineFragment {
            type_condition: None,
            directives,
            selection_set: Positioned::new(
                SelectionSet {
                    items: vec![Positioned::new(Selection::Field(field), pos)],
                },
                pos,
            ),
        },
        pos,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(query: &str) -> (usize, String) {
        let mut document = async_graphql::parser::parse_query(query).unwrap();
        let n = hoist(&mut document);
        (n, format!("{document:?}"))
    }

    #[test]
    fn moves_skip_and_include_off_typename_only() {
        // (document, fields rewritten)
        let table = [
            ("query($v: Boolean!) { me { id __typename @skip(if: $v) } }", 1),
            ("query($v: Boolean!) { t: __typename @include(if: $v) }", 1),
            (
                "query($v: Boolean!) { me { ...F } } fragment F on User { __typename @skip(if: $v) @include(if: true) }",
                1,
            ),
            ("{ me { __typename } }", 0),
            ("query($v: Boolean!) { me { id @skip(if: $v) } }", 0),
            // Another directive may not be allowed on an inline fragment.
            ("{ __typename @deprecated }", 0),
            ("{ __typename @skip(if: true) @other }", 0),
            (
                "query($v: Boolean!) { a: me { ... on User { __typename @skip(if: $v) } } b: me { __typename @skip(if: $v) } }",
                2,
            ),
        ];
        for (query, expected) in table {
            assert_eq!(rewritten(query).0, expected, "{query}");
        }
    }

    #[test]
    fn the_alias_and_the_directives_move_with_the_field() {
        let mut document = async_graphql::parser::parse_query(
            "query($v: Boolean!) { t: __typename @skip(if: $v) }",
        )
        .unwrap();
        hoist(&mut document);
        let (_, operation) = document.operations.iter().next().unwrap();
        let Selection::InlineFragment(fragment) = &operation.node.selection_set.node.items[0].node
        else {
            panic!("not an inline fragment");
        };
        assert!(fragment.node.type_condition.is_none());
        assert_eq!(fragment.node.directives[0].node.name.node, "skip");
        let Selection::Field(field) = &fragment.node.selection_set.node.items[0].node else {
            panic!("not a field");
        };
        assert!(field.node.directives.is_empty());
        assert_eq!(field.node.response_key().node, "t");
    }
}
