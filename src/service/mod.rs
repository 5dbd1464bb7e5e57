//! Application services: each public function is one use case. They apply
//! the domain's rules to data from the store, commit, then announce the
//! change (events, jobs). The GraphQL layer and the jobs call these.

pub mod accounts;
pub mod admin;
pub mod cached;
pub mod error;
pub mod sign_in;
pub mod wallet;

pub use error::ServiceError;
