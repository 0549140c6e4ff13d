//! Hand-written parser for Jayway JsonPath's path grammar (as API Gateway uses it).
//!
//! The structure follows Jayway's `PathCompiler` token by token so that the same texts are
//! accepted; every place where this parser deliberately differs is marked `DIALECT:` and
//! listed in the crate documentation.

use crate::Limits;
use crate::error::{Error, ErrorKind};

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `$`: the document root (also the implicit root of `$`-less paths).
    Doc,
    /// `@`: the current node (filters; at top level Jayway treats it like `$`).
    Current,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// `.name`, `['name']`: definite.
    Name(Box<str>),
    /// `[n]`, negative counts from the end: definite.
    Index(i32),
    /// `['a','b']`: several names.
    Names(Vec<Box<str>>),
    /// `[0,1]`: several indexes.
    Indexes(Vec<i32>),
    /// `[from:to]` (Jayway has no step).
    Slice { from: Option<i32>, to: Option<i32> },
    /// `.*`, `[*]`.
    Wildcard,
    /// `..`, always followed by another step.
    Scan,
    /// `[?( ... )]`.
    Filter(Box<Expr>),
    /// A trailing `.length()`.
    Length,
}

impl Step {
    /// Jayway's `isTokenDefinite` for this step taken alone.
    pub(crate) fn is_definite(&self) -> bool {
        matches!(self, Step::Name(_) | Step::Index(_) | Step::Length)
    }
}

/// A step and the byte offset where it starts in the source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub(crate) step: Step,
    pub(crate) offset: usize,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub(crate) root: Root,
    pub(crate) steps: Vec<Spanned>,
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `@.x` alone: the path selects something.
    Exists(Path, usize),
    Cmp {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
}

/// A comparison operator supported in filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    /// Jayway's type-safe `===` (no number/string conversion).
    StrictEq,
    /// Jayway's type-safe `!==`.
    StrictNe,
    /// `in [literals]`: desugared by the parser into `==` alternatives.
    In,
    /// `nin [literals]`: desugared by the parser into a negated `in`.
    Nin,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq | CmpOp::StrictEq => "==",
            CmpOp::Ne | CmpOp::StrictNe => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::Nin => "nin",
        }
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// A path and its offset.
    Path(Path, usize),
    Str(String),
    Int(i64),
    /// A non-integer number and its literal text (Jayway compares it with strings as
    /// `BigDecimal.toString()` of that text).
    Float(f64, Box<str>),
    Bool(bool),
    Null,
}

/// How the text is rooted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `$input.path(...)`: `$`/`@`-rooted, or Jayway's implicit `$.` prefix.
    Path,
    /// `integration.response.body.<suffix>`: always the implicit `$.` prefix.
    BodySuffix,
}

/// Java's `String.trim` whitespace: every char up to U+0020.
fn is_java_trim(c: char) -> bool {
    c <= ' '
}

fn is_filter_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Characters that end a path inside a filter expression (outside brackets).
fn ends_filter_path(b: u8) -> bool {
    is_filter_ws(b) || matches!(b, b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|' | b',')
}

/// Jayway function names (2.9.0 `PathFunctionFactory`): known but only `length` supported.
const JAYWAY_FUNCTIONS: &[&str] = &[
    "min", "max", "avg", "stddev", "sum", "keys", "concat", "append", "first", "last", "index",
];

/// Jayway filter word operators this crate does not implement.
const JAYWAY_WORD_OPS: &[&str] = &[
    "subsetof", "anyof", "noneof", "size", "empty", "contains", "all", "matches", "type",
];

pub(crate) struct Parser<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    end: usize,
    depth: usize,
    max_depth: usize,
}

type Result<T> = std::result::Result<T, Error>;

/// Parses a whole path.
pub(crate) fn parse(src: &str, limits: &Limits, mode: Mode) -> Result<Path> {
    if src.len() > limits.max_path_len {
        let mut at = limits.max_path_len;
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        return Err(Error::new(
            ErrorKind::TooLong,
            format!(
                "the path is {} bytes long; the limit is {}",
                src.len(),
                limits.max_path_len
            ),
            src,
            at,
        ));
    }
    let start = src.len() - src.trim_start_matches(is_java_trim).len();
    let end = src.trim_end_matches(is_java_trim).len();
    if start >= end {
        return Err(Error::new(
            ErrorKind::Empty,
            "the path is empty",
            src,
            src.len(),
        ));
    }
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        pos: start,
        end,
        depth: 0,
        max_depth: limits.max_nesting,
    };
    p.top(mode)
}

impl<'s> Parser<'s> {
    fn err<T>(
        &self,
        kind: ErrorKind,
        detail: impl Into<std::borrow::Cow<'static, str>>,
        at: usize,
    ) -> Result<T> {
        Err(Error::new(kind, detail, self.src, at))
    }

    fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.bytes[self.pos])
        } else {
            None
        }
    }

    fn peek_at(&self, at: usize) -> Option<u8> {
        if at < self.end {
            Some(self.bytes[at])
        } else {
            None
        }
    }

    /// The char at `pos` for messages (the cursor is always on a char boundary).
    fn cur_char(&self) -> char {
        self.src[self.pos..self.end].chars().next().unwrap_or(' ')
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_filter_ws(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return self.err(
                ErrorKind::TooDeep,
                format!("filters nest deeper than the limit of {}", self.max_depth),
                self.pos,
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn top(&mut self, mode: Mode) -> Result<Path> {
        let first = self.bytes[self.pos];
        if mode == Mode::Path && (first == b'$' || first == b'@') {
            let root = if first == b'$' {
                Root::Doc
            } else {
                Root::Current
            };
            self.pos += 1;
            let mut steps = Vec::new();
            if self.pos < self.end {
                match self.bytes[self.pos] {
                    b'.' | b'[' => {}
                    _ => {
                        return self.err(
                            ErrorKind::Syntax,
                            format!(
                                "expected '.' or '[' after '{}', found '{}'",
                                first as char,
                                self.cur_char()
                            ),
                            self.pos,
                        );
                    }
                }
                self.steps(&mut steps, false)?;
            }
            return Ok(Path { root, steps });
        }
        // Jayway prefixes a path that starts with neither '$' nor '@' with "$.". The
        // virtual '.' is handled here so that offsets stay those of the text as written.
        let mut steps = Vec::new();
        self.after_dot(&mut steps, true)?;
        self.steps(&mut steps, false)?;
        Ok(Path {
            root: Root::Doc,
            steps,
        })
    }

    /// Handles what follows a '.' (already consumed when `virtual_dot`, else at `pos`).
    fn after_dot(&mut self, steps: &mut Vec<Spanned>, virtual_dot: bool) -> Result<()> {
        let dot_at = self.pos;
        if !virtual_dot {
            self.pos += 1;
        }
        if self.peek() == Some(b'.') {
            // '..': the second dot is the current one.
            steps.push(Spanned {
                step: Step::Scan,
                offset: if virtual_dot { self.pos } else { dot_at },
            });
            self.pos += 1;
            if self.peek() == Some(b'.') {
                return self.err(ErrorKind::Syntax, "'...' is not valid", self.pos);
            }
        }
        if self.pos >= self.end {
            let at = self.end.saturating_sub(1).max(dot_at.min(self.end));
            return self.err(
                ErrorKind::Syntax,
                "the path must not end with '.' or '..'",
                at,
            );
        }
        Ok(())
    }

    /// Reads tokens until the end (or, in a filter, until a path terminator).
    fn steps(&mut self, steps: &mut Vec<Spanned>, in_filter: bool) -> Result<()> {
        // After '.', a token is mandatory; `after_dot` already checked there is input.
        loop {
            let Some(b) = self.peek() else {
                return Ok(());
            };
            if in_filter && ends_filter_path(b) {
                return Ok(());
            }
            match b {
                b'.' => {
                    self.after_dot(steps, false)?;
                    if in_filter && self.peek().is_some_and(ends_filter_path) {
                        return self.err(ErrorKind::Syntax, "expected a name after '.'", self.pos);
                    }
                    // The next iteration reads the token after the dot.
                    match self.peek() {
                        Some(b'[' | b'*') => continue,
                        _ => {
                            self.name_or_function(steps, in_filter)?;
                        }
                    }
                }
                b'[' => self.bracket(steps)?,
                b'*' => {
                    steps.push(Spanned {
                        step: Step::Wildcard,
                        offset: self.pos,
                    });
                    self.pos += 1;
                }
                // DIALECT: Jayway reads a bare name right after any token (`$['a']b` is
                // `$['a'].b`); so do we.
                _ => self.name_or_function(steps, in_filter)?,
            }
        }
    }

    /// `name` or `name()` up to '.', '[', '(' (and filter terminators inside filters).
    fn name_or_function(&mut self, steps: &mut Vec<Spanned>, in_filter: bool) -> Result<()> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b'.' || b == b'[' || b == b'(' {
                break;
            }
            if in_filter && ends_filter_path(b) {
                break;
            }
            if b == b' ' {
                let detail = if self.pos == start {
                    "unexpected ' ': whitespace is not allowed between steps"
                } else {
                    "a name after '.' cannot contain a space; use bracket notation ['my prop']"
                };
                return self.err(ErrorKind::Syntax, detail, self.pos);
            }
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        if self.peek() == Some(b'(') {
            if name.is_empty() {
                return self.err(
                    ErrorKind::Syntax,
                    "expected a function name before '('",
                    start,
                );
            }
            let open = self.pos;
            if self.peek_at(open + 1) != Some(b')') {
                if self.peek_at(open + 1).is_none() {
                    return self.err(ErrorKind::Syntax, "'(' is never closed with ')'", open);
                }
                return self.err(
                    ErrorKind::Unsupported,
                    "function arguments are not supported",
                    open + 1,
                );
            }
            if in_filter {
                return self.err(
                    ErrorKind::Unsupported,
                    "functions inside filters are not supported",
                    start,
                );
            }
            if name != "length" && name != "size" {
                if JAYWAY_FUNCTIONS.contains(&name) {
                    return self.err(
                        ErrorKind::Unsupported,
                        format!(
                            "the function {name}() is not supported (only length() and size())"
                        ),
                        start,
                    );
                }
                return self.err(
                    ErrorKind::Syntax,
                    format!("unknown function {name}()"),
                    start,
                );
            }
            self.pos = open + 2;
            if self.pos < self.end {
                return self.err(
                    ErrorKind::Unsupported,
                    "length() must be the last step of the path",
                    self.pos,
                );
            }
            steps.push(Spanned {
                step: Step::Length,
                offset: start,
            });
            return Ok(());
        }
        if name.is_empty() {
            return self.err(
                ErrorKind::Syntax,
                format!("expected a name, found '{}'", self.cur_char()),
                start,
            );
        }
        steps.push(Spanned {
            step: Step::Name(name.into()),
            offset: start,
        });
        Ok(())
    }

    fn bracket(&mut self, steps: &mut Vec<Spanned>) -> Result<()> {
        let open = self.pos;
        self.pos += 1;
        self.skip_ws();
        match self.peek() {
            None => self.err(ErrorKind::Syntax, "'[' is never closed with ']'", open),
            Some(q @ (b'\'' | b'"')) => self.bracket_names(steps, open, q),
            Some(b'0'..=b'9' | b'-' | b':') => self.bracket_array(steps, open),
            Some(b'*') => {
                self.pos += 1;
                self.skip_ws();
                if self.peek() != Some(b']') {
                    return self.err(ErrorKind::Syntax, "expected ']' after '[*'", self.pos);
                }
                self.pos += 1;
                steps.push(Spanned {
                    step: Step::Wildcard,
                    offset: open,
                });
                Ok(())
            }
            Some(b'?') => self.bracket_filter(steps, open),
            Some(_) => self.err(
                ErrorKind::Syntax,
                format!(
                    "expected a quoted name, an index, '*' or '?' after '[', found '{}'",
                    self.cur_char()
                ),
                self.pos,
            ),
        }
    }

    /// A quoted string starting at the quote at `pos`; returns it unescaped.
    fn quoted(&mut self, q: u8) -> Result<String> {
        let quote_at = self.pos;
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let Some(b) = self.peek() else {
                return self.err(
                    ErrorKind::Syntax,
                    format!("the quoted string is never closed with {}", q as char),
                    quote_at,
                );
            };
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                break;
            }
            self.pos += 1;
        }
        let raw_end = self.pos;
        self.pos += 1;
        unescape(&self.src[start..raw_end])
            .map_err(|(detail, rel)| Error::new(ErrorKind::Syntax, detail, self.src, start + rel))
    }

    fn bracket_names(&mut self, steps: &mut Vec<Spanned>, open: usize, q: u8) -> Result<()> {
        let mut names: Vec<Box<str>> = Vec::new();
        loop {
            if self.peek() != Some(q) {
                // DIALECT: Jayway silently skips a name quoted with the other quote kind in
                // a list (`['a',"b"]` selects only `a`); we reject it.
                return self.err(
                    ErrorKind::Syntax,
                    format!("expected a name quoted with {}", q as char),
                    self.pos,
                );
            }
            names.push(self.quoted(q)?.into());
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if matches!(self.peek(), Some(b',' | b']')) {
                        return self.err(ErrorKind::Syntax, "empty name in a list", self.pos);
                    }
                }
                None => {
                    return self.err(ErrorKind::Syntax, "'[' is never closed with ']'", open);
                }
                Some(_) => {
                    return self.err(
                        ErrorKind::Syntax,
                        "expected ',' or ']' after a quoted name",
                        self.pos,
                    );
                }
            }
        }
        let step = if names.len() == 1 {
            Step::Name(names.pop().unwrap_or_default())
        } else {
            Step::Names(names)
        };
        steps.push(Spanned { step, offset: open });
        Ok(())
    }

    fn bracket_array(&mut self, steps: &mut Vec<Spanned>, open: usize) -> Result<()> {
        let body_start = open + 1;
        let Some(close_rel) = self.src[body_start..self.end].find(']') else {
            return self.err(ErrorKind::Syntax, "'[' is never closed with ']'", open);
        };
        let close = body_start + close_rel;
        let body = &self.src[body_start..close];
        for (i, c) in body.char_indices() {
            if !(c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' ')) {
                return self.err(
                    ErrorKind::Syntax,
                    format!("unexpected '{c}' in an array index or slice"),
                    body_start + i,
                );
            }
        }
        let lead = body.len() - body.trim_start().len();
        let trimmed = body.trim();
        let t_start = body_start + lead;
        let step = if trimmed.contains(':') {
            if let Some(i) = trimmed.find(' ') {
                return self.err(
                    ErrorKind::Syntax,
                    "a slice cannot contain spaces",
                    t_start + i,
                );
            }
            // Java `split(":")`: trailing empty strings are dropped.
            let mut parts: Vec<(usize, &str)> = Vec::new();
            let mut at = 0;
            for part in trimmed.split(':') {
                parts.push((t_start + at, part));
                at += part.len() + 1;
            }
            while parts.last().is_some_and(|(_, p)| p.is_empty()) {
                parts.pop();
            }
            // DIALECT: like Jayway, anything after the second ':' (a step) is ignored.
            let bound = |parser: &Self, idx: usize| -> Result<Option<i32>> {
                match parts.get(idx) {
                    Some((_, "")) | None => Ok(None),
                    Some((off, text)) => parser.int(text, *off).map(Some),
                }
            };
            let from = bound(self, 0)?;
            let to = bound(self, 1)?;
            if from.is_none() && to.is_none() {
                return self.err(
                    ErrorKind::Syntax,
                    "a slice needs a start or an end",
                    t_start,
                );
            }
            Step::Slice { from, to }
        } else {
            let mut idx = Vec::new();
            let mut at = 0;
            for part in trimmed.split(',') {
                let lead = part.len() - part.trim_start().len();
                idx.push(self.int(part.trim(), t_start + at + lead)?);
                at += part.len() + 1;
            }
            if idx.len() == 1 {
                Step::Index(idx[0])
            } else {
                Step::Indexes(idx)
            }
        };
        self.pos = close + 1;
        steps.push(Spanned { step, offset: open });
        Ok(())
    }

    /// Java `Integer.parseInt` on an already char-checked token.
    fn int(&self, text: &str, at: usize) -> Result<i32> {
        if text.is_empty() {
            return self.err(ErrorKind::Syntax, "empty array index", at);
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return self.err(ErrorKind::Syntax, format!("'{text}' is not an integer"), at);
        }
        text.parse::<i32>().or_else(|_| {
            self.err(
                ErrorKind::InvalidIndex,
                format!("'{text}' does not fit in a 32-bit integer"),
                at,
            )
        })
    }

    fn bracket_filter(&mut self, steps: &mut Vec<Spanned>, open: usize) -> Result<()> {
        let q = self.pos;
        self.pos += 1;
        self.skip_ws();
        match self.peek() {
            Some(b']' | b',') => {
                return self.err(
                    ErrorKind::Unsupported,
                    "placeholder filters '[?]' need predicates supplied by the caller",
                    q,
                );
            }
            Some(b'(') => {}
            _ => {
                return self.err(
                    ErrorKind::Syntax,
                    "expected '(' after '?': filters are written [?(...)]",
                    self.pos,
                );
            }
        }
        self.enter()?;
        self.pos += 1;
        let expr = self.or()?;
        self.skip_ws();
        if self.peek() != Some(b')') {
            return self.err(
                ErrorKind::Syntax,
                "expected ')' to close the filter expression",
                self.pos,
            );
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() != Some(b']') {
            return self.err(ErrorKind::Syntax, "expected ']' after the filter", self.pos);
        }
        self.pos += 1;
        self.leave();
        steps.push(Spanned {
            step: Step::Filter(Box::new(expr)),
            offset: open,
        });
        Ok(())
    }

    fn or(&mut self) -> Result<Expr> {
        let mut items = vec![self.and()?];
        loop {
            self.skip_ws();
            if self.src[self.pos..self.end].starts_with("||") {
                self.pos += 2;
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr> {
        let mut items = vec![self.unary()?];
        loop {
            self.skip_ws();
            if self.src[self.pos..self.end].starts_with("&&") {
                self.pos += 2;
                items.push(self.unary()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr> {
        self.skip_ws();
        match self.peek() {
            Some(b'!') if self.peek_at(self.pos + 1) != Some(b'=') => {
                self.pos += 1;
                self.enter()?;
                let inner = self.unary()?;
                self.leave();
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(b'(') => {
                self.enter()?;
                let open = self.pos;
                self.pos += 1;
                let inner = self.or()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return self.err(ErrorKind::Syntax, "'(' is never closed with ')'", open);
                }
                self.pos += 1;
                self.leave();
                Ok(inner)
            }
            _ => self.relation(),
        }
    }

    fn relation(&mut self) -> Result<Expr> {
        let left_at = self.pos;
        let left = self.operand()?;
        self.skip_ws();
        let Some(op) = self.op()? else {
            return match left {
                Operand::Path(p, at) => Ok(Expr::Exists(p, at)),
                _ => self.err(
                    ErrorKind::Syntax,
                    "expected a comparison operator after the literal",
                    self.pos.max(left_at),
                ),
            };
        };
        self.skip_ws();
        if matches!(op, CmpOp::In | CmpOp::Nin) {
            return self.in_list(left, left_at, op);
        }
        let right = self.operand()?;
        Ok(Expr::Cmp { left, op, right })
    }

    /// `path in [lit, …]` / `path nin [lit, …]`, desugared into `==` alternatives
    /// (Jayway's `ValueListNode.contains` uses the same `equals` as `==`).
    fn in_list(&mut self, left: Operand, left_at: usize, op: CmpOp) -> Result<Expr> {
        if !matches!(left, Operand::Path(..)) {
            return self.err(
                ErrorKind::Unsupported,
                "'in'/'nin' are supported only with a path on the left",
                left_at,
            );
        }
        let open = self.pos;
        if self.peek() != Some(b'[') {
            return self.err(
                ErrorKind::Unsupported,
                "'in'/'nin' are supported only with a literal list [..] on the right",
                open,
            );
        }
        self.pos += 1;
        let mut alts = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') && alts.is_empty() {
                return self.err(ErrorKind::Unsupported, "an empty 'in' list", open);
            }
            let at = self.pos;
            let lit = self.operand()?;
            if matches!(lit, Operand::Path(..)) {
                return self.err(
                    ErrorKind::Unsupported,
                    "only literals are supported in an 'in' list",
                    at,
                );
            }
            alts.push(Expr::Cmp {
                left: left.clone(),
                op: CmpOp::Eq,
                right: lit,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                None => return self.err(ErrorKind::Syntax, "'[' is never closed with ']'", open),
                Some(_) => {
                    return self.err(
                        ErrorKind::Syntax,
                        "expected ',' or ']' in the list",
                        self.pos,
                    );
                }
            }
        }
        let any = if alts.len() == 1 {
            alts.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(alts)
        };
        Ok(if op == CmpOp::Nin {
            Expr::Not(Box::new(any))
        } else {
            any
        })
    }

    fn op(&mut self) -> Result<Option<CmpOp>> {
        let rest = &self.src[self.pos..self.end];
        let (op, len) = if rest.starts_with("===") {
            (CmpOp::StrictEq, 3)
        } else if rest.starts_with("!==") {
            (CmpOp::StrictNe, 3)
        } else if rest.starts_with("==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with("!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with("<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with("=~") {
            return self.err(
                ErrorKind::Unsupported,
                "the regex operator =~ is not supported",
                self.pos,
            );
        } else if rest.starts_with('<') {
            (CmpOp::Lt, 1)
        } else if rest.starts_with('>') {
            (CmpOp::Gt, 1)
        } else {
            let word: &str = rest
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("");
            let lower = word.to_ascii_lowercase();
            if lower == "in" || lower == "nin" {
                self.pos += word.len();
                return Ok(Some(if lower == "in" { CmpOp::In } else { CmpOp::Nin }));
            }
            if JAYWAY_WORD_OPS.contains(&lower.as_str()) {
                return self.err(
                    ErrorKind::Unsupported,
                    format!("the filter operator '{word}' is not supported"),
                    self.pos,
                );
            }
            return Ok(None);
        };
        self.pos += len;
        Ok(Some(op))
    }

    fn operand(&mut self) -> Result<Operand> {
        self.skip_ws();
        let at = self.pos;
        match self.peek() {
            Some(b'@' | b'$') => {
                let root = if self.bytes[at] == b'$' {
                    Root::Doc
                } else {
                    Root::Current
                };
                self.pos += 1;
                if let Some(b) = self.peek()
                    && !(b == b'.' || b == b'[' || ends_filter_path(b))
                {
                    return self.err(
                        ErrorKind::Syntax,
                        format!("expected '.' or '[' after '{}'", self.bytes[at] as char),
                        self.pos,
                    );
                }
                let mut steps = Vec::new();
                self.enter()?;
                self.steps(&mut steps, true)?;
                self.leave();
                Ok(Operand::Path(Path { root, steps }, at))
            }
            Some(q @ (b'\'' | b'"')) => Ok(Operand::Str(self.quoted(q)?)),
            Some(b'0'..=b'9' | b'-') => self.number(),
            Some(b'/') => self.err(
                ErrorKind::Unsupported,
                "regex literals are not supported in filters",
                at,
            ),
            Some(b'{' | b'[') => self.err(
                ErrorKind::Unsupported,
                "JSON literals are not supported in filters",
                at,
            ),
            Some(_) => {
                let rest = &self.src[at..self.end];
                for (word, value) in [
                    ("true", Operand::Bool(true)),
                    ("false", Operand::Bool(false)),
                    ("null", Operand::Null),
                ] {
                    if let Some(after) = rest.strip_prefix(word)
                        && !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    {
                        self.pos += word.len();
                        return Ok(value);
                    }
                }
                self.err(
                    ErrorKind::Syntax,
                    format!(
                        "expected a path, a string, a number, true, false or null, found '{}'",
                        self.cur_char()
                    ),
                    at,
                )
            }
            None => self.err(ErrorKind::Syntax, "the filter ends unexpectedly", at),
        }
    }

    fn number(&mut self) -> Result<Operand> {
        let at = self.pos;
        let rest = &self.bytes[at..self.end];
        let mut i = 0;
        if rest.first() == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while rest.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == int_start {
            return self.err(ErrorKind::Syntax, "expected digits after '-'", at);
        }
        let mut float = false;
        if rest.get(i) == Some(&b'.') && rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
            float = true;
            i += 1;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(rest.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(rest.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if rest.get(j).is_some_and(u8::is_ascii_digit) {
                float = true;
                while rest.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                i = j;
            }
        }
        let text = &self.src[at..at + i];
        self.pos = at + i;
        if !float && let Ok(n) = text.parse::<i64>() {
            return Ok(Operand::Int(n));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Operand::Float(f, text.into())),
            _ => self.err(
                ErrorKind::Syntax,
                format!("'{text}' is not a usable number"),
                at,
            ),
        }
    }
}

/// Jayway's `Utils.unescape`: `\\ \' \" \/ \b \f \n \r \t \uXXXX`; any other escaped
/// character stands for itself. Returns (detail, byte offset in `raw`) on failure.
pub(crate) fn unescape(raw: &str) -> std::result::Result<String, (&'static str, usize)> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            // A trailing lone backslash is kept (as Jayway does).
            out.push('\\');
            break;
        };
        match e {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hi = hex4(raw, i + 2).ok_or(("expected 4 hex digits after \\u", i))?;
                for _ in 0..4 {
                    chars.next();
                }
                let code = if (0xD800..0xDC00).contains(&hi) {
                    let lo = raw
                        .get(i + 6..i + 8)
                        .filter(|s| *s == "\\u")
                        .and_then(|_| hex4(raw, i + 8))
                        .filter(|lo| (0xDC00..0xE000).contains(lo))
                        .ok_or(("a high surrogate must be followed by a low surrogate", i))?;
                    for _ in 0..6 {
                        chars.next();
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                out.push(char::from_u32(code).ok_or(("lone surrogate in \\u escape", i))?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn hex4(raw: &str, at: usize) -> Option<u32> {
    let s = raw.get(at..at + 4)?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}
