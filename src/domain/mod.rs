//! Pure rules of the product: no I/O, no clock, no database. Everything here
//! is decided from its arguments, so it is unit-tested by tables.

pub mod account;
pub mod money;
pub mod rewards;
pub mod schedule;
pub mod streak;
pub mod text;
pub mod webhook;
