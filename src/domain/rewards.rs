//! The reward table: what each of the seven cycle days pays.

use std::fmt;
use std::str::FromStr;

use super::streak::status::CYCLE_LENGTH;

/// Seven non-negative rewards, day 1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardTable([u32; CYCLE_LENGTH as usize]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RewardTableError {
    #[error("expected {expected} comma-separated rewards, got {got}")]
    WrongCount { expected: usize, got: usize },
    #[error("reward {position} ({value:?}) is not a non-negative integer of at most {max}")]
    NotAnAmount {
        position: usize,
        value: String,
        max: u32,
    },
}

/// No single reward may exceed this: a day's reward must fit a wallet.
pub const MAX_REWARD: u32 = 1_000_000;

impl RewardTable {
    pub fn new(rewards: [u32; CYCLE_LENGTH as usize]) -> Result<Self, RewardTableError> {
        if let Some((i, r)) = rewards.iter().enumerate().find(|(_, r)| **r > MAX_REWARD) {
            return Err(RewardTableError::NotAnAmount {
                position: i + 1,
                value: r.to_string(),
                max: MAX_REWARD,
            });
        }
        Ok(Self(rewards))
    }

    /// The table of `amounts` (day 1 first), as a request or a stored row
    /// gives them: `WrongCount` unless there are seven, `NotAnAmount` for
    /// the first one below 0 or above [`MAX_REWARD`].
    pub fn from_amounts(amounts: &[i64]) -> Result<Self, RewardTableError> {
        let mut rewards = [0u32; CYCLE_LENGTH as usize];
        if amounts.len() != rewards.len() {
            return Err(RewardTableError::WrongCount {
                expected: rewards.len(),
                got: amounts.len(),
            });
        }
        for (i, (slot, &amount)) in rewards.iter_mut().zip(amounts).enumerate() {
            *slot = u32::try_from(amount).map_err(|_| RewardTableError::NotAnAmount {
                position: i + 1,
                value: amount.to_string(),
                max: MAX_REWARD,
            })?;
        }
        Self::new(rewards)
    }

    /// The reward of cycle day `cycle_day` (1..=7). Days outside the cycle
    /// are clamped into it; the cycle calculation never produces them.
    pub fn for_day(&self, cycle_day: u8) -> u32 {
        let index = usize::from(cycle_day.clamp(1, CYCLE_LENGTH)) - 1;
        self.0[index]
    }

    pub fn as_array(&self) -> [u32; CYCLE_LENGTH as usize] {
        self.0
    }
}

impl Default for RewardTable {
    fn default() -> Self {
        Self([10, 10, 20, 20, 30, 30, 100])
    }
}

impl FromStr for RewardTable {
    type Err = RewardTableError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != usize::from(CYCLE_LENGTH) {
            return Err(RewardTableError::WrongCount {
                expected: usize::from(CYCLE_LENGTH),
                got: parts.len(),
            });
        }
        let mut rewards = [0u32; CYCLE_LENGTH as usize];
        for (i, part) in parts.iter().enumerate() {
            rewards[i] = part.parse().map_err(|_| RewardTableError::NotAnAmount {
                position: i + 1,
                value: (*part).to_owned(),
                max: MAX_REWARD,
            })?;
        }
        Self::new(rewards)
    }
}

impl fmt::Display for RewardTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_from_amounts() {
        let wrong = |got| RewardTableError::WrongCount { expected: 7, got };
        let bad = |position, value: i64| RewardTableError::NotAnAmount {
            position,
            value: value.to_string(),
            max: MAX_REWARD,
        };
        let max = i64::from(MAX_REWARD);
        type Case<'a> = (&'a [i64], Result<[u32; 7], RewardTableError>);
        let cases: [Case; 6] = [
            (&[1, 2, 3, 4, 5, 6, 7], Ok([1, 2, 3, 4, 5, 6, 7])),
            (&[0, 0, 0, 0, 0, 0, max], Ok([0, 0, 0, 0, 0, 0, MAX_REWARD])),
            (&[1, 2, 3, 4, 5, 6], Err(wrong(6))),
            (&[], Err(wrong(0))),
            (&[1, 2, -3, 4, 5, 6, 7], Err(bad(3, -3))),
            (&[1, 2, 3, 4, 5, 6, max + 1], Err(bad(7, max + 1))),
        ];
        for (amounts, expected) in cases {
            assert_eq!(
                RewardTable::from_amounts(amounts).map(|t| t.as_array()),
                expected,
                "{amounts:?}"
            );
        }
    }

    #[test]
    fn default_table_is_the_contracts() {
        let table = RewardTable::default();
        let expected = [10, 10, 20, 20, 30, 30, 100];
        for day in 1..=7u8 {
            assert_eq!(table.for_day(day), expected[usize::from(day) - 1]);
        }
        assert_eq!(table.to_string(), "10,10,20,20,30,30,100");
    }

    #[test]
    fn every_position_comes_from_the_config() {
        let table: RewardTable = "1,2,3,4,5,6,7".parse().unwrap();
        for day in 1..=7u8 {
            assert_eq!(table.for_day(day), u32::from(day));
        }
        let zeros: RewardTable = " 0, 0,0,0,0,0,0 ".parse().unwrap();
        assert_eq!(zeros.for_day(7), 0);
    }

    #[test]
    fn malformed_tables_are_refused() {
        for (input, expected) in [
            (
                "1,2,3",
                RewardTableError::WrongCount {
                    expected: 7,
                    got: 3,
                },
            ),
            (
                "1,2,3,4,5,6,7,8",
                RewardTableError::WrongCount {
                    expected: 7,
                    got: 8,
                },
            ),
            (
                "1,2,3,4,5,6,-7",
                RewardTableError::NotAnAmount {
                    position: 7,
                    value: "-7".into(),
                    max: MAX_REWARD,
                },
            ),
            (
                "1,x,3,4,5,6,7",
                RewardTableError::NotAnAmount {
                    position: 2,
                    value: "x".into(),
                    max: MAX_REWARD,
                },
            ),
            (
                "1,2,3,4,5,6,1000001",
                RewardTableError::NotAnAmount {
                    position: 7,
                    value: "1000001".into(),
                    max: MAX_REWARD,
                },
            ),
        ] {
            assert_eq!(input.parse::<RewardTable>(), Err(expected), "{input}");
        }
    }
}
