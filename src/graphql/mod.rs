//! The GraphQL API: schema root, resolvers by area, guards, loaders, and the
//! single mapping from application errors to `extensions.code`.

pub mod api;
pub mod complexity;
pub mod context;
pub mod documents;
pub mod errors;
pub mod fragment_budget;
pub mod guards;
pub mod loaders;
pub mod mutation;
pub mod operations;
pub mod persisted;
pub mod query;
pub mod read_ahead;
pub mod response_shape;
pub mod subscription;
pub mod typename_directives;
pub mod types;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder, ValidationMode};

use crate::cache::persisted_queries::PersistedQueryStore;
use crate::config::GraphqlLimits;
use crate::state::AppState;

pub use api::GraphqlApi;
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

/// The schema that serves requests, with its limits. No extension is
/// registered (see [`api`] for why). It validates every request in
/// async-graphql's default `Strict` mode. Without introspection (the
/// production default) it also gives no "Did you mean ...?" suggestions,
/// which would name the fields introspection hides.
pub fn build(state: Arc<AppState>, limits: &GraphqlLimits) -> GraphqlApi {
    let persisted = PersistedQueryStore::with_budget(
        state.redis.clone(),
        state.keys.clone(),
        limits.persisted_bytes_per_hour,
    );
    let loaders = Arc::new(loaders::Loaders::new(state.clone()));
    let schema = |mode, max_complexity| {
        let mut builder = builder()
            .data(loaders.clone())
            .data(state.clone())
            .validation_mode(mode)
            .limit_depth(limits.max_depth)
            .limit_complexity(max_complexity)
            .limit_recursive_depth(fragment_budget::MAX_FRAGMENT_DEPTH);
        if !limits.introspection {
            builder = builder.disable_introspection().disable_suggestions();
        }
        builder.finish()
    };
    let validating = |max_complexity| api::Validating {
        strict: schema(ValidationMode::Strict, max_complexity),
        fast: schema(ValidationMode::Fast, max_complexity),
    };
    let budgets = api::Budgets {
        user: validating(limits.max_complexity),
        admin: validating(limits.max_admin_complexity),
        admin_fields: Arc::new(query::admin_fields()),
    };
    GraphqlApi::new(budgets, persisted, limits.max_fields, state, loaders)
}
