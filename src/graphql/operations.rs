//! What a document says about itself, read from its parse alone: how many
//! fields it selects, which operation a request runs, and that operation's
//! label for the metrics. Pure functions of the document (and the schema's
//! field types); the executor (`api`) caches what they find per text.

use std::collections::HashSet;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::Positioned;

use super::response_shape::{self, FieldTypes};

/// Every field selection in the document, in operations and fragments.
/// Iterative: the document's nesting is bounded only by the body size.
pub fn count_fields(document: &ExecutableDocument) -> usize {
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|f| &f.node.selection_set.node),
        )
        .collect();
    let mut fields = 0;
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    fields += 1;
                    pending.push(&f.node.selection_set.node);
                }
                Selection::InlineFragment(f) => pending.push(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    fields
}

/// The operation a request runs (GraphQL's GetOperation): the only one, or
/// the one named; None when the name matches none or several are there and
/// none is named.
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match &document.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name),
            None if ops.len() == 1 => ops.values().next(),
            None => None,
        },
    }
}

/// Whether the selected operation is a query whose root selection (with
/// its inline fragments and spread fragments, each looked at once) names
/// one of `fields`. Unknown fragments count as empty: validation names
/// them.
pub fn selects_any(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    fields: &HashSet<String>,
) -> bool {
    let Some(operation) = selected_operation(document, operation_name) else {
        return false;
    };
    if operation.node.ty != OperationType::Query {
        return false;
    }
    let mut seen = HashSet::new();
    let mut pending = vec![&operation.node.selection_set.node];
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if fields.contains(field.node.name.node.as_str()) {
                        return true;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.insert(name) {
                        if let Some(fragment) = document.fragments.get(name) {
                            pending.push(&fragment.node.selection_set.node);
                        }
                    }
                }
            }
        }
    }
    false
}

/// `query.me`, `mutation.signIn`, ...: the operation's type and first
/// field. None for a field the schema does not have: the label is computed
/// before validation, and a client-chosen name would make a new metrics
/// series per request.
pub fn label_of(
    types: &FieldTypes,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<String> {
    let operation = selected_operation(document, operation_name)?;
    let field = operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .find_map(|item| match &item.node {
            Selection::Field(f) => Some(f.node.name.node.to_string()),
            _ => None,
        })?;
    let root = response_shape::root_type(operation.node.ty);
    types
        .has_field(root, &field)
        .then(|| format!("{}.{field}", operation.node.ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    #[test]
    fn counts_fields_in_operations_and_fragments() {
        let doc = parse("query { a: me { id } b: me { ...F ... on User { id } } } fragment F on User { id username }");
        // a, a.id, b, b.id (inline), F.id, F.username
        assert_eq!(count_fields(&doc), 6);
    }

    #[test]
    fn finds_root_fields_through_fragments_once() {
        let fields: HashSet<String> = ["users".to_owned()].into();
        // (document, operation name, selects `users`)
        let table = [
            ("{ users(ids: []) { id } }", None, true),
            ("{ me { id } }", None, false),
            ("{ me { users: id } }", None, false),
            ("{ ... on Query { users(ids: []) { id } } }", None, true),
            ("{ ...A } fragment A on Query { ...B } fragment B on Query { users(ids: []) { id } }", None, true),
            ("{ ...A ...A } fragment A on Query { ...A }", None, false),
            ("{ ...Missing }", None, false),
            ("query A { me { id } } query B { users(ids: []) { id } }", Some("B"), true),
            ("query A { me { id } } query B { users(ids: []) { id } }", Some("A"), false),
            ("mutation { users { id } }", None, false),
        ];
        for (query, name, expected) in table {
            assert_eq!(
                selects_any(&parse(query), name, &fields),
                expected,
                "{query}"
            );
        }
    }

    #[test]
    fn labels_by_type_and_first_root_field() {
        let types = FieldTypes::from_sdl(&crate::graphql::sdl());
        let label = |doc: &ExecutableDocument, name| label_of(&types, doc, name);
        let doc = parse("query A { me { id } } mutation B { signIn { status { streak } } }");
        assert_eq!(label(&doc, Some("B")).as_deref(), Some("mutation.signIn"));
        assert_eq!(label(&doc, Some("A")).as_deref(), Some("query.me"));
        assert_eq!(label(&doc, Some("C")), None);
        // Several operations and none named: async-graphql refuses it.
        assert_eq!(label(&doc, None), None);
        let single = parse("mutation B { signIn { status { streak } } }");
        assert_eq!(label(&single, None).as_deref(), Some("mutation.signIn"));
        // A field the schema does not have makes no label of its own.
        assert_eq!(label(&parse("{ junk1 }"), None), None);
        assert_eq!(label(&parse("mutation { me { id } }"), None), None);
    }
}
