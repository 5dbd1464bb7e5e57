//! The streak: the chain of signed, made-up and frozen dates and the rule
//! that numbers it (`chain`), which date is a user's today in their own
//! time zone (`day`, on `chain`), one user's chain as read (`state`), the
//! status a user sees (`status`), and the settings of streak protection and
//! milestones (`protection`). Imports run one way, with no circle through
//! the rest of `domain` either: `status` needs nothing of the crate
//! outside its tests; `protection` and `rewards` build on `status`; `chain`
//! on `status` and `schedule`; `state` on all of them.

pub mod chain;
pub mod day;
pub mod protection;
pub mod reminder;
pub mod state;
pub mod status;
