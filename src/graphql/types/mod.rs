//! The API's object types, one file per area.

pub mod account;
pub mod admin_audit;
pub mod ids;
pub mod paging;
pub mod scalars;
pub mod schedule;
pub mod sign_in;
pub mod user;
pub mod wallet;
pub mod webhook;
