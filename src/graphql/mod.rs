//! The GraphQL API: schema root, resolvers by area, guards, loaders, and the
//! single mapping from application errors to `extensions.code`.

pub mod context;
pub mod errors;
pub mod guards;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensionValues, Response, Schema, SchemaBuilder, ServerError, ServerResult, Value,
    Variables,
};

use crate::config::GraphqlLimits;
use crate::state::AppState;

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// The schema as SDL: what `signin-rewards schema` prints and
/// `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The schema that serves requests, with its limits.
pub fn build(state: Arc<AppState>, limits: &GraphqlLimits) -> AppSchema {
    let mut builder = builder()
        .data(loaders::Loaders::new(state.clone()))
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .extension(RequestExtension {
            max_fields: limits.max_complexity,
        });
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// Per request: gives errors raised by async-graphql itself (syntax,
/// validation, limits, malformed arguments) the code `BAD_USER_INPUT` (they
/// are the client's; every error the service raises has its own code), and
/// counts the operation by its root field (a bounded label, unlike
/// client-chosen operation names).
/// Also refuses documents that select more than `max_fields` fields in
/// all (aliases and fragments counted): async-graphql's complexity does not
/// count `__typename`, so 5,000 aliased `__typename`s would pass it.
struct RequestExtension {
    max_fields: usize,
}

impl ExtensionFactory for RequestExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationLabel {
            label: Default::default(),
            max_fields: self.max_fields,
        })
    }
}

struct OperationLabel {
    label: std::sync::Mutex<Option<String>>,
    max_fields: usize,
}

/// Every field selection in the document, in operations and fragments.
fn count_fields(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => 1 + in_set(&f.node.selection_set.node),
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

/// `query.me`, `mutation.signIn`, ...: the operation's type and first field.
fn label_of(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<String> {
    let operation = match &document.operations {
        DocumentOperations::Single(op) => op,
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name)?,
            None => ops.values().next()?,
        },
    };
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
    Some(format!("{}.{field}", operation.node.ty))
}

#[async_trait::async_trait]
impl Extension for OperationLabel {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let fields = count_fields(&document);
        if fields > self.max_fields {
            return Err(ServerError::new(
                format!(
                    "Query is too complex: {fields} fields selected, at most {} allowed",
                    self.max_fields
                ),
                None,
            ));
        }
        let operation_name = ctx.data_opt::<OperationName>().map(|n| n.0.as_str());
        *self.label.lock().unwrap_or_else(|p| p.into_inner()) = label_of(&document, operation_name);
        Ok(document)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = std::time::Instant::now();
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let extensions = error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            if extensions.get("code").is_none() {
                extensions.set("code", Value::from("BAD_USER_INPUT"));
            }
        }
        let operation = self
            .label
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| "invalid".into());
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        metrics::counter!("signin_graphql_operations_total", "operation" => operation.clone(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("signin_graphql_operation_duration_seconds", "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        response
    }
}

/// The request's operation name, for the label (async-graphql does not pass
/// it to `parse_query`).
#[derive(Debug, Clone)]
pub struct OperationName(pub String);
