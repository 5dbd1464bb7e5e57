//! Account rules: who may register with what.

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

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
}
