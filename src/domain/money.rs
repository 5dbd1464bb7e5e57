//! Wallet arithmetic: whole points, never negative, idempotent operations.

use crate::model::LedgerKind;

use super::text::{self, TextError};

/// The largest balance a wallet can hold (the API speaks 32-bit `Int`).
pub const MAX_BALANCE: i64 = i32::MAX as i64;
/// Idempotency keys are opaque client strings of bounded length.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;
pub const MAX_NOTE_LEN: usize = 500;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("the amount must be a positive whole number of points")]
    NotPositive,
    #[error("the amount must not be zero")]
    Zero,
    #[error("insufficient funds: the balance is {balance}, {requested} requested")]
    InsufficientFunds { balance: i64, requested: i64 },
    #[error("the balance would exceed the maximum of {MAX_BALANCE} points")]
    BalanceTooLarge,
    #[error("this idempotency key was already used for a different operation")]
    IdempotencyConflict,
    #[error("the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters")]
    BadIdempotencyKey,
    #[error("the note must be at most {MAX_NOTE_LEN} characters")]
    NoteTooLong,
    /// The idempotency key holds NUL or another control character.
    #[error("the idempotency key {0}")]
    IdempotencyKeyText(TextError),
    /// The note holds NUL or a control character other than a line break or tab.
    #[error("the note {0}")]
    NoteText(TextError),
}

/// A requested change to a wallet: the signed amount the ledger row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub kind: LedgerKind,
    pub amount: i64,
}

impl Change {
    /// A user's spend of `amount` points (a debit).
    pub fn spend(amount: i64) -> Result<Self, MoneyError> {
        if amount <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Change {
            kind: LedgerKind::Spend,
            amount: -amount,
        })
    }

    /// An admin's correction: positive credits, negative debits.
    pub fn adjustment(amount: i64) -> Result<Self, MoneyError> {
        if amount == 0 {
            return Err(MoneyError::Zero);
        }
        Ok(Change {
            kind: LedgerKind::Adjustment,
            amount,
        })
    }

    pub fn reward(amount: i64) -> Result<Self, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Change {
            kind: LedgerKind::SignInReward,
            amount,
        })
    }

    /// A make-up sign-in's fee of `cost` points (a debit; 0 when free).
    pub fn make_up_fee(cost: u32) -> Self {
        Change {
            kind: LedgerKind::MakeUpFee,
            amount: -i64::from(cost),
        }
    }

    /// A streak freeze's price of `cost` points (a debit; 0 when free).
    pub fn streak_freeze(cost: u32) -> Self {
        Change {
            kind: LedgerKind::StreakFreeze,
            amount: -i64::from(cost),
        }
    }

    /// A sign-in's milestone bonus of `bonus` points (a credit).
    pub fn milestone_bonus(bonus: i64) -> Result<Self, MoneyError> {
        if bonus <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Change {
            kind: LedgerKind::MilestoneBonus,
            amount: bonus,
        })
    }

    /// The balance after this change, or why it cannot apply.
    pub fn apply_to(&self, balance: i64) -> Result<i64, MoneyError> {
        let after = balance
            .checked_add(self.amount)
            .ok_or(MoneyError::BalanceTooLarge)?;
        if after < 0 {
            return Err(MoneyError::InsufficientFunds {
                balance,
                requested: -self.amount,
            });
        }
        if after > MAX_BALANCE {
            return Err(MoneyError::BalanceTooLarge);
        }
        Ok(after)
    }

    /// A replay of the same key must ask for exactly what the first request did.
    pub fn check_replay_of(&self, first: Change) -> Result<(), MoneyError> {
        if *self == first {
            Ok(())
        } else {
            Err(MoneyError::IdempotencyConflict)
        }
    }
}

/// An idempotency key: 1 to 128 characters, not all blank, no control
/// characters (NUL cannot be stored).
pub fn validate_idempotency_key(key: &str) -> Result<(), MoneyError> {
    let len = key.chars().count();
    if len == 0 || len > MAX_IDEMPOTENCY_KEY_LEN || key.trim().is_empty() {
        return Err(MoneyError::BadIdempotencyKey);
    }
    text::check_line(key).map_err(MoneyError::IdempotencyKeyText)
}

/// A note: at most 500 characters, no control characters but line breaks
/// and tabs (NUL cannot be stored).
pub fn validate_note(note: Option<&str>) -> Result<(), MoneyError> {
    let Some(note) = note else {
        return Ok(());
    };
    if note.chars().count() > MAX_NOTE_LEN {
        return Err(MoneyError::NoteTooLong);
    }
    text::check_free_text(note).map_err(MoneyError::NoteText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_debit_and_never_overdraw() {
        let spend = Change::spend(30).unwrap();
        assert_eq!(spend.amount, -30);
        assert_eq!(spend.apply_to(100), Ok(70));
        assert_eq!(spend.apply_to(30), Ok(0));
        assert_eq!(
            spend.apply_to(29),
            Err(MoneyError::InsufficientFunds {
                balance: 29,
                requested: 30
            })
        );
        assert_eq!(Change::spend(0), Err(MoneyError::NotPositive));
        assert_eq!(Change::spend(-5), Err(MoneyError::NotPositive));
    }

    #[test]
    fn adjustments_go_both_ways_but_not_below_zero_or_past_the_maximum() {
        assert_eq!(Change::adjustment(50).unwrap().apply_to(0), Ok(50));
        assert_eq!(Change::adjustment(-50).unwrap().apply_to(50), Ok(0));
        assert_eq!(
            Change::adjustment(-51).unwrap().apply_to(50),
            Err(MoneyError::InsufficientFunds {
                balance: 50,
                requested: 51
            })
        );
        assert_eq!(Change::adjustment(0), Err(MoneyError::Zero));
        assert_eq!(
            Change::adjustment(1).unwrap().apply_to(MAX_BALANCE),
            Err(MoneyError::BalanceTooLarge)
        );
    }

    #[test]
    fn rewards_may_be_zero() {
        assert_eq!(Change::reward(0).unwrap().apply_to(5), Ok(5));
        assert_eq!(Change::reward(-1), Err(MoneyError::NotPositive));
    }

    #[test]
    fn replays_must_match_the_first_request() {
        let first = Change::spend(10).unwrap();
        assert_eq!(Change::spend(10).unwrap().check_replay_of(first), Ok(()));
        assert_eq!(
            Change::spend(11).unwrap().check_replay_of(first),
            Err(MoneyError::IdempotencyConflict)
        );
        assert_eq!(
            Change::adjustment(-10).unwrap().check_replay_of(first),
            Err(MoneyError::IdempotencyConflict)
        );
    }

    #[test]
    fn idempotency_keys_and_notes_are_bounded() {
        assert!(validate_idempotency_key("k-1").is_ok());
        assert!(validate_idempotency_key("").is_err());
        assert!(validate_idempotency_key("   ").is_err());
        assert!(validate_idempotency_key(&"k".repeat(128)).is_ok());
        assert!(validate_idempotency_key(&"k".repeat(129)).is_err());
        assert!(validate_note(None).is_ok());
        assert!(validate_note(Some(&"n".repeat(500))).is_ok());
        assert!(validate_note(Some(&"n".repeat(501))).is_err());
    }

    #[test]
    fn idempotency_keys_and_notes_are_storable_text() {
        assert_eq!(
            validate_idempotency_key("k\0"),
            Err(MoneyError::IdempotencyKeyText(TextError::Nul))
        );
        assert_eq!(
            validate_idempotency_key("k\n1"),
            Err(MoneyError::IdempotencyKeyText(TextError::ControlCharacter))
        );
        assert_eq!(
            validate_note(Some("a\0b")),
            Err(MoneyError::NoteText(TextError::Nul))
        );
        assert_eq!(
            validate_note(Some("\u{1b}[2J")),
            Err(MoneyError::NoteText(TextError::ControlCharacter))
        );
        assert_eq!(validate_note(Some("line one\nline two\ttab")), Ok(()));
        assert_eq!(
            MoneyError::NoteText(TextError::Nul).to_string(),
            "the note must not contain the NUL character (U+0000)"
        );
    }
}
