//! The API as a client sees it, against real PostgreSQL and Redis.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/process.rs"]
mod process;

mod accounts;
mod admin;
mod admin_audit;
mod apq;
mod architecture;
mod cache;
mod cancellation;
mod cli;
mod export;
mod history;
mod http;
mod jobs;
mod loaders;
mod migration_streak_protection;
mod migrations;
mod observability;
mod protection;
mod response_shape;
mod schedules;
mod schema_contract;
mod security;
mod sessions;
mod sign_in;
mod storable_text;
mod strict_input;
mod time_zones;
mod wallet;
mod webhooks;
