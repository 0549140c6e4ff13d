//! [`JavaRegex`]: one compiled Java pattern.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::emit;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, MatchError, ReplaceError};
use crate::limits::Limits;
use crate::parse::{Node, Parser};

/// A compiled Java pattern.
///
/// Immutable, `Send + Sync`, and cheap to clone (an `Arc`). Two programs are
/// used: one wrapped for whole-input matching (`Matcher.matches()`),
/// compiled by the constructor, and one for searching (`find`, replace,
/// split), compiled on first use (it rarely fails where the first one
/// succeeded; if it does, searches report a [`MatchError`]).
///
/// # Example
///
/// ```
/// use apigw_javaregex::JavaRegex;
///
/// let re = JavaRegex::new(r"4\d{2}").unwrap();
/// assert!(re.matches("404"));
/// assert!(!re.matches("1404")); // whole-input match, like String.matches
/// assert_eq!(re.find("x 404 y").unwrap(), Some(2..5));
/// ```
#[derive(Debug, Clone)]
pub struct JavaRegex(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    pattern: String,
    full: Engine,
    search: OnceLock<Result<Engine, MatchError>>,
    search_fancy: bool,
    limits: Limits,
    full_rust: String,
    search_rust: String,
    groups: u32,
    names: Vec<(String, u32)>,
}

/// The parts of a parsed and translated pattern, shared with `PatternSet`.
pub(crate) struct Translated {
    pub(crate) node: Node,
    pub(crate) groups: u32,
    pub(crate) names: Vec<(String, u32)>,
    pub(crate) full: emit::Emitted,
}

pub(crate) fn translate(pattern: &str, limits: &Limits) -> Result<Translated, Error> {
    if pattern.len() > limits.max_pattern_len {
        return Err(Error::new(
            ErrorKind::PatternTooLong,
            format!(
                "Pattern is {} bytes long; the limit is {}",
                pattern.len(),
                limits.max_pattern_len
            ),
            pattern,
            limits.max_pattern_len,
        ));
    }
    let parsed = Parser::parse(pattern, limits.nest_limit)?;
    let mut full = emit::emit(&parsed.node, parsed.groups, true);
    full.pattern = format!("\\A(?:{})\\z", full.pattern);
    Ok(Translated {
        node: parsed.node,
        groups: parsed.groups,
        names: parsed.names,
        full,
    })
}

impl JavaRegex {
    /// Compiles a Java pattern with the default [`Limits`].
    ///
    /// # Errors
    ///
    /// Returns an [`Error`] when Java would throw `PatternSyntaxException`,
    /// when the pattern uses a construct this crate does not support
    /// ([`ErrorKind::Unsupported`]), or when a budget is exceeded.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    ///
    /// assert!(JavaRegex::new(r"\Q[literal]\E+").is_ok());
    /// assert!(JavaRegex::new("a{2,1}").is_err());
    /// ```
    pub fn new(pattern: &str) -> Result<JavaRegex, Error> {
        JavaRegex::with_limits(pattern, &Limits::default())
    }

    /// Compiles a Java pattern with explicit budgets.
    ///
    /// # Errors
    ///
    /// As [`JavaRegex::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::{JavaRegex, Limits};
    ///
    /// let limits = Limits { nest_limit: 2, ..Limits::default() };
    /// assert!(JavaRegex::with_limits("((a))", &limits).is_ok());
    /// assert!(JavaRegex::with_limits("(((a)))", &limits).is_err());
    /// ```
    pub fn with_limits(pattern: &str, limits: &Limits) -> Result<JavaRegex, Error> {
        Self::build(pattern, limits, false)
    }

    /// Compiles like [`JavaRegex::new`] but always uses the backtracking
    /// engine. For differential tests of this crate only.
    ///
    /// # Errors
    ///
    /// As [`JavaRegex::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new_backtracking_for_tests("a+").unwrap();
    /// assert!(re.uses_backtracking());
    /// ```
    #[doc(hidden)]
    pub fn new_backtracking_for_tests(pattern: &str) -> Result<JavaRegex, Error> {
        Self::build(pattern, &Limits::default(), true)
    }

    fn build(pattern: &str, limits: &Limits, force_fancy: bool) -> Result<JavaRegex, Error> {
        let t = translate(pattern, limits)?;
        let search = emit::emit(&t.node, t.groups, false);
        let full = Engine::compile(
            pattern,
            &t.full.pattern,
            t.full.fancy || force_fancy,
            limits,
        )?;
        Ok(JavaRegex(Arc::new(Inner {
            pattern: pattern.to_owned(),
            full,
            search: OnceLock::new(),
            search_fancy: search.fancy || force_fancy,
            limits: limits.clone(),
            full_rust: t.full.pattern,
            search_rust: search.pattern,
            groups: t.groups,
            names: t.names,
        })))
    }

    /// Returns the Java pattern this was compiled from.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("a|b").unwrap().as_str(), "a|b");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0.pattern
    }

    /// Returns the Rust translations (whole-match program, search program),
    /// for diagnostics. The text is not a stable interface.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new("a").unwrap();
    /// let (full, _search) = re.translations();
    /// assert_eq!(full, r"\A(?:a)\z");
    /// ```
    pub fn translations(&self) -> (&str, &str) {
        (&self.0.full_rust, &self.0.search_rust)
    }

    /// Returns true when matching needs the backtracking engine
    /// (`fancy-regex`), whose matches can fail with a [`MatchError`].
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert!(!JavaRegex::new(r"\d+").unwrap().uses_backtracking());
    /// assert!(JavaRegex::new(r"(a)\1").unwrap().uses_backtracking());
    /// ```
    pub fn uses_backtracking(&self) -> bool {
        matches!(self.0.full, Engine::Fancy(_)) || self.0.search_fancy
    }

    /// The search program, compiled on first use.
    fn search(&self) -> Result<&Engine, MatchError> {
        let inner = &*self.0;
        inner
            .search
            .get_or_init(|| {
                Engine::compile(
                    &inner.pattern,
                    &inner.search_rust,
                    inner.search_fancy,
                    &inner.limits,
                )
                .map_err(|e| MatchError {
                    message: format!("search program: {e}"),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Returns the number of capturing groups (not counting group 0), as
    /// Java's `Matcher.groupCount()`.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert_eq!(JavaRegex::new("(a)(?:b)(?<c>c)").unwrap().group_count(), 2);
    /// ```
    pub fn group_count(&self) -> usize {
        self.0.groups as usize
    }

    /// Java's `Matcher.matches()`: does the pattern match the whole input?
    ///
    /// # Errors
    ///
    /// Only patterns that use the backtracking engine can fail, when the
    /// backtracking budget runs out.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new(".+").unwrap();
    /// assert_eq!(re.is_full_match("one line"), Ok(true));
    /// assert_eq!(re.is_full_match("two\nlines"), Ok(false));
    /// ```
    pub fn is_full_match(&self, s: &str) -> Result<bool, MatchError> {
        self.0.full.is_match(s)
    }

    /// Like [`is_full_match`](JavaRegex::is_full_match), but a match that
    /// runs out of backtracking budget counts as no match.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// assert!(JavaRegex::new("(?i)error.*").unwrap().matches("ERROR: boom"));
    /// ```
    pub fn matches(&self, s: &str) -> bool {
        self.is_full_match(s).unwrap_or(false)
    }

    /// Java's first `Matcher.find()`: the byte range of the leftmost match.
    ///
    /// # Errors
    ///
    /// A [`MatchError`] when the backtracking budget runs out.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new(r"\d+").unwrap();
    /// assert_eq!(re.find("abc 123 45").unwrap(), Some(4..7));
    /// assert_eq!(re.find("none").unwrap(), None);
    /// ```
    pub fn find(&self, s: &str) -> Result<Option<Range<usize>>, MatchError> {
        Ok(self.search()?.find_at(s, 0)?.map(|(a, b)| a..b))
    }

    /// Every match, as repeated `Matcher.find()` calls would report them
    /// (byte ranges). After an empty match the search resumes one character
    /// later; an empty match right after a non-empty one is reported, as in
    /// Java.
    ///
    /// # Errors
    ///
    /// A [`MatchError`] when the backtracking budget runs out.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new("a*").unwrap();
    /// assert_eq!(re.find_all("aab").unwrap(), vec![0..2, 2..2, 3..3]);
    /// ```
    pub fn find_all(&self, s: &str) -> Result<Vec<Range<usize>>, MatchError> {
        let mut out = Vec::new();
        let mut it = Finder::new(s);
        let engine = self.search()?;
        while let Some((a, b)) = it.next(engine)? {
            out.push(a..b);
        }
        Ok(out)
    }

    /// Java's `String.replaceAll(regex, replacement)` with Java's
    /// replacement syntax: `$n`, `${name}`, `\x` for a literal `x`.
    ///
    /// # Errors
    ///
    /// [`ReplaceError::Replacement`] when the replacement is malformed or
    /// names a missing group and the pattern matches at least once (Java
    /// only parses the replacement on a match); [`ReplaceError::Match`] when
    /// the backtracking budget runs out.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new(r"(?<k>\w+)=(\d+)").unwrap();
    /// assert_eq!(re.replace_all("a=1, b=2", "$2:${k}").unwrap(), "1:a, 2:b");
    /// assert_eq!(re.replace_all("a=1", r"\$1").unwrap(), "$1");
    /// ```
    pub fn replace_all(&self, s: &str, replacement: &str) -> Result<String, ReplaceError> {
        self.replace(s, replacement, usize::MAX)
    }

    /// Java's `String.replaceFirst(regex, replacement)`.
    ///
    /// # Errors
    ///
    /// As [`replace_all`](JavaRegex::replace_all).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new("o").unwrap();
    /// assert_eq!(re.replace_first("foo", "0").unwrap(), "f0o");
    /// ```
    pub fn replace_first(&self, s: &str, replacement: &str) -> Result<String, ReplaceError> {
        self.replace(s, replacement, 1)
    }

    fn replace(&self, s: &str, replacement: &str, limit: usize) -> Result<String, ReplaceError> {
        let engine = self.search()?;
        let mut slots = Vec::new();
        let mut it = Finder::new(s);
        let mut out = String::new();
        let mut copied = 0;
        let mut parts: Option<Vec<Part>> = None;
        let mut done = 0;
        while done < limit {
            let Some(from) = it.next_start() else { break };
            if !engine.captures_at(s, from, &mut slots)? {
                break;
            }
            let Some((a, b)) = slots.first().copied().flatten() else {
                break;
            };
            it.record(a, b);
            if parts.is_none() {
                parts = Some(
                    parse_replacement(replacement, self.0.groups, &self.0.names)
                        .map_err(ReplaceError::Replacement)?,
                );
            }
            out.push_str(&s[copied..a]);
            for p in parts.iter().flatten() {
                match p {
                    Part::Lit(t) => out.push_str(t),
                    Part::Group(g) => {
                        if let Some(Some((x, y))) = slots.get(*g) {
                            out.push_str(&s[*x..*y]);
                        }
                    }
                }
            }
            copied = b;
            done += 1;
        }
        out.push_str(&s[copied..]);
        Ok(out)
    }

    /// Java's `String.split(regex, limit)` (Java 8+ rules).
    ///
    /// With `limit > 0` at most `limit` pieces are returned, the last one
    /// holding the rest of the input; with `limit == 0` trailing empty
    /// strings are removed; with `limit < 0` everything is kept. A
    /// zero-width match at the start of the input never produces a leading
    /// empty string. A search that runs out of backtracking budget ends the
    /// split there (see [`try_split`](JavaRegex::try_split) to get the error).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new(",").unwrap();
    /// assert_eq!(re.split("a,b,,", 0), ["a", "b"]);
    /// assert_eq!(re.split("a,b,,", -1), ["a", "b", "", ""]);
    /// assert_eq!(re.split("a,b,,", 2), ["a", "b,,"]);
    /// ```
    pub fn split(&self, s: &str, limit: i32) -> Vec<String> {
        self.split_impl(s, limit)
            .unwrap_or_else(|(partial, _)| partial)
    }

    /// Like [`split`](JavaRegex::split), but reports a search that ran out
    /// of backtracking budget.
    ///
    /// # Errors
    ///
    /// A [`MatchError`] when the backtracking budget runs out.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::JavaRegex;
    /// let re = JavaRegex::new("").unwrap();
    /// assert_eq!(re.try_split("abc", 0).unwrap(), ["a", "b", "c"]);
    /// ```
    pub fn try_split(&self, s: &str, limit: i32) -> Result<Vec<String>, MatchError> {
        self.split_impl(s, limit).map_err(|(_, e)| e)
    }

    fn split_impl(&self, s: &str, limit: i32) -> Result<Vec<String>, (Vec<String>, MatchError)> {
        let match_limited = limit > 0;
        let limit_n = usize::try_from(limit).unwrap_or(0);
        let mut list: Vec<String> = Vec::new();
        let mut index = 0;
        let mut it = Finder::new(s);
        let mut failure = None;
        loop {
            let m = match self.search().and_then(|e| it.next(e)) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let (start, end) = m;
            if !match_limited || list.len() < limit_n - 1 {
                if index == 0 && start == 0 && start == end {
                    continue;
                }
                list.push(s[index..start].to_owned());
                index = end;
            } else if list.len() == limit_n - 1 {
                list.push(s[index..].to_owned());
                index = end;
            } else {
                break;
            }
        }
        let result = if index == 0 {
            vec![s.to_owned()]
        } else {
            if !match_limited || list.len() < limit_n {
                list.push(s[index..].to_owned());
            }
            if limit == 0 {
                while list.last().is_some_and(String::is_empty) {
                    list.pop();
                }
            }
            list
        };
        match failure {
            None => Ok(result),
            Some(e) => Err((result, e)),
        }
    }
}

/// Java's `Matcher.find()` loop state.
struct Finder<'s> {
    s: &'s str,
    last: Option<(usize, usize)>,
}

impl<'s> Finder<'s> {
    fn new(s: &'s str) -> Self {
        Finder { s, last: None }
    }

    /// Where the next search starts, or `None` when past the end.
    fn next_start(&self) -> Option<usize> {
        match self.last {
            None => Some(0),
            Some((a, b)) if a == b => {
                // Java advances one UTF-16 unit; we advance one character.
                let c = self.s[b..].chars().next()?;
                Some(b + c.len_utf8())
            }
            Some((_, b)) => Some(b),
        }
    }

    fn record(&mut self, a: usize, b: usize) {
        self.last = Some((a, b));
    }

    fn next(&mut self, engine: &Engine) -> Result<Option<(usize, usize)>, MatchError> {
        let Some(from) = self.next_start() else {
            return Ok(None);
        };
        let m = engine.find_at(self.s, from)?;
        if let Some((a, b)) = m {
            self.record(a, b);
        }
        Ok(m)
    }
}

/// A piece of a parsed Java replacement string.
#[derive(Debug)]
enum Part {
    Lit(String),
    Group(usize),
}

/// Parses a replacement as Java's `Matcher.appendExpandedReplacement`.
fn parse_replacement(r: &str, groups: u32, names: &[(String, u32)]) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => lit.push(n),
                None => return Err("character to be escaped is missing".to_owned()),
            },
            '$' => {
                let Some(&n) = it.peek() else {
                    return Err("Illegal group reference: group index is missing".to_owned());
                };
                let group;
                if n == '{' {
                    it.next();
                    let mut name = String::new();
                    while let Some(&c) = it.peek() {
                        if c.is_ascii_alphanumeric() {
                            name.push(c);
                            it.next();
                        } else {
                            break;
                        }
                    }
                    if name.is_empty() {
                        return Err("named capturing group has 0 length name".to_owned());
                    }
                    if it.peek() != Some(&'}') {
                        return Err("named capturing group is missing trailing '}'".to_owned());
                    }
                    it.next();
                    if name.starts_with(|c: char| c.is_ascii_digit()) {
                        return Err(format!(
                            "capturing group name {{{name}}} starts with digit character"
                        ));
                    }
                    match names.iter().find(|(n, _)| *n == name) {
                        Some(&(_, g)) => group = g as usize,
                        None => return Err(format!("No group with name {{{name}}}")),
                    }
                } else {
                    let Some(d) = n.to_digit(10) else {
                        return Err("Illegal group reference".to_owned());
                    };
                    it.next();
                    let mut g = d as usize;
                    while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                        let next = g.saturating_mul(10).saturating_add(d as usize);
                        if next > groups as usize {
                            break;
                        }
                        g = next;
                        it.next();
                    }
                    if g > groups as usize {
                        return Err(format!("No group {g}"));
                    }
                    group = g;
                }
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Group(group));
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}
