//! Account rules: who may register with what.

use super::text::{self, TextError};

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

/// Whether `username` keeps the register rules: 3 to 32 characters of
/// `A-Z a-z 0-9 _ . -`.
pub fn validate_username(username: &str) -> Result<(), AccountError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    // All allowed characters are ASCII, so the byte length is the character count.
    if (USERNAME_MIN..=USERNAME_MAX).contains(&username.len()) && username.chars().all(allowed) {
        Ok(())
    } else {
        Err(AccountError::BadUsername)
    }
}

/// A name that keeps the register rules, the only kind of name ever looked
/// up: any other text belongs to no account and matches none. (Unicode case
/// folding maps some non-ASCII letters onto ASCII ones, in PostgreSQL's
/// `lower()` as in Rust's `to_lowercase()`: the Kelvin sign U+212A becomes
/// `k`, so `\u{212A}im` would have matched the account `kim`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// `name` when it keeps the register rules.
    pub fn parse(name: &str) -> Result<Self, AccountError> {
        validate_username(name)?;
        Ok(Username(name.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form: ASCII lower case, which for these
    /// characters is also what PostgreSQL's `lower()` gives.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// Longest user search text (no username is longer).
pub const MAX_SEARCH_LEN: usize = USERNAME_MAX;

/// Why a user search text is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SearchError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_SEARCH_LEN} characters")]
    TooLong,
    /// It holds NUL or another control character.
    #[error("{0}")]
    Text(#[from] TextError),
}

/// What a case-insensitive username search looks for: the trimmed text in
/// ASCII lower case, or None when it holds a character no username has (it
/// can match nothing, and is not folded into one that could).
pub fn search_needle(query: &str) -> Result<Option<String>, SearchError> {
    text::check_line(query)?;
    let needle = query.trim();
    if needle.is_empty() {
        return Err(SearchError::Empty);
    }
    if needle.chars().count() > MAX_SEARCH_LEN {
        return Err(SearchError::TooLong);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    Ok(needle
        .chars()
        .all(allowed)
        .then(|| needle.to_ascii_lowercase()))
}

/// Whether `password` keeps the register rules (8 to 128 characters).
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
    fn only_contract_names_are_usernames() {
        let kim = Username::parse("Kim_9.x-").unwrap();
        assert_eq!(
            (kim.as_str(), kim.folded().as_str()),
            ("Kim_9.x-", "kim_9.x-")
        );
        // Letters that Unicode case folding turns into ASCII ones, and
        // look-alikes: none is a username, so none can match one.
        for name in [
            "\u{212A}im",  // KELVIN SIGN, lower-cases to k
            "\u{212B}da",  // ANGSTROM SIGN, lower-cases to å
            "\u{0130}van", // İ, lower-cases to i + combining dot
            "\u{0131}van", // ı (dotless i), upper-cases to I
            "bo\u{017F}s", // ſ (long s), upper-cases to S
            "\u{FF41}da",  // full-width a
            "\u{FF21}DA",  // full-width A
            "ad\u{0430}",  // Cyrillic a
            "kim\u{0}",    // NUL
            "kim\u{200B}", // zero-width space
            "kim\n",
            "k\u{0301}im", // combining accent
        ] {
            assert!(Username::parse(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn search_needles_never_fold_into_ascii() {
        assert_eq!(search_needle("  Kim "), Ok(Some("kim".to_owned())));
        assert_eq!(search_needle("a_%"), Ok(None));
        assert_eq!(search_needle("\u{212A}"), Ok(None));
        assert_eq!(search_needle("\u{017F}"), Ok(None));
        assert_eq!(search_needle("\u{0130}"), Ok(None));
        assert_eq!(search_needle("\u{FF4B}"), Ok(None));
        assert_eq!(search_needle("é"), Ok(None));
        assert_eq!(search_needle("   "), Err(SearchError::Empty));
        assert_eq!(search_needle(&"k".repeat(33)), Err(SearchError::TooLong));
        assert_eq!(search_needle(&"k".repeat(32)), Ok(Some("k".repeat(32))));
        assert_eq!(search_needle("k\0"), Err(SearchError::Text(TextError::Nul)));
        assert_eq!(search_needle("\0"), Err(SearchError::Text(TextError::Nul)));
        assert_eq!(
            search_needle("ki\tm"),
            Err(SearchError::Text(TextError::ControlCharacter))
        );
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
