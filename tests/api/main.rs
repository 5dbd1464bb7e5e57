//! The API as a client sees it, against real PostgreSQL and Redis.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod jobs;
mod schema_contract;
mod sign_in;
mod wallet;
