//! What a document says about itself, read from its parse alone: how many
//! fields it selects, which operation a request runs, and that operation's
//! label for the metrics. Pure functions of the document (and the schema's
//! field types); the executor (`api`) caches what they find per text.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
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
