//! API Gateway's JSONPath dialect: Jayway JsonPath (on json-smart), parsed once, queried
//! many times.
//!
//! API Gateway evaluates `$input.path('…')`, `$input.json('…')` and
//! `integration.response.body.<suffix>` with Jayway JsonPath. This crate parses that
//! dialect with its own parser (errors point at a column), runs the common case, a chain of
//! names and single indexes, on a zero-allocation walker, and hands everything else
//! (wildcards, slices, unions, filters, `..`) to [`jsonpath-rust`](jsonpath_rust) through a
//! pre-parsed RFC 9535 translation.
//!
//! ```
//! use apigw_jsonpath::{JsonPath, QueryResult};
//! use serde_json::json;
//!
//! let doc = json!({"user": {"name": "ana"}, "items": [{"id": 1}, {"id": 2}]});
//!
//! // Definite paths give one value or nothing.
//! let name = JsonPath::parse("$.user.name").unwrap();
//! assert!(name.is_definite());
//! assert_eq!(name.query(&doc), QueryResult::One(&json!("ana")));
//! assert_eq!(name.get(&doc), Some(&json!("ana"))); // never allocates
//!
//! // Indefinite paths give a list, as Jayway does, even with one match.
//! let ids = JsonPath::parse("$.items[*].id").unwrap();
//! assert!(!ids.is_definite());
//! assert_eq!(ids.query(&doc), QueryResult::Many(vec![&json!(1), &json!(2)]));
//!
//! // The `$`-less suffix of `integration.response.body.<suffix>`.
//! let first = JsonPath::parse_body_suffix("items[0].id").unwrap();
//! assert_eq!(first.get(&doc), Some(&json!(1)));
//! ```
//!
//! # Dialect decisions
//!
//! The reference is Jayway JsonPath 2.9's `PathCompiler` and path tokens; each decision
//! below is a candidate line for COMPATIBILITY.md.
//!
//! - **Roots.** `$` and `@` (Jayway treats a top-level `@` like `$`). A path starting with
//!   neither is prefixed with `$.`, as Jayway does, so `a.b` is `$.a.b`, `[0]` is `$.[0]`
//!   and `.a` is `$..a`. Leading and trailing whitespace (Java `trim`: chars up to U+0020)
//!   is ignored. [`JsonPath::parse_body_suffix`] always applies the `$.` prefix, so there a
//!   leading `$` is a member name.
//! - **Dot names** run up to the next `.`, `[` or `(`: `$.a.c-d`, `$.a:b`, `$.a*b` and even
//!   `$.a]` are plain member names, as in Jayway. A space in a dot name is an error (use
//!   `['a b']`). Jayway also reads a name directly after any token, so `$['a']b` means
//!   `$['a'].b`; this crate does the same. `$.` followed by `[`, e.g. `$.[0]`, is accepted.
//! - **Bracket names** `['a']`, `["a"]`, lists `['a','b']`; escapes `\\ \' \" \b \f \n \r
//!   \t \uXXXX`, any other escaped character stands for itself (Jayway `Utils.unescape`).
//!   A list that mixes quote kinds is rejected (Jayway silently drops the odd one).
//! - **Indexes** are Java `int`s; a negative index counts from the end; out of range gives
//!   nothing. `[0,1]` is a union (indefinite).
//! - **Slices** `[a:b]`, `[a:]`, `[:b]`, negative `[-2:]` / `[:-1]` as Jayway computes
//!   them; Jayway has no step and ignores anything after a second `:` (so does this crate).
//!   A two-sided slice with a negative bound (`[-3:-1]`, `[1:-1]`) is **rejected as
//!   unsupported**: Jayway does not normalise it like RFC 9535 (it walks the raw range), so
//!   the general engine would silently disagree.
//! - **Filters** `[?(…)]` with `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!`,
//!   parentheses, `@`/`$` paths, string, number, `true`, `false`, `null` literals,
//!   existence tests `[?(@.n)]`, Jayway's type-safe `===` / `!==`, and `in` / `nin` with a
//!   path on the left and a list of literals on the right (`[?(@.s in ['a', 1])]`, the
//!   same equality as `==`). Jayway's `=~`, `subsetof`, `anyof`, `noneof`, `size`,
//!   `empty`, `contains`, regex and JSON literals, and functions inside filters are
//!   rejected as unsupported. The RFC form without parentheses, `[?@.x]`, is a syntax
//!   error, as in Jayway. Compared paths must be names and single indexes.
//! - **Functions.** A trailing `.length()` (or its Jayway alias `.size()`) after a definite
//!   path gives the number of elements of an array or members of an object, or null for
//!   anything else ([`QueryResult::Computed`]). Other Jayway functions (`min()`, `sum()`,
//!   `keys()`, …) and functions after an indefinite path are rejected as unsupported.
//! - **`['a','b']` at the end of a definite path** gives one new object with the listed
//!   members that exist, in the listed order (Jayway's merge), as
//!   [`QueryResult::Computed`].
//! - **Definite vs indefinite** follows Jayway's `isPathDefinite`: names, single indexes,
//!   the trailing merge and the trailing function are definite; everything else is not.
//! - **Unions after an indefinite step** (`$.m[*][0,2]`, `$.o[*]['b','a'].v`) give Jayway's
//!   node-by-node order (`m[0][0], m[0][2], m[1][0], …`); jsonpath-rust alone would order
//!   by selector, so such paths run in stages (see below).
//! - **Rejected because jsonpath-rust would silently differ from Jayway** (all
//!   [`ErrorKind::Unsupported`]): `..` directly followed by a filter, by a list of names or
//!   indexes, or by an index/slice that is not the last step (Jayway's scan applies those
//!   differently); `['a','b']` as the last step after an indefinite step (Jayway merges
//!   per match); a union after an indefinite step when a filter uses `$`.
//! - **Filters on objects** follow Jayway: a filter applied to an *object* tests the object
//!   itself (`$.store[?(@.open)]` is `[store]` when `store.open` exists), while on an array
//!   it tests the elements; RFC 9535 (and jsonpath-rust) would test the object's members.
//!   This crate runs such paths in stages (jsonpath-rust for the steps between filters and
//!   for each filter's predicate). Remaining differences: a filter whose expression uses
//!   the document root `$` runs as one jsonpath-rust query, so *on an object* it tests the
//!   members (RFC); and a filter nested inside a filter's path (`@.a[?(…)]`) also has RFC
//!   semantics on objects.
//! - **Filter equality** follows Jayway's number/string conversion: `@.v == 1` also matches
//!   the string `"1"` (`BigDecimal.toString()` of the literal, so `== 1.50` matches
//!   `"1.50"`, not `"1.5"`), and `@.v == '1'` also matches numbers equal to 1. `===` and
//!   `!==` (Jayway's type-safe forms) do not convert. Jayway's conversion is asymmetric
//!   with the literal on the left (`1 == @.v`); this crate treats both orders like
//!   `@.v == 1`. Path-to-path comparisons (`@.a == @.b`) do not convert. Ordering
//!   operators compare numbers with numbers and strings with strings, as both do (Java
//!   compares UTF-16 units, RFC 9535 code points: they differ only between characters
//!   above U+FFFF and U+E000..U+FFFF).
//!
//! # Untrusted input
//!
//! Parsing never panics and is bounded by [`Limits`]: path length (default 4096 bytes) and
//! nesting of filters and parentheses (default 32). Querying never panics; the walker is
//! iterative. Paths that use `..` or filters check the document depth first (iteratively)
//! because jsonpath-rust's descent and serde_json's `clone` (used to test an object
//! against a filter) are recursive: deeper than [`Limits::max_scan_depth`] (default 400,
//! the nesting limit json-smart added in 2.4.9 for CVE-2023-1370, so recent Jayway stacks
//! reject deeper bodies; not verified against the version AWS runs) makes
//! [`JsonPath::try_query`] fail and [`JsonPath::query`] return an empty list.
//!
//! # Performance
//!
//! Parse once (at deploy time), query per request. Definite paths never allocate;
//! indefinite paths allocate the result list plus whatever jsonpath-rust allocates (it
//! builds a normalised path string for every node it visits).

#![deny(missing_docs)]

mod error;
mod general;
mod parse;
mod singular;

use std::fmt;

use serde_json::{Map, Value};

pub use crate::error::{Error, ErrorKind};
use crate::general::General;
use crate::parse::{Mode, Step};
use crate::singular::Seg;

/// Bounds applied while parsing and querying untrusted paths and documents.
///
/// ```
/// use apigw_jsonpath::{ErrorKind, JsonPath, Limits};
///
/// let mut limits = Limits::default();
/// limits.max_path_len = 8;
/// let err = JsonPath::parse_with_limits("$.abcdefgh", &limits).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::TooLong);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest accepted path, in bytes. Default 4096.
    pub max_path_len: usize,
    /// Deepest nesting of filters, parentheses and `!` inside filters. Default 32.
    pub max_nesting: usize,
    /// For paths that use `..` or filters: deepest accepted document nesting (arrays and
    /// objects). Default 400 (json-smart's nesting limit since 2.4.9).
    pub max_scan_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_path_len: 4096,
            max_nesting: 32,
            max_scan_depth: 400,
        }
    }
}

/// The result of [`JsonPath::query`].
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult<'v> {
    /// A definite path that selects nothing (Jayway: `PathNotFoundException`).
    Nothing,
    /// A definite path's value (possibly JSON `null`).
    One(&'v Value),
    /// An indefinite path's matches in document order (possibly empty).
    Many(Vec<&'v Value>),
    /// A definite path whose value is computed rather than found in the document: a
    /// trailing `.length()` / `.size()`, or a trailing `['a','b']` merge.
    Computed(Value),
}

impl<'v> QueryResult<'v> {
    /// `Nothing`, or `Many` with no match.
    pub fn is_empty(&self) -> bool {
        match self {
            QueryResult::Nothing => true,
            QueryResult::Many(v) => v.is_empty(),
            QueryResult::One(_) | QueryResult::Computed(_) => false,
        }
    }

    /// Number of values (0 or 1 for definite paths).
    pub fn len(&self) -> usize {
        match self {
            QueryResult::Nothing => 0,
            QueryResult::Many(v) => v.len(),
            QueryResult::One(_) | QueryResult::Computed(_) => 1,
        }
    }

    /// The first value, if any.
    pub fn first(&self) -> Option<&Value> {
        match self {
            QueryResult::Nothing => None,
            QueryResult::One(v) => Some(v),
            QueryResult::Many(v) => v.first().copied(),
            QueryResult::Computed(v) => Some(v),
        }
    }

    /// Iterates over the values in order.
    pub fn iter(&self) -> impl Iterator<Item = &Value> + '_ {
        let (single, many): (Option<&Value>, &[&'v Value]) = match self {
            QueryResult::Nothing => (None, &[]),
            QueryResult::One(v) => (Some(v), &[]),
            QueryResult::Many(v) => (None, v),
            QueryResult::Computed(v) => (Some(v), &[]),
        };
        single.into_iter().chain(many.iter().copied())
    }

    /// The value Jayway's `JsonPath.read` returns: the value itself for a definite path,
    /// a JSON array of the matches for an indefinite one, `None` when a definite path
    /// selects nothing. Clones.
    pub fn to_value(&self) -> Option<Value> {
        match self {
            QueryResult::Nothing => None,
            QueryResult::One(v) => Some((*v).clone()),
            QueryResult::Many(v) => Some(Value::Array(v.iter().map(|x| (*x).clone()).collect())),
            QueryResult::Computed(v) => Some(v.clone()),
        }
    }
}

#[derive(Debug, Clone)]
enum Plan {
    /// Names and single indexes: the zero-allocation walker.
    Singular(Box<[Seg]>),
    /// A definite prefix then `.length()`.
    Length(Box<[Seg]>),
    /// A definite prefix then `['a','b']`.
    Merge {
        prefix: Box<[Seg]>,
        names: Box<[Box<str>]>,
    },
    /// Everything else, on jsonpath-rust.
    General(Box<General>),
}

/// One step of a singular path (see [`JsonPath::steps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'a> {
    /// An object member: no value when missing or when the value is no object.
    Key(&'a str),
    /// An array element, negative counting from the end (Jayway's `length + index`): no
    /// value when out of range or when the value is no array.
    Index(i32),
}

/// A compiled JSONPath in API Gateway's (Jayway's) dialect.
///
/// ```
/// use apigw_jsonpath::JsonPath;
/// use serde_json::json;
///
/// let p = JsonPath::parse("$['k with space'][-1]").unwrap();
/// assert_eq!(p.get(&json!({"k with space": [1, 2, 3]})), Some(&json!(3)));
/// ```
#[derive(Debug, Clone)]
pub struct JsonPath {
    src: Box<str>,
    plan: Plan,
    limits: Limits,
}

impl JsonPath {
    /// Parses a path as written in `$input.path('…')` / `$input.json('…')`, with the
    /// default [`Limits`].
    ///
    /// ```
    /// use apigw_jsonpath::JsonPath;
    ///
    /// assert!(JsonPath::parse("$.a[0].b").is_ok());
    /// assert!(JsonPath::parse("a.b").is_ok()); // Jayway reads it as $.a.b
    /// assert!(JsonPath::parse("$.a[").is_err());
    /// ```
    pub fn parse(src: &str) -> Result<JsonPath, Error> {
        JsonPath::parse_with_limits(src, &Limits::default())
    }

    /// [`JsonPath::parse`] with explicit limits.
    pub fn parse_with_limits(src: &str, limits: &Limits) -> Result<JsonPath, Error> {
        compile(src, limits, Mode::Path)
    }

    /// Parses the `$`-less suffix of `integration.response.body.<suffix>`; equivalent to
    /// parsing `$.<suffix>`, with columns relative to the suffix.
    ///
    /// ```
    /// use apigw_jsonpath::JsonPath;
    /// use serde_json::json;
    ///
    /// let p = JsonPath::parse_body_suffix("errorMessage.errorType").unwrap();
    /// let doc = json!({"errorMessage": {"errorType": "Bad"}});
    /// assert_eq!(p.get(&doc), Some(&json!("Bad")));
    /// ```
    pub fn parse_body_suffix(src: &str) -> Result<JsonPath, Error> {
        JsonPath::parse_body_suffix_with_limits(src, &Limits::default())
    }

    /// [`JsonPath::parse_body_suffix`] with explicit limits.
    pub fn parse_body_suffix_with_limits(src: &str, limits: &Limits) -> Result<JsonPath, Error> {
        compile(src, limits, Mode::BodySuffix)
    }

    /// The path text as given.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether the path is definite in Jayway's sense (one value or nothing).
    pub fn is_definite(&self) -> bool {
        !matches!(self.plan, Plan::General(_))
    }

    /// Whether the path runs on the zero-allocation walker and yields a borrowed value
    /// (names and single indexes only).
    pub fn is_singular(&self) -> bool {
        matches!(self.plan, Plan::Singular(_))
    }

    /// The steps of a singular path (names and single indexes, see
    /// [`JsonPath::is_singular`]), for callers that walk their own document representation
    /// with the same semantics as [`JsonPath::get`]; `None` for other paths.
    ///
    /// ```
    /// use apigw_jsonpath::{JsonPath, PathStep};
    ///
    /// let p = JsonPath::parse("$.a['b c'][-1]").unwrap();
    /// let steps: Vec<PathStep<'_>> = p.steps().unwrap().collect();
    /// assert_eq!(steps, [PathStep::Key("a"), PathStep::Key("b c"), PathStep::Index(-1)]);
    /// assert!(JsonPath::parse("$..a").unwrap().steps().is_none());
    /// ```
    pub fn steps(&self) -> Option<impl ExactSizeIterator<Item = PathStep<'_>> + '_> {
        match &self.plan {
            Plan::Singular(segs) => Some(segs.iter().map(|s| match s {
                singular::Seg::Key(k) => PathStep::Key(k),
                singular::Seg::Index(i) => PathStep::Index(*i),
            })),
            _ => None,
        }
    }

    /// The path translated to RFC 9535 text, for indefinite paths. Without filters this is
    /// exactly the query jsonpath-rust runs; with filters, the path runs in stages (see the
    /// crate docs on filters on objects).
    ///
    /// ```
    /// use apigw_jsonpath::JsonPath;
    ///
    /// let p = JsonPath::parse("$.items[?(@.n == 'q')].id").unwrap();
    /// assert_eq!(p.rfc9535(), Some("$['items'][?(@['n'] == 'q')]['id']"));
    /// ```
    pub fn rfc9535(&self) -> Option<&str> {
        match &self.plan {
            Plan::General(g) => Some(&g.rfc),
            _ => None,
        }
    }

    /// Evaluates the path. Never panics. See [`JsonPath::try_query`] for the one case
    /// where an indefinite path returns an empty list because of [`Limits`].
    #[inline]
    pub fn query<'v>(&self, doc: &'v Value) -> QueryResult<'v> {
        if let Plan::Singular(segs) = &self.plan {
            return match singular::walk(segs, doc) {
                Some(v) => QueryResult::One(v),
                None => QueryResult::Nothing,
            };
        }
        self.try_query(doc)
            .unwrap_or_else(|_| QueryResult::Many(Vec::new()))
    }

    /// Evaluates the path; fails only for paths using `..` or filters on a document nested
    /// deeper than [`Limits::max_scan_depth`], or if jsonpath-rust reports an error.
    pub fn try_query<'v>(&self, doc: &'v Value) -> Result<QueryResult<'v>, Error> {
        Ok(match &self.plan {
            Plan::Singular(segs) => match singular::walk(segs, doc) {
                Some(v) => QueryResult::One(v),
                None => QueryResult::Nothing,
            },
            Plan::Length(segs) => match singular::walk(segs, doc) {
                None => QueryResult::Nothing,
                Some(Value::Array(items)) => QueryResult::Computed(items.len().into()),
                Some(Value::Object(map)) => QueryResult::Computed(map.len().into()),
                Some(_) => QueryResult::Computed(Value::Null),
            },
            Plan::Merge { prefix, names } => match singular::walk(prefix, doc) {
                Some(Value::Object(map)) => {
                    let mut merged = Map::new();
                    for n in names {
                        if let Some(v) = map.get(&**n) {
                            merged.insert(n.to_string(), v.clone());
                        }
                    }
                    QueryResult::Computed(Value::Object(merged))
                }
                _ => QueryResult::Nothing,
            },
            Plan::General(g) => {
                if g.check_depth && general::depth_exceeds(doc, self.limits.max_scan_depth) {
                    return Err(Error::new(
                        ErrorKind::DocumentTooDeep,
                        format!(
                            "the document nests deeper than {} levels, the limit for '..' and filters",
                            self.limits.max_scan_depth
                        ),
                        &self.src,
                        0,
                    ));
                }
                let found = g.run(doc).map_err(|e| {
                    Error::new(
                        ErrorKind::Engine,
                        format!("jsonpath-rust: {e}"),
                        &self.src,
                        0,
                    )
                })?;
                QueryResult::Many(found)
            }
        })
    }

    /// The value of a singular path (names and single indexes), without allocating.
    ///
    /// For other paths: the first match of an indefinite path (this runs the general
    /// engine, which allocates), and `None` for computed results (`.length()`, merges),
    /// which have no borrowed value; use [`JsonPath::query`] for those.
    #[inline]
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        match &self.plan {
            Plan::Singular(segs) => singular::walk(segs, doc),
            Plan::Length(_) | Plan::Merge { .. } => None,
            Plan::General(_) => match self.query(doc) {
                QueryResult::Many(v) => v.first().copied(),
                QueryResult::One(v) => Some(v),
                QueryResult::Nothing | QueryResult::Computed(_) => None,
            },
        }
    }
}

impl JsonPath {
    /// Like [`JsonPath::get`], but when a step meets a *string* that holds a JSON object
    /// or array, the string is parsed and the walk continues inside it.
    ///
    /// This is what API Gateway does for `integration.response.body.<suffix>` on Lambda
    /// custom errors, where `errorMessage` is itself JSON text (SPEC §3.4). The final
    /// value is returned as found (a string is not parsed). Borrowed when no string had to
    /// be parsed; otherwise the value is cloned out of the parsed string.
    ///
    /// For paths that are not singular this is [`JsonPath::get`] (no parsing).
    ///
    /// ```
    /// use apigw_jsonpath::JsonPath;
    /// use serde_json::json;
    ///
    /// let body = json!({"errorMessage": "{\"errorType\":\"InvalidParameter\",\"code\":400}"});
    /// let p = JsonPath::parse_body_suffix("errorMessage.errorType").unwrap();
    /// assert_eq!(p.get(&body), None);
    /// assert_eq!(p.get_parsing_json_strings(&body).as_deref(), Some(&json!("InvalidParameter")));
    /// ```
    pub fn get_parsing_json_strings<'v>(
        &self,
        doc: &'v Value,
    ) -> Option<std::borrow::Cow<'v, Value>> {
        match &self.plan {
            Plan::Singular(segs) => singular::walk_parsing_strings(segs, doc),
            _ => self.get(doc).map(std::borrow::Cow::Borrowed),
        }
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

impl std::str::FromStr for JsonPath {
    type Err = Error;

    fn from_str(s: &str) -> Result<JsonPath, Error> {
        JsonPath::parse(s)
    }
}

pub(crate) fn to_seg(step: &Step) -> Option<Seg> {
    match step {
        Step::Name(n) => Some(Seg::Key(n.clone())),
        Step::Index(i) => Some(Seg::Index(*i)),
        _ => None,
    }
}

fn compile(src: &str, limits: &Limits, mode: Mode) -> Result<JsonPath, Error> {
    let path = parse::parse(src, limits, mode)?;
    let steps = &path.steps;
    let prefix: Vec<Seg> = steps.iter().map_while(|s| to_seg(&s.step)).collect();
    let done = |plan| {
        Ok(JsonPath {
            src: src.into(),
            plan,
            limits: *limits,
        })
    };
    if prefix.len() == steps.len() {
        return done(Plan::Singular(prefix.into()));
    }
    if prefix.len() + 1 == steps.len() {
        match &steps[prefix.len()].step {
            Step::Length => return done(Plan::Length(prefix.into())),
            Step::Names(names) => {
                return done(Plan::Merge {
                    prefix: prefix.into(),
                    names: names.clone().into(),
                });
            }
            _ => {}
        }
    }
    let unsupported =
        |detail: &str, at: usize| Error::new(ErrorKind::Unsupported, detail.to_owned(), src, at);
    let last = steps.len() - 1;
    let mut upstream_indefinite = false;
    for (i, s) in steps.iter().enumerate() {
        match &s.step {
            Step::Names(_) if i == last && upstream_indefinite => {
                return Err(unsupported(
                    "['a','b'] at the end of an indefinite path (Jayway merges per match)",
                    s.offset,
                ));
            }
            // Staged evaluation runs such a union once per node (Jayway's order); it is not
            // possible when a filter refers to `$` (see `general::plan`).
            Step::Names(_) | Step::Indexes(_)
                if upstream_indefinite && general::filters_refer_to_root(&path) =>
            {
                return Err(unsupported(
                    "a union after an indefinite step in a path whose filter uses '$' \
                     (result order would differ from Jayway)",
                    s.offset,
                ));
            }
            Step::Slice {
                from: Some(f),
                to: Some(t),
            } if *f < 0 || *t < 0 => {
                return Err(unsupported(
                    "a two-sided slice with a negative bound (Jayway does not normalise it)",
                    s.offset,
                ));
            }
            Step::Scan => {
                let Some(next) = steps.get(i + 1) else {
                    continue;
                };
                let bad = match next.step {
                    Step::Filter(_) => Some("'..' directly followed by a filter"),
                    Step::Names(_) => Some("'..' followed by a list of names"),
                    Step::Indexes(_) => Some("'..' followed by a list of indexes"),
                    Step::Index(_) | Step::Slice { .. } if i + 1 != last => {
                        Some("'..' followed by an index or slice and further steps")
                    }
                    _ => None,
                };
                if let Some(detail) = bad {
                    return Err(unsupported(detail, next.offset));
                }
            }
            _ => {}
        }
        upstream_indefinite |= !s.step.is_definite();
    }
    let mut rfc = String::with_capacity(src.len() + 16);
    general::translate(&path, true, &mut rfc).map_err(|(detail, at)| unsupported(&detail, at))?;
    // `in` lists repeat their path once per element: bound what jsonpath-rust must parse.
    let max_rfc = limits.max_path_len.saturating_mul(8);
    if rfc.len() > max_rfc {
        return Err(Error::new(
            ErrorKind::TooLong,
            format!(
                "the translated query is {} bytes long; the limit is 8 x max_path_len = {max_rfc}",
                rfc.len()
            ),
            src,
            0,
        ));
    }
    let planned = general::plan(&path).map_err(|(detail, at)| unsupported(&detail, at))?;
    let mut stages = Vec::with_capacity(planned.len());
    let mut filters = false;
    let engine = |text: &str| {
        jsonpath_rust::parser::parse_json_path(text).map_err(|e| {
            Error::new(
                ErrorKind::Engine,
                format!("jsonpath-rust rejected the translation {text:?}: {e}"),
                src,
                0,
            )
        })
    };
    for p in planned {
        stages.push(match p {
            general::Planned::Walk(segs) => general::Stage::Walk(segs.into()),
            general::Planned::Query(text) => general::Stage::Query(engine(&text)?),
            general::Planned::Filter(text) => {
                filters = true;
                general::Stage::Filter(engine(&text)?)
            }
        });
    }
    done(Plan::General(Box::new(General {
        stages,
        check_depth: filters || general::uses_scan(&path),
        rfc: rfc.into(),
    })))
}
