//! `fmi_path`: which agent identity an app token is for.
//!
//! In Leg 1 the blueprint asks for a token with `fmi_path` set to an
//! agent's id; the IdP puts the path in the token, and the agent presents
//! that token (T1) as its client assertion in Leg 2 (`docs/protocol.md`
//! §1). Clients cache such tokens apart from each other by the extended
//! cache key (§4).
//!
//! There is one set of rules for a well-formed path, [`FmiPath::parse`],
//! and it is the identity provider's: it refuses any other path as an
//! `invalid_request` (the mock applies exactly these rules, §7).
//! Clients deliberately check less: MSAL ports only refuse a blank path
//! ([`FmiPath::is_blank`]) and leave the rest to the IdP, so a client
//! here must do the same to be comparable with them and to be able to
//! send the paths a hostile-input scenario needs.

use std::fmt;

/// The longest path the IdP accepts, in characters.
pub const MAX_FMI_PATH_CHARS: usize = 256;

/// Characters a path may hold besides letters and digits: the unreserved
/// and path-safe characters of a URL, and `/` to separate segments.
const ALLOWED_PUNCTUATION: &str = "-._~/:@";

/// An `fmi_path` that passed the identity provider's rules.
///
/// ```
/// use fic_protocol::{FmiPath, FmiPathError};
/// let path = FmiPath::parse("agents/7a3b9c2d").unwrap();
/// assert_eq!(path.as_str(), "agents/7a3b9c2d");
/// assert_eq!(FmiPath::parse("a/../b"), Err(FmiPathError::BadSegment));
/// assert_eq!(
///     FmiPath::parse("a b").unwrap_err().to_string(),
///     "Character U+0020 is not allowed."
/// );
/// // What a client checks before sending: only blankness.
/// assert!(FmiPath::is_blank("  "));
/// assert!(!FmiPath::is_blank("a b"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FmiPath(String);

/// Why the identity provider refuses an `fmi_path`. The messages are the
/// reason part of the IdP's error description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmiPathError {
    /// The field is present but empty.
    #[error("It is empty.")]
    Empty,
    /// More than [`MAX_FMI_PATH_CHARS`] characters.
    #[error("It is longer than {MAX_FMI_PATH_CHARS} characters.")]
    TooLong,
    /// A character that is neither a letter or digit of any script nor one
    /// of `-._~/:@` (the first such character).
    #[error("Character U+{:04X} is not allowed.", *.0 as u32)]
    Character(char),
    /// A segment between slashes is empty, `.` or `..`, so the path would
    /// not name the same agent everywhere it is resolved.
    #[error("It has an empty, '.' or '..' segment.")]
    BadSegment,
}

impl FmiPath {
    /// Applies the identity provider's rules: non-empty, at most
    /// [`MAX_FMI_PATH_CHARS`] characters (not bytes), each a letter or
    /// digit of any script or one of `-._~/:@`, and no empty, `.` or `..`
    /// segment. The first rule broken is the one reported, in that order.
    ///
    /// Marks, spaces, controls and format characters (zero-width,
    /// bidirectional overrides) are refused: they make two paths that look
    /// the same differ, or the same path be written two ways.
    pub fn parse(path: &str) -> Result<FmiPath, FmiPathError> {
        if path.is_empty() {
            return Err(FmiPathError::Empty);
        }
        if path.chars().count() > MAX_FMI_PATH_CHARS {
            return Err(FmiPathError::TooLong);
        }
        if let Some(bad) = path
            .chars()
            .find(|c| !(c.is_alphanumeric() || ALLOWED_PUNCTUATION.contains(*c)))
        {
            return Err(FmiPathError::Character(bad));
        }
        if path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(FmiPathError::BadSegment);
        }
        Ok(FmiPath(path.to_owned()))
    }

    /// The check a client makes before sending a path: empty or only
    /// whitespace. Everything else is the IdP's to judge (see the module
    /// documentation for why).
    pub fn is_blank(path: &str) -> bool {
        path.trim().is_empty()
    }

    /// The path as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FmiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FmiPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idp_rules() {
        for ok in [
            "7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b",
            "agent-1",
            "a/b/c",
            "x:y@z~1._-",
            "agent-é",
            "エージェント/東京",
            &"x".repeat(MAX_FMI_PATH_CHARS),
            // Characters, not bytes: 256 two-byte letters are fine.
            &"é".repeat(MAX_FMI_PATH_CHARS),
        ] {
            assert_eq!(FmiPath::parse(ok).map(|p| p.to_string()), Ok(ok.to_owned()));
        }
        for (bad, why) in [
            ("", FmiPathError::Empty),
            (" ", FmiPathError::Character(' ')),
            ("a b", FmiPathError::Character(' ')),
            ("/a", FmiPathError::BadSegment),
            ("a/", FmiPathError::BadSegment),
            ("a//b", FmiPathError::BadSegment),
            ("a/../b", FmiPathError::BadSegment),
            ("./a", FmiPathError::BadSegment),
            ("e\u{301}", FmiPathError::Character('\u{301}')),
            ("a\u{200b}", FmiPathError::Character('\u{200b}')),
            ("a\u{202e}b", FmiPathError::Character('\u{202e}')),
            ("\u{1f916}", FmiPathError::Character('\u{1f916}')),
            ("a\nb", FmiPathError::Character('\n')),
            (&"x".repeat(MAX_FMI_PATH_CHARS + 1), FmiPathError::TooLong),
            (&"é".repeat(MAX_FMI_PATH_CHARS + 1), FmiPathError::TooLong),
        ] {
            assert_eq!(FmiPath::parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn reasons_read_as_the_idp_words_them() {
        assert_eq!(FmiPathError::Empty.to_string(), "It is empty.");
        assert_eq!(
            FmiPathError::TooLong.to_string(),
            "It is longer than 256 characters."
        );
        assert_eq!(
            FmiPathError::Character('\u{200b}').to_string(),
            "Character U+200B is not allowed."
        );
        assert_eq!(
            FmiPathError::BadSegment.to_string(),
            "It has an empty, '.' or '..' segment."
        );
    }

    #[test]
    fn clients_only_refuse_blank_paths() {
        for blank in ["", " ", "\t\n"] {
            assert!(FmiPath::is_blank(blank), "{blank:?}");
        }
        for sent in ["a b", "/a", "é", "agent-1"] {
            assert!(!FmiPath::is_blank(sent), "{sent:?}");
        }
    }
}
