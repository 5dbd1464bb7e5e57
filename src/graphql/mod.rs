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

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{ErrorExtensionValues, Response, Schema, SchemaBuilder, Value};

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
        .extension(DefaultErrorCode);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// Errors raised by async-graphql itself (syntax, validation, limits,
/// malformed arguments) carry no code: they are the client's, so they get
/// `BAD_USER_INPUT`. Every error the service raises has its own code.
struct DefaultErrorCode;

impl ExtensionFactory for DefaultErrorCode {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DefaultErrorCode)
    }
}

#[async_trait::async_trait]
impl Extension for DefaultErrorCode {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let extensions = error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            if extensions.get("code").is_none() {
                extensions.set("code", Value::from("BAD_USER_INPUT"));
            }
        }
        response
    }
}
