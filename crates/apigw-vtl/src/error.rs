//! The error type: opaque, with a kind, a message, and (when known) the
//! position in the template with a caret excerpt in the alternate form.

use std::fmt;

/// What went wrong, broadly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template does not parse (Velocity's `ParseErrorException`).
    Syntax,
    /// The template uses something this engine rejects on purpose
    /// (`#parse`, `#include`).
    Unsupported,
    /// A method or index threw while rendering (Velocity's
    /// `MethodInvocationException`), or a macro was called badly.
    Render,
    /// A budget of [`Limits`](crate::Limits) was exceeded.
    LimitExceeded,
    /// A host object reported an error.
    Host,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Render => "render error",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Host => "host error",
        })
    }
}

#[derive(Debug)]
struct Repr {
    kind: ErrorKind,
    detail: String,
    pos: Option<Pos>,
    /// A byte offset waiting for its source text (set while rendering).
    pending: Option<usize>,
}

#[derive(Debug, Clone)]
struct Pos {
    line: usize,
    column: usize,
    offset: usize,
    excerpt: String,
}

/// An error from compiling or rendering a template.
///
/// `Display` prints `kind: detail (at line L, column C)`; the alternate form
/// `{:#}` adds the offending source line with a caret under the position.
///
/// # Example
///
/// ```
/// use apigw_vtl::{ErrorKind, Options, Template};
/// let err = Template::compile("#if(true", &Options::default()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Syntax);
/// assert_eq!(err.line(), Some(1));
/// ```
pub struct Error(Box<Repr>);

impl Error {
    /// Creates an error of the given kind without position.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Error {
        Error(Box::new(Repr {
            kind,
            detail: detail.into(),
            pos: None,
            pending: None,
        }))
    }

    pub(crate) fn pending(kind: ErrorKind, detail: impl Into<String>, offset: usize) -> Error {
        let mut e = Error::new(kind, detail);
        e.0.pending = Some(offset);
        e
    }

    /// Gives a pending offset its position in `src`.
    pub(crate) fn resolve(mut self, src: &str) -> Error {
        if self.0.pos.is_none()
            && let Some(off) = self.0.pending.take()
        {
            self.set_pos(src, off);
        }
        self
    }

    pub(crate) fn at(
        kind: ErrorKind,
        detail: impl Into<String>,
        src: &str,
        offset: usize,
    ) -> Error {
        let mut e = Error::new(kind, detail);
        e.set_pos(src, offset);
        e
    }

    pub(crate) fn set_pos(&mut self, src: &str, offset: usize) {
        let offset = offset.min(src.len());
        let mut offset = offset;
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = src[line_start..offset].chars().count() + 1;
        let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
        let excerpt = src[line_start..line_end].trim_end_matches('\r').to_string();
        self.0.pos = Some(Pos {
            line,
            column,
            offset,
            excerpt,
        });
    }

    pub(crate) fn has_pos(&self) -> bool {
        self.0.pos.is_some()
    }

    /// Returns the kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Returns the message without position.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// Returns the 1-based line in the template, when known.
    pub fn line(&self) -> Option<usize> {
        self.0.pos.as_ref().map(|p| p.line)
    }

    /// Returns the 1-based column (in characters), when known.
    pub fn column(&self) -> Option<usize> {
        self.0.pos.as_ref().map(|p| p.column)
    }

    /// Returns the byte offset in the template source, when known.
    pub fn offset(&self) -> Option<usize> {
        self.0.pos.as_ref().map(|p| p.offset)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.detail)?;
        if let Some(p) = &self.0.pos {
            write!(f, " (at line {}, column {})", p.line, p.column)?;
            if f.alternate() {
                let prefix = format!("{:>4} | ", p.line);
                write!(f, "\n{prefix}{}\n", p.excerpt)?;
                let caret_col: usize = p.excerpt.chars().take(p.column - 1).map(|_| 1).sum();
                write!(f, "{:>4} | {}^", "", " ".repeat(caret_col))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Error")
                .field("kind", &self.0.kind)
                .field("detail", &self.0.detail)
                .field("line", &self.line())
                .field("column", &self.column())
                .finish()
        } else {
            write!(f, "{self:#}")
        }
    }
}

impl std::error::Error for Error {}
