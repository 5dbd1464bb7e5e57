//! The schema as the transports use it: HTTP and WebSocket requests both go
//! through [`GraphqlApi`], which adds what every request needs around
//! async-graphql's own execution: the field-count limit, default error
//! codes, operation metrics, and the response shape the specification
//! requires when fields fail (`response_shape`).
//!
//! This is deliberately not an async-graphql extension: with any extension
//! registered, async-graphql resolves every field and every list item
//! through the extension chain (boxed futures and a registry look-up per
//! field), which made a 1000-user history several times slower. Everything
//! here needs the document once per request, not a hook per field.

use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Data, Executor, Positioned, Request, Response, ServerError, Value};
use futures::stream::{self, BoxStream, StreamExt};

use super::response_shape::{self, FieldTypes};
use super::AppSchema;

/// The executable schema with its per-request rules.
#[derive(Clone)]
pub struct GraphqlApi {
    schema: AppSchema,
    /// Most field selections one document may hold.
    max_fields: usize,
    /// The schema's field types, for repairing responses with field errors.
    types: Arc<FieldTypes>,
}

impl GraphqlApi {
    /// `schema` with at most `max_fields` field selections per document.
    pub fn new(schema: AppSchema, max_fields: usize) -> Self {
        let types = Arc::new(FieldTypes::from_sdl(&schema.sdl()));
        Self {
            schema,
            max_fields,
            types,
        }
    }

    /// Parses the document (async-graphql reuses the parse) and refuses
    /// documents that select more than `max_fields` fields in all, aliases
    /// and fragments counted: async-graphql's complexity does not count
    /// `__typename`, so 5,000 aliased `__typename`s would pass it.
    fn admit(&self, request: &mut Request) -> Admission {
        let operation_name = request.operation_name.clone();
        let document = match request.parsed_query() {
            Ok(document) => document,
            Err(error) => {
                return Admission {
                    label: "invalid".to_owned(),
                    refusal: Some(error),
                }
            }
        };
        let label = label_of(&self.types, document, operation_name.as_deref())
            .unwrap_or_else(|| "invalid".into());
        let fields = count_fields(document);
        let refusal = (fields > self.max_fields).then(|| {
            ServerError::new(
                format!(
                    "Query is too complex: {fields} fields selected, at most {} allowed",
                    self.max_fields
                ),
                None,
            )
        });
        Admission { label, refusal }
    }
}

/// What a response needs to be put into shape after execution: the
/// document's text (async-graphql consumes the parsed document; it is
/// parsed again only for a response with field errors) and the operation.
struct Answered {
    query: String,
    operation_name: Option<String>,
}

impl Answered {
    /// Takes the document's text out of an admitted request rather than
    /// copying it on every request: `admit` parsed it, and async-graphql
    /// executes that parse (it reads the text only to parse it again when
    /// no parse is cached, or to hand it to extensions, of which there are
    /// none).
    fn take(request: &mut Request) -> Self {
        Answered {
            query: std::mem::take(&mut request.query),
            operation_name: request.operation_name.clone(),
        }
    }

    /// `response` with its data in the specification's shape.
    fn shape(&self, types: &FieldTypes, mut response: Response) -> Response {
        if response.errors.iter().any(|e| !e.path.is_empty()) {
            if let Ok(document) = async_graphql::parser::parse_query(&self.query) {
                response_shape::conform(
                    types,
                    &document,
                    self.operation_name.as_deref(),
                    &mut response,
                );
            }
        }
        response
    }
}

/// What `admit` decided about a request.
struct Admission {
    /// The operation's label for the metrics.
    label: String,
    /// Why it is not run, if it is not.
    refusal: Option<ServerError>,
}

/// Errors raised by async-graphql itself (syntax, validation, limits,
/// malformed arguments) get the code `BAD_USER_INPUT`: they are the
/// client's, and every error the service raises has its own code.
fn with_default_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
    response
}

/// Counts the operation by its root field (a bounded label, unlike
/// client-chosen operation names).
fn record(operation: String, response: &Response, started: std::time::Instant) {
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    metrics::counter!("signin_graphql_operations_total", "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("signin_graphql_operation_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

impl Executor for GraphqlApi {
    async fn execute(&self, mut request: Request) -> Response {
        let started = std::time::Instant::now();
        let admission = self.admit(&mut request);
        let response = match admission.refusal {
            None => {
                let answered = Answered::take(&mut request);
                let response = self.schema.execute(request).await;
                answered.shape(&self.types, response)
            }
            Some(error) => Response::from_errors(vec![error]),
        };
        let response = with_default_codes(response);
        record(admission.label, &response, started);
        response
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.admit(&mut request).refusal {
            None => {
                let answered = Answered::take(&mut request);
                let types = self.types.clone();
                self.schema
                    .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                    .map(move |response| with_default_codes(answered.shape(&types, response)))
                    .boxed()
            }
            Some(error) => {
                stream::once(async move { with_default_codes(Response::from_errors(vec![error])) })
                    .boxed()
            }
        }
    }
}

/// Every field selection in the document, in operations and fragments.
/// Iterative: the document's nesting is bounded only by the body size.
fn count_fields(document: &ExecutableDocument) -> usize {
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
fn label_of(
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
