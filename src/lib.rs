//! signin-rewards: a GraphQL service that rewards people for signing in
//! every day.
//!
//! Layers, outermost first: `http` and `graphql` (transport and API) and
//! `jobs` (background work) call `service` (use cases), which applies the
//! pure rules of `domain` to data from `store` (PostgreSQL) and `cache`
//! (Redis), and hands what it committed to `after_commit` (cache
//! invalidation, `events`, the job queue). `domain` depends on nothing but
//! `model`'s ids and enums. `model` holds the typed ids, enums and records
//! every layer shares; `schema` is diesel's view of the tables. See
//! `docs/architecture.md`.

pub mod after_commit;
pub mod app;
pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod domain;
pub mod events;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod model;
pub mod schema;
pub mod service;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod webhook_client;
