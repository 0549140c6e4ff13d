//! The opaque parse error with a column and a caret excerpt.

use std::borrow::Cow;
use std::fmt;

/// What kind of problem a [`Error`] reports.
///
/// The set grows over time, so match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The path is empty or only whitespace.
    Empty,
    /// The path does not follow the grammar (Jayway would reject it too).
    Syntax,
    /// An array index or slice bound is not a 32-bit integer (Jayway uses Java `int`).
    InvalidIndex,
    /// Jayway accepts the form, but this crate does not implement it (yet).
    /// The detail names the construct.
    Unsupported,
    /// The path is longer than [`Limits::max_path_len`](crate::Limits::max_path_len).
    TooLong,
    /// Brackets, parentheses and filters nest deeper than
    /// [`Limits::max_nesting`](crate::Limits::max_nesting).
    TooDeep,
    /// A path using `..` met a document nested deeper than
    /// [`Limits::max_scan_depth`](crate::Limits::max_scan_depth) (query time only).
    DocumentTooDeep,
    /// The general engine (jsonpath-rust) rejected the query this crate translated the
    /// path into. This is a bug in this crate; please report it with the path.
    Engine,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty JSONPath",
            ErrorKind::Syntax => "invalid JSONPath",
            ErrorKind::InvalidIndex => "invalid array index",
            ErrorKind::Unsupported => "unsupported JSONPath construct",
            ErrorKind::TooLong => "JSONPath too long",
            ErrorKind::TooDeep => "JSONPath nested too deeply",
            ErrorKind::DocumentTooDeep => "document nested too deeply",
            ErrorKind::Engine => "internal JSONPath translation error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
struct Repr {
    kind: ErrorKind,
    detail: Cow<'static, str>,
    path: Box<str>,
    offset: usize,
    column: usize,
}

/// A JSONPath that could not be compiled.
///
/// `Display` prints one line: `kind: detail at column C`. The alternate form (`{:#}`)
/// adds the path and a caret under the column:
///
/// ```
/// use apigw_jsonpath::{ErrorKind, JsonPath};
///
/// let err = JsonPath::parse("$.a[0").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Syntax);
/// assert_eq!(err.column(), 4);
/// assert_eq!(
///     format!("{err:#}"),
///     "invalid JSONPath: '[' is never closed with ']' at column 4\n  $.a[0\n     ^"
/// );
/// ```
///
/// The message text is not part of the stable API; the kind, offset and column are.
#[derive(Clone)]
pub struct Error(Box<Repr>);

impl Error {
    /// Builds an error at byte `offset` of `path`.
    pub(crate) fn new(
        kind: ErrorKind,
        detail: impl Into<Cow<'static, str>>,
        path: &str,
        offset: usize,
    ) -> Error {
        let offset = offset.min(path.len());
        // `offset` always comes from the parser's char-boundary cursor; stay defensive anyway.
        let column = match path.get(..offset) {
            Some(prefix) => prefix.chars().count() + 1,
            None => offset + 1,
        };
        Error(Box::new(Repr {
            kind,
            detail: detail.into(),
            path: path.into(),
            offset,
            column,
        }))
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The 1-based column (in characters) of the offending position in [`Error::path`].
    pub fn column(&self) -> usize {
        self.0.column
    }

    /// The 0-based byte offset of the offending position in [`Error::path`].
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The path text as it was given to the parser (for
    /// [`JsonPath::parse_body_suffix`](crate::JsonPath::parse_body_suffix), the suffix).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// A human-readable description of what is wrong (unstable wording).
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// Whether the path uses a construct Jayway accepts but this crate does not implement.
    pub fn is_unsupported(&self) -> bool {
        self.0.kind == ErrorKind::Unsupported
    }

    /// Whether a configured [`Limits`](crate::Limits) value was exceeded.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::TooLong | ErrorKind::TooDeep | ErrorKind::DocumentTooDeep
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("detail", &self.0.detail)
            .field("path", &self.0.path)
            .field("offset", &self.0.offset)
            .field("column", &self.0.column)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} at column {}",
            self.0.kind, self.0.detail, self.0.column
        )?;
        if f.alternate() {
            // Control characters would break the caret alignment; show them as spaces.
            let shown: String = self
                .0
                .path
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            write!(f, "\n  {shown}\n  {:>width$}", "^", width = self.0.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
