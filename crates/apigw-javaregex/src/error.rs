//! Error types: pattern syntax errors, match-time budget errors, replacement
//! errors and pattern-set errors.

use std::fmt;

/// What went wrong when compiling a Java pattern.
///
/// The variants follow the descriptions of Java's `PatternSyntaxException`
/// where Java rejects the pattern too; [`ErrorKind::Unsupported`] and the
/// budget variants are ours.
///
/// # Example
///
/// ```
/// use apigw_javaregex::{ErrorKind, JavaRegex};
///
/// let err = JavaRegex::new("a**").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::DanglingMetaCharacter);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `*`, `+` or `?` with nothing to repeat (Java: "Dangling meta character").
    DanglingMetaCharacter,
    /// A `{` that does not start a valid `{n}`, `{n,}` or `{n,m}`.
    IllegalRepetition,
    /// `{n,m}` with `n > m`, or a count above `i32::MAX`.
    IllegalRepetitionRange,
    /// `{n,m` without the closing `}`.
    UnclosedCountedClosure,
    /// `(` without `)`.
    UnclosedGroup,
    /// `)` without `(`.
    UnmatchedClosingParenthesis,
    /// `[` without `]`.
    UnclosedCharacterClass,
    /// `[z-a]` or a range whose end is a class such as `\d`.
    IllegalCharacterRange,
    /// A malformed class such as `[&&]`.
    BadClassSyntax,
    /// A backslash escape Java does not know (`\g`, `\i`, …), or a trailing `\`.
    IllegalEscapeSequence,
    /// A malformed `\0`, `\x`, `\u` or `\c` escape.
    IllegalNumericEscape,
    /// `\p{…}` with a name Java does not know.
    UnknownProperty,
    /// `(?…)` with a flag letter Java does not know, or a malformed group.
    UnknownGroupSyntax,
    /// A malformed or duplicate named group, or `\k<name>` naming no group.
    GroupName,
    /// A construct Java accepts but this crate cannot reproduce (`\G`, `\X`,
    /// `\b{g}`, `\N{…}`); see the crate documentation.
    Unsupported,
    /// The pattern is longer than [`Limits::max_pattern_len`](crate::Limits).
    PatternTooLong,
    /// Groups or classes nest deeper than [`Limits::nest_limit`](crate::Limits).
    NestTooDeep,
    /// The compiled program exceeds [`Limits::size_limit`](crate::Limits).
    CompiledTooBig,
    /// The Rust engine rejected the translated pattern (a bug in this crate).
    Internal,
}

impl ErrorKind {
    /// Returns the Java-style description of this kind, without detail.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::ErrorKind;
    /// assert_eq!(ErrorKind::UnclosedGroup.description(), "Unclosed group");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            ErrorKind::DanglingMetaCharacter => "Dangling meta character",
            ErrorKind::IllegalRepetition => "Illegal repetition",
            ErrorKind::IllegalRepetitionRange => "Illegal repetition range",
            ErrorKind::UnclosedCountedClosure => "Unclosed counted closure",
            ErrorKind::UnclosedGroup => "Unclosed group",
            ErrorKind::UnmatchedClosingParenthesis => "Unmatched closing ')'",
            ErrorKind::UnclosedCharacterClass => "Unclosed character class",
            ErrorKind::IllegalCharacterRange => "Illegal character range",
            ErrorKind::BadClassSyntax => "Bad class syntax",
            ErrorKind::IllegalEscapeSequence => "Illegal/unsupported escape sequence",
            ErrorKind::IllegalNumericEscape => "Illegal numeric escape sequence",
            ErrorKind::UnknownProperty => "Unknown character property",
            ErrorKind::UnknownGroupSyntax => "Unknown inline modifier or group type",
            ErrorKind::GroupName => "Bad named capturing group",
            ErrorKind::Unsupported => "Unsupported construct",
            ErrorKind::PatternTooLong => "Pattern too long",
            ErrorKind::NestTooDeep => "Nesting too deep",
            ErrorKind::CompiledTooBig => "Compiled pattern too big",
            ErrorKind::Internal => "Internal translation error",
        }
    }
}

#[derive(Debug, Clone)]
struct Repr {
    kind: ErrorKind,
    message: String,
    pattern: String,
    byte_offset: usize,
    char_offset: usize,
}

/// A Java pattern that does not compile.
///
/// `Display` prints the description (as Java's
/// `PatternSyntaxException.getDescription()` would, close to its wording) and
/// the index; the alternate form `{:#}` adds the pattern and a caret under the
/// offending character, like `PatternSyntaxException.getMessage()`.
///
/// # Example
///
/// ```
/// use apigw_javaregex::JavaRegex;
///
/// let err = JavaRegex::new("ab(c").unwrap_err();
/// assert_eq!(err.char_offset(), 4);
/// assert_eq!(err.to_string(), "Unclosed group near index 4");
/// assert_eq!(format!("{err:#}"), "Unclosed group near index 4\nab(c\n    ^");
/// ```
#[derive(Clone)]
pub struct Error(Box<Repr>);

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        message: impl Into<String>,
        pattern: &str,
        byte_offset: usize,
    ) -> Error {
        let byte_offset = byte_offset.min(pattern.len());
        let mut b = byte_offset;
        while !pattern.is_char_boundary(b) {
            b -= 1;
        }
        let char_offset = pattern[..b].chars().count();
        Error(Box::new(Repr {
            kind,
            message: message.into(),
            pattern: pattern.to_owned(),
            byte_offset: b,
            char_offset,
        }))
    }

    /// Returns the kind of error.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::{ErrorKind, JavaRegex};
    /// assert_eq!(JavaRegex::new("[a").unwrap_err().kind(), ErrorKind::UnclosedCharacterClass);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Returns the description, without index or pattern.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("*").unwrap_err().description(), "Dangling meta character '*'");
    /// ```
    pub fn description(&self) -> &str {
        &self.0.message
    }

    /// Returns the Java pattern that failed.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("(").unwrap_err().pattern(), "(");
    /// ```
    pub fn pattern(&self) -> &str {
        &self.0.pattern
    }

    /// Returns the index of the error in the pattern, counted in Unicode
    /// scalar values (Java counts UTF-16 units; they differ only after
    /// supplementary characters).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("é(").unwrap_err().char_offset(), 2);
    /// ```
    pub fn char_offset(&self) -> usize {
        self.0.char_offset
    }

    /// Returns the index of the error in the pattern, in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("é(").unwrap_err().byte_offset(), 3);
    /// ```
    pub fn byte_offset(&self) -> usize {
        self.0.byte_offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} near index {}", self.0.message, self.0.char_offset)?;
        if f.alternate() {
            let pattern = &self.0.pattern;
            write!(f, "\n{pattern}")?;
            // Java prints the caret only for single-line patterns; we always
            // print it, under the right column of the line holding the error.
            let line_start = pattern[..self.0.byte_offset]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let column = pattern[line_start..self.0.byte_offset].chars().count();
            write!(f, "\n{}^", " ".repeat(column))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("pattern", &self.0.pattern)
            .field("char_offset", &self.0.char_offset)
            .field("byte_offset", &self.0.byte_offset)
            .finish()
    }
}

impl std::error::Error for Error {}

/// A match that could not be decided within the backtracking budget
/// ([`Limits::backtrack_limit`](crate::Limits)).
///
/// Only patterns that need the backtracking engine (look-around,
/// back-references, possessive quantifiers, atomic groups, Java's default
/// `\b`, multi-line anchors) can produce it.
///
/// # Example
///
/// ```
/// use apigw_javaregex::{JavaRegex, Limits};
///
/// let limits = Limits { backtrack_limit: 100, ..Limits::default() };
/// let re = JavaRegex::with_limits("(?:a|aa)*(?=b)c", &limits).unwrap();
/// let err = re.is_full_match(&"a".repeat(40)).unwrap_err();
/// assert!(err.to_string().contains("backtrack"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError {
    pub(crate) message: String,
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MatchError {}

/// Why a replacement failed, as Java's `Matcher.appendReplacement` would throw.
///
/// Java only parses the replacement when a match is found, so these errors
/// only happen when the pattern matches at least once.
///
/// # Example
///
/// ```
/// use apigw_javaregex::{JavaRegex, ReplaceError};
///
/// let re = JavaRegex::new("(a)").unwrap();
/// assert!(matches!(re.replace_all("abc", "$2"), Err(ReplaceError::Replacement(_))));
/// assert_eq!(re.replace_all("xyz", "$2").unwrap(), "xyz");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaceError {
    /// The replacement string is malformed or names a missing group; the
    /// message is Java's exception message.
    Replacement(String),
    /// The backtracking budget ran out while searching.
    Match(MatchError),
}

impl fmt::Display for ReplaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplaceError::Replacement(m) => write!(f, "illegal replacement: {m}"),
            ReplaceError::Match(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReplaceError {}

impl From<MatchError> for ReplaceError {
    fn from(e: MatchError) -> Self {
        ReplaceError::Match(e)
    }
}

/// A pattern of a [`PatternSet`](crate::PatternSet) that failed to compile.
///
/// # Example
///
/// ```
/// use apigw_javaregex::PatternSet;
///
/// let err = PatternSet::new(&["2\\d\\d", "4\\d{2", ".*"]).unwrap_err();
/// assert_eq!(err.index(), 1);
/// assert_eq!(err.to_string(), "pattern 1: Unclosed counted closure near index 5");
/// ```
#[derive(Debug, Clone)]
pub struct SetError {
    pub(crate) index: usize,
    pub(crate) error: Error,
}

impl SetError {
    /// Returns the index, in the slice given to the constructor, of the pattern that failed.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// assert_eq!(PatternSet::new(&["a", "("]).unwrap_err().index(), 1);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Returns the compile error of that pattern.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::{ErrorKind, PatternSet};
    /// assert_eq!(PatternSet::new(&["("]).unwrap_err().error().kind(), ErrorKind::UnclosedGroup);
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pattern {}: ", self.index)?;
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for SetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
