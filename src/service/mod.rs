//! Application services: each public function is one use case. They apply
//! the domain's rules to data from the store, commit, then hand what they
//! changed to `after_commit` in one call (caches, events, jobs). The GraphQL
//! layer, the command line and the jobs call these.

pub mod accounts;
pub mod admin;
pub mod admin_audit;
pub mod cached;
pub mod error;
pub mod export;
pub mod history;
pub mod page;
pub mod protection;
pub mod reminders;
pub mod schedules;
pub mod sessions;
pub mod sign_in;
pub mod streak;
pub mod time_zone;
pub mod unit_of_work;
pub mod wallet;
pub mod webhooks;

pub use error::{Input, ServiceError, Unavailable};
pub use page::Page;
pub use unit_of_work::to_completion;
