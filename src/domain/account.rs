//! Account rules: who may register with what.

use std::fmt;
use std::str::FromStr;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Admin => "ADMIN",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "USER" => Ok(Role::User),
            "ADMIN" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("username must be {USERNAME_MIN} to {USERNAME_MAX} characters of A-Z a-z 0-9 _ . -")]
    BadUsername,
    #[error("password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")]
    BadPassword,
}

pub fn validate_username(username: &str) -> Result<(), AccountError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    // All allowed characters are ASCII, so the byte length is the character count.
    if (USERNAME_MIN..=USERNAME_MAX).contains(&username.len()) && username.chars().all(allowed) {
        Ok(())
    } else {
        Err(AccountError::BadUsername)
    }
}

pub fn validate_password(password: &str) -> Result<(), AccountError> {
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(AccountError::BadPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["abc", "A.b-c_9", &"x".repeat(32), "..."] {
            assert_eq!(validate_username(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            "",
            &"x".repeat(33),
            "with space",
            "émile",
            "a/b",
            "ab\u{0}",
            "héé",
        ] {
            assert_eq!(
                validate_username(bad),
                Err(AccountError::BadUsername),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("1234567").is_err());
        assert!(validate_password(&"p".repeat(128)).is_ok());
        assert!(validate_password(&"p".repeat(129)).is_err());
        // Eight characters, sixteen bytes.
        assert!(validate_password("éééééééé").is_ok());
        assert!(validate_password(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("ROOT".parse::<Role>().is_err());
    }
}
