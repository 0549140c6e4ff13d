//! A parser for `java.util.regex.Pattern` syntax.
//!
//! It follows the structure of Java's own recursive-descent parser (the
//! `\Q…\E` pre-pass, `sequence`/`atom`/`closure`/`clazz`/`escape`), because
//! Java's accepted language is defined by that code more than by its
//! documentation. Flags are resolved while parsing, as Java does, so the
//! tree has no flags left in it: a case-insensitive literal becomes a class,
//! `.` becomes the class its flags give, and so on.

use regex_syntax::hir::ClassUnicode;

use crate::error::{Error, ErrorKind};
use crate::props::{self, Lookup};

pub(crate) const UNIX_LINES: u32 = 0x01;
pub(crate) const CASE_INSENSITIVE: u32 = 0x02;
pub(crate) const COMMENTS: u32 = 0x04;
pub(crate) const MULTILINE: u32 = 0x08;
pub(crate) const DOTALL: u32 = 0x20;
pub(crate) const UNICODE_CASE: u32 = 0x40;
pub(crate) const UNICODE_CHARACTER_CLASS: u32 = 0x100;

/// A zero-width assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// `\A`, or `^` without MULTILINE.
    Start,
    /// `\z`.
    End,
    /// `$` without MULTILINE, or `\Z`: end of input, or before a final line
    /// terminator.
    EndOrFinalTerminator { unix: bool },
    /// `^` with MULTILINE.
    LineStart { unix: bool },
    /// `$` with MULTILINE.
    LineEnd { unix: bool },
    /// `\b`.
    WordBoundary { unicode: bool },
    /// `\B`.
    NotWordBoundary { unicode: bool },
}

/// How a quantifier behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Greed {
    Greedy,
    Lazy,
    Possessive,
}

/// What kind of group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Capture { name: Option<String> },
    NonCapture,
    Atomic,
    LookAhead { negate: bool },
    LookBehind { negate: bool },
}

/// The parsed pattern, flags already applied.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Empty,
    /// Matches one character of the set (possibly empty: never matches).
    Class(ClassUnicode),
    Look(Look),
    /// `\R`.
    LineBreak,
    Group(GroupKind, Box<Node>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greed: Greed,
    },
    /// A back-reference; `None` when the group can never exist.
    BackRef {
        group: Option<u32>,
        case_insensitive: bool,
    },
}

/// The result of parsing.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) node: Node,
    pub(crate) groups: u32,
    pub(crate) names: Vec<(String, u32)>,
}

/// Java's `RemoveQEQuoting`: rewrites `\Q…\E` into escaped characters.
/// Returns the rewritten code points, each with the byte offset in the
/// original pattern it came from.
fn remove_qe_quoting(pattern: &str) -> Vec<(u32, usize)> {
    let src: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    let mut in_quote = false;
    let mut begin_quote = false;
    while i < src.len() {
        let (off, c) = src[i];
        i += 1;
        if !c.is_ascii() || c.is_ascii_alphabetic() {
            out.push((c as u32, off));
        } else if c.is_ascii_digit() {
            if begin_quote {
                for e in ['\\', 'x', '3'] {
                    out.push((e as u32, off));
                }
            }
            out.push((c as u32, off));
        } else if c != '\\' {
            if in_quote {
                out.push(('\\' as u32, off));
            }
            out.push((c as u32, off));
        } else if in_quote {
            if src.get(i).map(|p| p.1) == Some('E') {
                i += 1;
                in_quote = false;
            } else {
                out.push(('\\' as u32, off));
                out.push(('\\' as u32, off));
            }
        } else if src.get(i).map(|p| p.1) == Some('Q') {
            i += 1;
            in_quote = true;
            begin_quote = true;
            continue;
        } else {
            out.push((c as u32, off));
            if let Some(&(o2, c2)) = src.get(i) {
                out.push((c2 as u32, o2));
                i += 1;
            }
        }
        begin_quote = false;
    }
    out
}

fn is_ascii_space(c: u32) -> bool {
    matches!(c, 0x20 | 0x09 | 0x0A | 0x0B | 0x0C | 0x0D)
}

fn is_digit(c: u32) -> bool {
    (0x30..=0x39).contains(&c)
}

fn is_hex(c: u32) -> bool {
    char::from_u32(c).is_some_and(|c| c.is_ascii_hexdigit())
}

fn hex_val(c: u32) -> u32 {
    char::from_u32(c).and_then(|c| c.to_digit(16)).unwrap_or(0)
}

fn is_alpha(c: u32) -> bool {
    char::from_u32(c).is_some_and(|c| c.is_ascii_alphabetic())
}

fn is_alnum(c: u32) -> bool {
    char::from_u32(c).is_some_and(|c| c.is_ascii_alphanumeric())
}

/// End of input, as Java's zero padding.
const EOI: u32 = u32::MAX;

/// A class expression whose "bits" part is shared and mutable, as in Java's
/// `clazz`: Java accumulates single characters in one `BitClass` per class
/// and lets earlier predicates alias it, so characters added after an `&&`
/// can leak into the left operand. We evaluate the tree only at `]`, with
/// the final bits, to reproduce that.
#[derive(Debug, Clone)]
enum ClassExpr {
    Bits,
    Set(ClassUnicode),
    Union(Box<ClassExpr>, Box<ClassExpr>),
    And(Box<ClassExpr>, Box<ClassExpr>),
}

impl ClassExpr {
    fn eval(&self, bits: &ClassUnicode) -> ClassUnicode {
        match self {
            ClassExpr::Bits => bits.clone(),
            ClassExpr::Set(c) => c.clone(),
            ClassExpr::Union(a, b) => {
                let mut x = a.eval(bits);
                x.union(&b.eval(bits));
                x
            }
            ClassExpr::And(a, b) => {
                let mut x = a.eval(bits);
                x.intersect(&b.eval(bits));
                x
            }
        }
    }
}

fn union_expr(prev: Option<ClassExpr>, cur: ClassExpr) -> ClassExpr {
    match prev {
        None => cur,
        Some(p) => ClassExpr::Union(Box::new(p), Box::new(cur)),
    }
}

/// What an escape produced.
enum Escaped {
    Char(u32),
    Class(ClassUnicode),
    Node(Node),
}

pub(crate) struct Parser<'a> {
    pattern: &'a str,
    buf: Vec<(u32, usize)>,
    cursor: usize,
    flags: u32,
    groups: u32,
    names: Vec<(String, u32)>,
    depth: u32,
    nest_limit: u32,
}

type PResult<T> = Result<T, Error>;

impl<'a> Parser<'a> {
    /// Parses `pattern` with initial flags 0.
    pub(crate) fn parse(pattern: &'a str, nest_limit: u32) -> PResult<Parsed> {
        let mut p = Parser {
            pattern,
            buf: remove_qe_quoting(pattern),
            cursor: 0,
            flags: 0,
            groups: 0,
            names: Vec::new(),
            depth: 0,
            nest_limit,
        };
        let node = p.expr()?;
        if p.cursor < p.buf.len() {
            // expr stops only at ')' (or end).
            return Err(p.error(
                ErrorKind::UnmatchedClosingParenthesis,
                "Unmatched closing ')'",
            ));
        }
        Ok(Parsed {
            node,
            groups: p.groups,
            names: p.names,
        })
    }

    fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    fn offset_at(&self, i: usize) -> usize {
        self.buf.get(i).map_or(self.pattern.len(), |p| p.1)
    }

    /// An error at Java's index for the current state (`cursor - 1`).
    fn error(&self, kind: ErrorKind, msg: impl Into<String>) -> Error {
        self.error_at(self.cursor.saturating_sub(1), kind, msg)
    }

    fn error_at(&self, i: usize, kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error::new(kind, msg, self.pattern, self.offset_at(i))
    }

    fn raw(&self, i: usize) -> u32 {
        self.buf.get(i).map_or(EOI, |p| p.0)
    }

    fn is_line_separator(&self, c: u32) -> bool {
        if self.has(UNIX_LINES) {
            c == 0x0A
        } else {
            matches!(c, 0x0A | 0x0D | 0x85 | 0x2028 | 0x2029)
        }
    }

    /// Java's `peekPastWhitespace`, applied when COMMENTS is on.
    fn skip_comments(&mut self) {
        if !self.has(COMMENTS) {
            return;
        }
        loop {
            let c = self.raw(self.cursor);
            if is_ascii_space(c) {
                self.cursor += 1;
            } else if c == '#' as u32 {
                self.cursor += 1;
                while self.cursor < self.buf.len() && !self.is_line_separator(self.raw(self.cursor))
                {
                    self.cursor += 1;
                }
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> u32 {
        self.skip_comments();
        self.raw(self.cursor)
    }

    fn read(&mut self) -> u32 {
        let c = self.peek();
        if self.cursor <= self.buf.len() {
            self.cursor += 1;
        }
        c
    }

    fn next(&mut self) -> u32 {
        if self.cursor <= self.buf.len() {
            self.cursor += 1;
        }
        self.peek()
    }

    /// Java's `skip`: the raw character after the cursor, consuming both.
    fn skip(&mut self) -> u32 {
        let c = self.raw(self.cursor + 1);
        self.cursor += 2;
        c
    }

    fn unread(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.nest_limit {
            return Err(self.error(
                ErrorKind::NestTooDeep,
                format!("Nesting deeper than {} levels", self.nest_limit),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> PResult<Node> {
        let mut branches = Vec::new();
        loop {
            let node = self.sequence()?;
            branches.push(node);
            if self.peek() != '|' as u32 {
                break;
            }
            self.next();
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn sequence(&mut self) -> PResult<Node> {
        let mut items = Vec::new();
        loop {
            let ch = self.peek();
            let node = match ch {
                EOI => break,
                0x28 => {
                    // '('
                    if let Some(g) = self.group0()? {
                        items.push(g);
                    }
                    continue;
                }
                0x5B => {
                    // '['
                    self.enter()?;
                    let c = self.clazz(true)?;
                    self.depth -= 1;
                    Node::Class(c)
                }
                0x5C => {
                    // '\\'
                    let e = self.raw(self.cursor + 1);
                    if e == 'p' as u32 || e == 'P' as u32 {
                        self.cursor += 1;
                        Node::Class(self.property(e == 'P' as u32)?)
                    } else {
                        match self.escape(false, false)? {
                            Escaped::Char(c) => Node::Class(self.single(c)),
                            Escaped::Class(c) => Node::Class(c),
                            Escaped::Node(n) => n,
                        }
                    }
                }
                0x5E => {
                    // '^'
                    self.next();
                    Node::Look(if self.has(MULTILINE) {
                        Look::LineStart {
                            unix: self.has(UNIX_LINES),
                        }
                    } else {
                        Look::Start
                    })
                }
                0x24 => {
                    // '$'
                    self.next();
                    let unix = self.has(UNIX_LINES);
                    Node::Look(if self.has(MULTILINE) {
                        Look::LineEnd { unix }
                    } else {
                        Look::EndOrFinalTerminator { unix }
                    })
                }
                0x2E => {
                    // '.'
                    self.next();
                    Node::Class(if self.has(DOTALL) {
                        props::all()
                    } else if self.has(UNIX_LINES) {
                        let mut c = props::single(0x0A);
                        c.negate();
                        c
                    } else {
                        let mut c = props::line_terminators();
                        c.negate();
                        c
                    })
                }
                0x7C | 0x29 => break, // '|' ')'
                0x3F | 0x2A | 0x2B => {
                    // '?' '*' '+'
                    self.next();
                    let c = char::from_u32(ch).unwrap_or('?');
                    return Err(self.error(
                        ErrorKind::DanglingMetaCharacter,
                        format!("Dangling meta character '{c}'"),
                    ));
                }
                0x7B => Node::Empty, // '{': Java's atom() returns an empty slice
                _ => {
                    self.next();
                    Node::Class(self.single(ch))
                }
            };
            let node = self.closure(node)?;
            items.push(node);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn closure(&mut self, prev: Node) -> PResult<Node> {
        let ch = self.peek();
        let (min, max) = match ch {
            0x3F => (0, Some(1)),
            0x2A => (0, None),
            0x2B => (1, None),
            0x7B => {
                let first = self.raw(self.cursor + 1);
                if !is_digit(first) {
                    self.next();
                    return Err(self.error_at(
                        self.cursor,
                        ErrorKind::IllegalRepetition,
                        "Illegal repetition",
                    ));
                }
                self.skip();
                let overflow = |p: &Parser<'_>| {
                    p.error(
                        ErrorKind::IllegalRepetitionRange,
                        "Illegal repetition range",
                    )
                };
                let mut ch = first;
                let mut cmin: u32 = 0;
                loop {
                    cmin = cmin
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(ch - 0x30))
                        .ok_or_else(|| overflow(self))?;
                    if cmin > i32::MAX as u32 {
                        return Err(overflow(self));
                    }
                    ch = self.read();
                    if !is_digit(ch) {
                        break;
                    }
                }
                let mut cmax = Some(cmin);
                if ch == ',' as u32 {
                    ch = self.read();
                    cmax = None;
                    if ch != '}' as u32 {
                        let mut m: u32 = 0;
                        while is_digit(ch) {
                            m = m
                                .checked_mul(10)
                                .and_then(|v| v.checked_add(ch - 0x30))
                                .ok_or_else(|| overflow(self))?;
                            if m > i32::MAX as u32 {
                                return Err(overflow(self));
                            }
                            ch = self.read();
                        }
                        cmax = Some(m);
                    }
                }
                if ch != '}' as u32 {
                    return Err(self.error(
                        ErrorKind::UnclosedCountedClosure,
                        "Unclosed counted closure",
                    ));
                }
                if let Some(m) = cmax
                    && m < cmin
                {
                    return Err(self.error(
                        ErrorKind::IllegalRepetitionRange,
                        "Illegal repetition range",
                    ));
                }
                // Java's MAX_REPS (0x7fffffff) means unbounded.
                if cmax == Some(i32::MAX as u32) {
                    cmax = None;
                }
                self.unread();
                (cmin, cmax)
            }
            _ => return Ok(prev),
        };
        let ch = self.next();
        let greed = if ch == '?' as u32 {
            self.next();
            Greed::Lazy
        } else if ch == '+' as u32 {
            self.next();
            Greed::Possessive
        } else {
            Greed::Greedy
        };
        Ok(Node::Repeat {
            node: Box::new(prev),
            min,
            max,
            greed,
        })
    }

    /// Java's `group0`; returns `None` for a flags-only group such as `(?i)`.
    fn group0(&mut self) -> PResult<Option<Node>> {
        self.enter()?;
        let save = self.flags;
        let ch = self.next();
        let kind = if ch == '?' as u32 {
            let ch = self.skip();
            match ch {
                0x3A => GroupKind::NonCapture,
                0x3D => GroupKind::LookAhead { negate: false },
                0x21 => GroupKind::LookAhead { negate: true },
                0x3E => GroupKind::Atomic,
                0x3C => {
                    let ch = self.read();
                    if ch == '=' as u32 || ch == '!' as u32 {
                        GroupKind::LookBehind {
                            negate: ch == '!' as u32,
                        }
                    } else {
                        let name = self.groupname(ch)?;
                        if self.names.iter().any(|(n, _)| *n == name) {
                            return Err(self.error(
                                ErrorKind::GroupName,
                                format!("Named capturing group <{name}> is already defined"),
                            ));
                        }
                        self.groups += 1;
                        self.names.push((name.clone(), self.groups));
                        GroupKind::Capture { name: Some(name) }
                    }
                }
                0x24 | 0x40 => {
                    return Err(self.error(ErrorKind::UnknownGroupSyntax, "Unknown group type"));
                }
                _ => {
                    self.unread();
                    self.add_flags()?;
                    let ch = self.read();
                    if ch == ')' as u32 {
                        self.depth -= 1;
                        return Ok(None);
                    }
                    if ch != ':' as u32 {
                        return Err(
                            self.error(ErrorKind::UnknownGroupSyntax, "Unknown inline modifier")
                        );
                    }
                    GroupKind::NonCapture
                }
            }
        } else {
            self.groups += 1;
            GroupKind::Capture { name: None }
        };
        let inner = self.expr()?;
        if self.peek() != ')' as u32 {
            self.read();
            return Err(self.error(ErrorKind::UnclosedGroup, "Unclosed group"));
        }
        // Java scans look-behind start positions j from i - min down to
        // max(i - max, 0), with the `int` maximum length it computed. When
        // that maximum wrapped negative, i - max overflows only for
        // i > i32::MAX + max: up to that position Java tries no start at all,
        // so the assertion is "disabled" (a positive one fails, a negative
        // one holds). `(?<=a+b*)` is disabled everywhere.
        let mut disabled_up_to: Option<u32> = None;
        if matches!(kind, GroupKind::LookBehind { .. }) {
            let mut study = Study::new();
            study.node(&inner);
            if !study.valid {
                return Err(self.error(
                    ErrorKind::UnknownGroupSyntax,
                    "Look-behind group does not have an obvious maximum length",
                ));
            }
            let total = i64::from(study.total);
            if (0..min_len(&inner)).contains(&total) {
                disabled_up_to = Some(u32::MAX);
            } else if total < 0 {
                let k = i64::from(i32::MAX) + total;
                disabled_up_to = match u32::try_from(k) {
                    Err(_) => None,
                    Ok(k) if k >= 65_536 => Some(u32::MAX),
                    Ok(k) => Some(k),
                };
            }
        }
        // Java's accept(')'): consume it without skipping comments-mode
        // whitespace after it (the group's flags end here).
        self.cursor += 1;
        self.flags = save;
        self.depth -= 1;
        let negative = matches!(kind, GroupKind::LookBehind { negate: true });
        let mut node = Node::Group(kind, Box::new(inner));
        if let Some(k) = disabled_up_to {
            // Keep the group (its capture numbers); `k == u32::MAX` means
            // disabled everywhere (exact for inputs shorter than 64 Ki
            // characters), otherwise up to position k (counted in
            // characters; Java counts UTF-16 units).
            let past_k = (k != u32::MAX).then(|| {
                let any = Node::Repeat {
                    node: Box::new(Node::Class(props::all())),
                    min: k + 1,
                    max: Some(k + 1),
                    greed: Greed::Greedy,
                };
                Node::Group(GroupKind::LookBehind { negate: negative }, Box::new(any))
            });
            node = match (negative, past_k) {
                (true, None) => Node::Alt(vec![node, Node::Empty]),
                (false, None) => Node::Concat(vec![node, Node::Class(ClassUnicode::empty())]),
                // holds at i <= k, else the look-behind decides
                (true, Some(within_k)) => Node::Alt(vec![within_k, node]),
                // needs i > k and the look-behind
                (false, Some(past)) => Node::Concat(vec![past, node]),
            };
        }
        Ok(Some(self.closure(node)?))
    }

    fn add_flags(&mut self) -> PResult<()> {
        let mut ch = self.peek();
        let mut negate = false;
        loop {
            let f = match char::from_u32(ch) {
                Some('i') => CASE_INSENSITIVE,
                Some('m') => MULTILINE,
                Some('s') => DOTALL,
                Some('d') => UNIX_LINES,
                Some('u') => UNICODE_CASE,
                Some('x') => COMMENTS,
                Some('U') => UNICODE_CHARACTER_CLASS | UNICODE_CASE,
                Some('c') => {
                    return Err(
                        self.error(ErrorKind::Unsupported, "CANON_EQ (?c) is not supported")
                    );
                }
                Some('-') if !negate => {
                    negate = true;
                    ch = self.next();
                    continue;
                }
                _ => return Ok(()),
            };
            if negate {
                self.flags &= !f;
            } else {
                self.flags |= f;
            }
            ch = self.next();
        }
    }

    fn groupname(&mut self, first: u32) -> PResult<String> {
        if !is_alpha(first) {
            return Err(self.error(
                ErrorKind::GroupName,
                "capturing group name does not start with a Latin letter",
            ));
        }
        let mut name = String::new();
        let mut ch = first;
        loop {
            name.push(char::from_u32(ch).unwrap_or('?'));
            ch = self.read();
            if !is_alnum(ch) {
                break;
            }
        }
        if ch != '>' as u32 {
            return Err(self.error(
                ErrorKind::GroupName,
                "named capturing group is missing trailing '>'",
            ));
        }
        Ok(name)
    }

    /// A single character as a class, with the current case-folding flags.
    fn single(&self, c: u32) -> ClassUnicode {
        if self.has(CASE_INSENSITIVE) && self.has(UNICODE_CASE) {
            return props::java_single_unicode_ci(c);
        }
        let mut set = props::single(c);
        if self.has(CASE_INSENSITIVE) {
            props::fold_ascii(&mut set);
        }
        set
    }

    /// Java's `bitsOrSingle`: how a single character inside `[...]` folds.
    fn class_single(&self, c: u32) -> ClassUnicode {
        let ci = self.has(CASE_INSENSITIVE);
        let uc = self.has(UNICODE_CASE);
        let special = matches!(
            c,
            0xFF | 0xB5 | 0x49 | 0x69 | 0x53 | 0x73 | 0x4B | 0x6B | 0xC5 | 0xE5
        );
        if c >= 256 || (ci && uc && special) {
            return self.single(c);
        }
        let mut set = props::single(c);
        if ci {
            if c < 128 {
                props::fold_ascii(&mut set);
            } else if uc {
                // Latin-1: the character and its simple lower/upper case.
                for m in [props::simple_lower(c), props::simple_upper(c)] {
                    if m < 256 {
                        set.union(&props::single(m));
                    }
                }
            }
        }
        set
    }

    fn range_class(&self, lo: u32, hi: u32) -> ClassUnicode {
        if self.has(CASE_INSENSITIVE) && self.has(UNICODE_CASE) {
            return props::java_range_unicode_ci(lo, hi);
        }
        let mut set = props::ranges(&[(lo, hi)]);
        if self.has(CASE_INSENSITIVE) {
            props::fold_ascii(&mut set);
        }
        set
    }

    /// `\p` or `\P` with the cursor on the letter.
    fn property(&mut self, complement: bool) -> PResult<ClassUnicode> {
        let ch = self.next();
        let name: String = if ch != '{' as u32 {
            // one-letter form: the raw character after the letter
            let c = self.raw(self.cursor);
            if c == EOI {
                return Err(self.error(
                    ErrorKind::UnknownProperty,
                    "Unknown character property name {\u{0}}",
                ));
            }
            self.cursor += 1;
            char::from_u32(c).map(String::from).unwrap_or_default()
        } else {
            // Java steps over `{` with next(), which skips comments-mode
            // whitespace before the name (but not inside or after it).
            self.cursor += 1;
            self.skip_comments();
            let i = self.cursor;
            while self.cursor < self.buf.len() && self.raw(self.cursor) != '}' as u32 {
                self.cursor += 1;
            }
            if self.cursor >= self.buf.len() {
                return Err(self.error_at(
                    self.cursor,
                    ErrorKind::UnknownProperty,
                    "Unclosed character family",
                ));
            }
            let name: String = self.buf[i..self.cursor]
                .iter()
                .filter_map(|p| char::from_u32(p.0))
                .collect();
            self.cursor += 1;
            if name.is_empty() {
                return Err(self.error(ErrorKind::UnknownProperty, "Empty character family"));
            }
            name
        };
        match props::family(
            &name,
            self.has(CASE_INSENSITIVE),
            self.has(UNICODE_CHARACTER_CLASS),
        ) {
            Lookup::Found(mut c) => {
                if complement {
                    c.negate();
                }
                Ok(c)
            }
            Lookup::Unknown(msg) => Err(self.error(ErrorKind::UnknownProperty, msg)),
            Lookup::Unsupported(msg) => Err(self.error(ErrorKind::Unsupported, msg)),
        }
    }

    /// Java's `escape`, with the cursor on the backslash.
    fn escape(&mut self, inclass: bool, isrange: bool) -> PResult<Escaped> {
        let esc_at = self.cursor + 1;
        let ch = self.skip();
        let uc = self.has(UNICODE_CHARACTER_CLASS);
        let illegal = |p: &Parser<'_>| {
            p.error_at(
                esc_at,
                ErrorKind::IllegalEscapeSequence,
                "Illegal/unsupported escape sequence",
            )
        };
        let neg = |mut c: ClassUnicode| {
            c.negate();
            c
        };
        let Some(c) = char::from_u32(ch) else {
            // end of pattern after a backslash
            if ch == EOI {
                self.cursor = self.buf.len();
                return Err(self.error_at(
                    self.buf.len(),
                    ErrorKind::IllegalEscapeSequence,
                    "Unexpected internal error",
                ));
            }
            return Ok(Escaped::Char(ch));
        };
        let look = |l: Look| Ok(Escaped::Node(Node::Look(l)));
        match c {
            '0' => self.octal().map(Escaped::Char),
            '1'..='9' if !inclass => Ok(Escaped::Node(self.backref(ch - 0x30))),
            'A' if !inclass => look(Look::Start),
            'B' if !inclass => look(Look::NotWordBoundary { unicode: uc }),
            'D' => Ok(Escaped::Class(neg(props::digit(uc)))),
            'G' if !inclass => Err(self.error_at(
                esc_at,
                ErrorKind::Unsupported,
                "\\G (end of previous match) is not supported",
            )),
            'H' => Ok(Escaped::Class(neg(props::horizontal_space()))),
            'N' => Err(self.error_at(esc_at, ErrorKind::Unsupported, "\\N{name} is not supported")),
            'R' if !inclass => Ok(Escaped::Node(Node::LineBreak)),
            'S' => Ok(Escaped::Class(neg(props::space(uc)))),
            'V' => Ok(Escaped::Class(neg(props::vertical_space()))),
            'W' => Ok(Escaped::Class(neg(props::word(uc)))),
            'X' if !inclass => Err(self.error_at(
                esc_at,
                ErrorKind::Unsupported,
                "\\X (grapheme cluster) is not supported",
            )),
            'Z' if !inclass => look(Look::EndOrFinalTerminator {
                unix: self.has(UNIX_LINES),
            }),
            'a' => Ok(Escaped::Char(7)),
            'b' if !inclass => {
                // Java: `\b{g}` is a grapheme boundary, `\b{g` followed by
                // anything else an error, any other `{` a quantifier on `\b`.
                if self.raw(self.cursor) == '{' as u32 && self.raw(self.cursor + 1) == 'g' as u32 {
                    if self.raw(self.cursor + 2) == '}' as u32 {
                        return Err(self.error_at(
                            esc_at,
                            ErrorKind::Unsupported,
                            "\\b{g} (grapheme boundary) is not supported",
                        ));
                    }
                    self.cursor += 3;
                    return Err(self.error(
                        ErrorKind::IllegalEscapeSequence,
                        "Illegal/unsupported escape sequence",
                    ));
                }
                look(Look::WordBoundary { unicode: uc })
            }
            'c' => {
                if self.cursor < self.buf.len() {
                    let c = self.read();
                    Ok(Escaped::Char(c ^ 64))
                } else {
                    Err(self.error(
                        ErrorKind::IllegalNumericEscape,
                        "Illegal control escape sequence",
                    ))
                }
            }
            'd' => Ok(Escaped::Class(props::digit(uc))),
            'e' => Ok(Escaped::Char(0x1B)),
            'f' => Ok(Escaped::Char(0x0C)),
            'h' => Ok(Escaped::Class(props::horizontal_space())),
            'k' if !inclass => {
                if self.read() != '<' as u32 {
                    return Err(self.error(
                        ErrorKind::GroupName,
                        "\\k is not followed by '<' for named capturing group",
                    ));
                }
                let first = self.read();
                let name = self.groupname(first)?;
                let Some(&(_, g)) = self.names.iter().find(|(n, _)| *n == name) else {
                    return Err(self.error(
                        ErrorKind::GroupName,
                        format!("named capturing group <{name}> does not exist"),
                    ));
                };
                Ok(Escaped::Node(Node::BackRef {
                    group: Some(g),
                    case_insensitive: self.has(CASE_INSENSITIVE),
                }))
            }
            'n' => Ok(Escaped::Char(0x0A)),
            'r' => Ok(Escaped::Char(0x0D)),
            's' => Ok(Escaped::Class(props::space(uc))),
            't' => Ok(Escaped::Char(0x09)),
            'u' => self.unicode_escape().map(Escaped::Char),
            'v' => {
                if isrange {
                    Ok(Escaped::Char(0x0B))
                } else {
                    Ok(Escaped::Class(props::vertical_space()))
                }
            }
            'w' => Ok(Escaped::Class(props::word(uc))),
            'x' => self.hex_escape().map(Escaped::Char),
            'z' if !inclass => look(Look::End),
            c if c.is_ascii_alphabetic() => Err(illegal(self)),
            '1'..='9' => Err(illegal(self)),
            _ => Ok(Escaped::Char(ch)),
        }
    }

    fn backref(&mut self, first: u32) -> Node {
        let mut n = first;
        loop {
            let ch = self.peek();
            if !is_digit(ch) {
                break;
            }
            let next = n * 10 + (ch - 0x30);
            if next > self.groups {
                break;
            }
            n = next;
            self.read();
        }
        Node::BackRef {
            group: Some(n),
            case_insensitive: self.has(CASE_INSENSITIVE),
        }
    }

    fn octal(&mut self) -> PResult<u32> {
        let is_oct = |c: u32| (0x30..=0x37).contains(&c);
        let n = self.read();
        if is_oct(n) {
            let m = self.read();
            if is_oct(m) {
                let o = self.read();
                if is_oct(o) && (0x30..=0x33).contains(&n) {
                    return Ok((n - 0x30) * 64 + (m - 0x30) * 8 + (o - 0x30));
                }
                self.unread();
                return Ok((n - 0x30) * 8 + (m - 0x30));
            }
            self.unread();
            return Ok(n - 0x30);
        }
        Err(self.error(
            ErrorKind::IllegalNumericEscape,
            "Illegal octal escape sequence",
        ))
    }

    fn hex_escape(&mut self) -> PResult<u32> {
        let n = self.read();
        if is_hex(n) {
            let m = self.read();
            if is_hex(m) {
                return Ok(hex_val(n) * 16 + hex_val(m));
            }
        } else if n == '{' as u32 && is_hex(self.peek()) {
            let mut ch: u32 = 0;
            let mut n;
            loop {
                n = self.read();
                if !is_hex(n) {
                    break;
                }
                ch = (ch << 4) + hex_val(n);
                if ch > 0x10FFFF {
                    return Err(self.error(
                        ErrorKind::IllegalNumericEscape,
                        "Hexadecimal codepoint is too big",
                    ));
                }
            }
            if n != '}' as u32 {
                return Err(self.error(
                    ErrorKind::IllegalNumericEscape,
                    "Unclosed hexadecimal escape sequence",
                ));
            }
            return Ok(ch);
        }
        Err(self.error(
            ErrorKind::IllegalNumericEscape,
            "Illegal hexadecimal escape sequence",
        ))
    }

    fn uxxxx(&mut self) -> PResult<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let ch = self.read();
            if !is_hex(ch) {
                return Err(self.error(
                    ErrorKind::IllegalNumericEscape,
                    "Illegal Unicode escape sequence",
                ));
            }
            n = n * 16 + hex_val(ch);
        }
        Ok(n)
    }

    fn unicode_escape(&mut self) -> PResult<u32> {
        let n = self.uxxxx()?;
        if (0xD800..0xDC00).contains(&n) {
            let save = self.cursor;
            if self.read() == '\\' as u32 && self.read() == 'u' as u32 {
                // Java reads the second escape without reporting errors in it.
                let mut n2 = 0;
                let mut ok = true;
                for _ in 0..4 {
                    let ch = self.read();
                    if !is_hex(ch) {
                        ok = false;
                        break;
                    }
                    n2 = n2 * 16 + hex_val(ch);
                }
                if ok && (0xDC00..0xE000).contains(&n2) {
                    return Ok(0x10000 + ((n - 0xD800) << 10) + (n2 - 0xDC00));
                }
            }
            self.cursor = save;
        }
        Ok(n)
    }

    /// Java's `clazz`, with the cursor on `[`.
    fn clazz(&mut self, consume: bool) -> PResult<ClassUnicode> {
        let mut bits = ClassUnicode::empty();
        let mut prev: Option<ClassExpr> = None;
        let mut curr: Option<ClassExpr> = None;
        let mut has_bits = false;
        let mut is_neg = false;
        let mut ch = self.next();
        if ch == '^' as u32 && self.raw(self.cursor - 1) == '[' as u32 {
            ch = self.next();
            is_neg = true;
        }
        loop {
            match ch {
                0x5B => {
                    // '['
                    self.enter()?;
                    let c = ClassExpr::Set(self.clazz(true)?);
                    self.depth -= 1;
                    curr = Some(c.clone());
                    prev = Some(union_expr(prev, c));
                    ch = self.peek();
                    continue;
                }
                0x26 => {
                    // '&'
                    ch = self.next();
                    if ch == '&' as u32 {
                        ch = self.next();
                        let mut right: Option<ClassExpr> = None;
                        while ch != ']' as u32 && ch != '&' as u32 {
                            if ch == EOI {
                                return Err(self.error(
                                    ErrorKind::UnclosedCharacterClass,
                                    "Unclosed character class",
                                ));
                            }
                            let c = if ch == '[' as u32 {
                                self.enter()?;
                                let c = self.clazz(true)?;
                                self.depth -= 1;
                                c
                            } else {
                                self.unread();
                                self.enter()?;
                                let c = self.clazz(false)?;
                                self.depth -= 1;
                                c
                            };
                            right = Some(union_expr(right, ClassExpr::Set(c)));
                            ch = self.peek();
                        }
                        if has_bits {
                            if prev.is_none() {
                                prev = Some(ClassExpr::Bits);
                                curr = Some(ClassExpr::Bits);
                            } else {
                                prev = Some(union_expr(prev, ClassExpr::Bits));
                            }
                            has_bits = false;
                        }
                        if right.is_some() {
                            curr = right.clone();
                        }
                        match prev {
                            None => match right {
                                None => {
                                    return Err(
                                        self.error(ErrorKind::BadClassSyntax, "Bad class syntax")
                                    );
                                }
                                Some(r) => prev = Some(r),
                            },
                            Some(p) => {
                                let c = curr.clone().unwrap_or(ClassExpr::Bits);
                                prev = Some(ClassExpr::And(Box::new(p), Box::new(c)));
                            }
                        }
                        continue;
                    }
                    // a literal '&'
                    self.unread();
                }
                EOI => {
                    return Err(self.error(
                        ErrorKind::UnclosedCharacterClass,
                        "Unclosed character class",
                    ));
                }
                // ']' closes the class unless it is its first member.
                0x5D if prev.is_some() || has_bits => {
                    if consume {
                        self.next();
                    }
                    let expr = match prev {
                        None => ClassExpr::Bits,
                        Some(p) if has_bits => {
                            ClassExpr::Union(Box::new(p), Box::new(ClassExpr::Bits))
                        }
                        Some(p) => p,
                    };
                    let mut set = expr.eval(&bits);
                    if is_neg {
                        set.negate();
                    }
                    return Ok(set);
                }
                _ => {}
            }
            match self.range(&mut bits)? {
                None => has_bits = true,
                Some(c) => {
                    let e = ClassExpr::Set(c);
                    curr = Some(e.clone());
                    prev = Some(union_expr(prev, e));
                }
            }
            ch = self.peek();
        }
    }

    /// Java's `range`: one member of a class. Single characters go into
    /// `bits` (returning `None`); anything else is returned.
    fn range(&mut self, bits: &mut ClassUnicode) -> PResult<Option<ClassUnicode>> {
        let mut ch = self.peek();
        if ch == '\\' as u32 {
            let e = self.raw(self.cursor + 1);
            if e == 'p' as u32 || e == 'P' as u32 {
                self.cursor += 1;
                return self.property(e == 'P' as u32).map(Some);
            }
            let isrange = self.raw(self.cursor + 2) == '-' as u32;
            match self.escape(true, isrange)? {
                Escaped::Char(c) => ch = c,
                Escaped::Class(c) => return Ok(Some(c)),
                Escaped::Node(_) => {
                    return Err(self.error(
                        ErrorKind::IllegalEscapeSequence,
                        "Illegal/unsupported escape sequence",
                    ));
                }
            }
        } else {
            self.next();
        }
        if self.peek() == '-' as u32 {
            let end_range = self.raw(self.cursor + 1);
            if end_range == '[' as u32 {
                bits.union(&self.class_single(ch));
                return Ok(None);
            }
            if end_range != ']' as u32 {
                self.next();
                let mut m = self.peek();
                if m == '\\' as u32 {
                    if matches!(char::from_u32(self.raw(self.cursor + 1)), Some('p' | 'P')) {
                        return Err(
                            self.error(ErrorKind::IllegalCharacterRange, "Illegal character range")
                        );
                    }
                    match self.escape(true, true)? {
                        Escaped::Char(c) => m = c,
                        _ => {
                            return Err(self.error(
                                ErrorKind::IllegalCharacterRange,
                                "Illegal character range",
                            ));
                        }
                    }
                } else {
                    if m == EOI {
                        return Err(self.error(
                            ErrorKind::UnclosedCharacterClass,
                            "Unclosed character class",
                        ));
                    }
                    self.next();
                }
                if m < ch {
                    return Err(
                        self.error(ErrorKind::IllegalCharacterRange, "Illegal character range")
                    );
                }
                return Ok(Some(self.range_class(ch, m)));
            }
        }
        bits.union(&self.class_single(ch));
        Ok(None)
    }
}

/// Java's `TreeInfo.deterministic`: no alternation, no variable repetition.
fn deterministic(n: &Node) -> bool {
    match n {
        Node::Alt(_) => false,
        Node::Repeat { node, min, max, .. } => Some(*min) == *max && deterministic(node),
        // Java does not study inside look-arounds.
        Node::Group(GroupKind::LookAhead { .. } | GroupKind::LookBehind { .. }, _) => true,
        Node::Group(_, inner) => deterministic(inner),
        Node::Concat(items) => items.iter().all(deterministic),
        _ => true,
    }
}

/// The part of Java's `TreeInfo` that decides whether a look-behind has
/// "an obvious maximum length". Java studies the node chain in order with
/// `int` arithmetic: `total` is the maximum length so far (it may wrap),
/// `check` the part since the last alternation (Java restarts the count
/// after a `Branch`), which is what a bounded repetition adds its own
/// maximum to and checks for overflow.
struct Study {
    total: i32,
    check: i32,
    valid: bool,
}

impl Study {
    fn new() -> Study {
        Study {
            total: 0,
            check: 0,
            valid: true,
        }
    }

    fn add(&mut self, n: i32) {
        self.total = self.total.wrapping_add(n);
        self.check = self.check.wrapping_add(n);
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::Empty | Node::Look(_) => {}
            Node::Group(GroupKind::LookAhead { .. } | GroupKind::LookBehind { .. }, _) => {}
            Node::Class(_) => self.add(1),
            Node::LineBreak => self.add(2),
            Node::BackRef { .. } => self.valid = false,
            Node::Group(_, inner) => self.node(inner),
            Node::Concat(items) => items.iter().for_each(|i| self.node(i)),
            Node::Alt(branches) => {
                let mut longest = i32::MIN;
                for b in branches {
                    let mut sub = Study::new();
                    sub.node(b);
                    longest = longest.max(sub.total);
                    self.valid &= sub.valid;
                }
                self.total = self.total.wrapping_add(longest);
                self.check = 0;
            }
            Node::Repeat {
                node,
                min,
                max,
                greed,
            } => {
                if *min == 0 && *max == Some(1) {
                    let group = matches!(
                        **node,
                        Node::Group(GroupKind::Capture { .. } | GroupKind::NonCapture, _)
                    );
                    if group && *greed != Greed::Possessive {
                        // Java rewrites `(…)?` into a Branch with an empty
                        // alternative, which restarts the count after it.
                        let mut sub = Study::new();
                        sub.node(node);
                        self.valid &= sub.valid;
                        self.total = self.total.wrapping_add(sub.total.max(0));
                        self.check = 0;
                    } else {
                        // Ques: adds the operand once, in place.
                        self.node(node);
                    }
                    return;
                }
                if matches!(**node, Node::Class(_)) && *greed == Greed::Greedy && max.is_none() {
                    // CharPropertyGreedy (`x*`, `x+`): adds MAX_REPS, never invalid.
                    self.add(i32::MAX);
                    return;
                }
                // Java turns a repeated capturing or non-capturing group into a
                // Loop (unbounded) unless it is deterministic or possessive;
                // atomic groups and look-arounds stay a plain Curly.
                let is_group = matches!(
                    **node,
                    Node::Group(GroupKind::Capture { .. } | GroupKind::NonCapture, _)
                );
                if is_group && !deterministic(node) && *greed != Greed::Possessive {
                    // Loop: no maximum.
                    self.valid = false;
                    return;
                }
                // Curly / GroupCurly: `maxLength += atom * cmax` in `int`,
                // invalid when the sum comes out smaller than before.
                let mut atom = Study::new();
                atom.node(node);
                self.valid &= atom.valid;
                let cmax = max.map_or(i32::MAX, |m| i32::try_from(m).unwrap_or(i32::MAX));
                let temp = atom.total.wrapping_mul(cmax);
                let sum = self.check.wrapping_add(temp);
                if sum < self.check {
                    self.valid = false;
                    return;
                }
                self.total = self.total.wrapping_add(temp);
                self.check = sum;
            }
        }
    }
}

/// The shortest match of `n`, as Java's `TreeInfo.minLength`.
fn min_len(n: &Node) -> i64 {
    const CAP: i64 = 0xFFF_FFFF;
    let v = match n {
        Node::Empty | Node::Look(_) | Node::BackRef { .. } => 0,
        Node::Group(GroupKind::LookAhead { .. } | GroupKind::LookBehind { .. }, _) => 0,
        Node::Class(_) | Node::LineBreak => 1,
        Node::Group(_, inner) => min_len(inner),
        Node::Concat(items) => items.iter().map(min_len).sum(),
        Node::Alt(items) => items.iter().map(min_len).min().unwrap_or(0),
        Node::Repeat { node, min, .. } => min_len(node).saturating_mul(i64::from(*min)),
    };
    v.min(CAP)
}
