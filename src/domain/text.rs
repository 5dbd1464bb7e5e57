//! Text a caller sends that is stored or used as a key. PostgreSQL's `text`
//! cannot hold NUL (U+0000): such a value must be refused as the caller's
//! mistake before it reaches the database, not fail there as an internal
//! error. Control characters (Unicode category Cc: U+0000..U+001F, U+007F,
//! U+0080..U+009F) have no place in keys either, and in free text only tab
//! and line breaks do.

/// Why a text is refused.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// It holds NUL, which cannot be stored.
    #[error("must not contain the NUL character (U+0000)")]
    Nul,
    /// It holds another control character not allowed there.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// The first character of `text` that `allowed` refuses, as an error.
fn check(text: &str, allowed: impl Fn(char) -> bool) -> Result<(), TextError> {
    match text.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some('\0') => Err(TextError::Nul),
        Some(_) => Err(TextError::ControlCharacter),
    }
}

/// Free text to be stored, such as a note: anything but control characters
/// other than tab, line feed and carriage return.
pub fn check_free_text(text: &str) -> Result<(), TextError> {
    check(text, |c| matches!(c, '\t' | '\n' | '\r'))
}

/// A key or a one-line value, such as an idempotency key or search text: no
/// control characters at all.
pub fn check_line(text: &str) -> Result<(), TextError> {
    check(text, |_| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_keeps_line_breaks_but_no_other_control_characters() {
        for ok in [
            "",
            "a note",
            "two\nlines",
            "crlf\r\n",
            "tab\there",
            "émoji 🎉",
            "\u{200B}",
        ] {
            assert_eq!(check_free_text(ok), Ok(()), "{ok:?}");
        }
        for (bad, error) in [
            ("\0", TextError::Nul),
            ("note\0", TextError::Nul),
            ("\0\u{1}", TextError::Nul),
            ("\u{1}\0", TextError::ControlCharacter),
            ("bell\u{7}", TextError::ControlCharacter),
            ("esc\u{1b}[31m", TextError::ControlCharacter),
            ("del\u{7f}", TextError::ControlCharacter),
            ("c1\u{85}", TextError::ControlCharacter),
            ("c1\u{9f}", TextError::ControlCharacter),
        ] {
            assert_eq!(check_free_text(bad), Err(error), "{bad:?}");
        }
    }

    #[test]
    fn lines_have_no_control_characters() {
        for ok in ["key-1", "a b", "ü", "\u{2028}"] {
            assert_eq!(check_line(ok), Ok(()), "{ok:?}");
        }
        for (bad, error) in [
            ("\0", TextError::Nul),
            ("k\0y", TextError::Nul),
            ("k\ny", TextError::ControlCharacter),
            ("k\ty", TextError::ControlCharacter),
            ("k\ry", TextError::ControlCharacter),
            ("\u{7f}", TextError::ControlCharacter),
        ] {
            assert_eq!(check_line(bad), Err(error), "{bad:?}");
        }
    }
}
