//! [`PatternSet`]: many whole-input patterns matched in one pass.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::hybrid;
use regex_automata::util::pool::Pool;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, MatchKind, meta};

use crate::engine::{Engine, rust_nest_limit};
use crate::error::{Error, ErrorKind, SetError};
use crate::limits::Limits;
use crate::regex::translate;

type StateFn = Box<dyn Fn() -> State + Send + Sync + UnwindSafe + RefUnwindSafe>;
type LazyFn = Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

struct State {
    cache: meta::Cache,
    set: regex_automata::PatternSet,
}

/// An ordered list of Java patterns, each matched against the whole input
/// (`String.matches` semantics), answering "which is the first to match".
///
/// Patterns the `regex` crate can run are compiled together into one
/// multi-pattern automaton and checked in a single pass over the input;
/// patterns that need backtracking (look-around, back-references, …) are
/// kept aside and tried one by one afterwards, only when they could still
/// win. The plain patterns are compiled to one dense DFA when it is small
/// (one table lookup per input byte, no mutable state), otherwise to a lazy
/// DFA with a pooled per-thread cache (falling back to `regex-automata`'s
/// meta engine if the lazy DFA gives up); either way [`first_match`]
/// allocates nothing once the caches are warm.
///
/// [`first_match`]: PatternSet::first_match
///
/// # Example
///
/// ```
/// use apigw_javaregex::PatternSet;
///
/// let set = PatternSet::new(&[r"2\d{2}", r"4\d{2}", ".*Error.*", r"(\n|.)+"]).unwrap();
/// assert_eq!(set.first_match("404"), Some(1));
/// assert_eq!(set.first_match("Fatal Error!"), Some(2));
/// assert_eq!(set.first_match("line1\nline2"), Some(3));
/// assert_eq!(set.first_match(""), None);
/// ```
pub struct PatternSet {
    len: usize,
    plain: Plain,
    /// Original index of each pattern in `plain`.
    plain_index: Vec<usize>,
    fancy: Vec<(usize, Engine)>,
}

/// The combined automaton of the patterns `regex` can run.
enum Plain {
    None,
    Dense {
        dfa: Box<dense::DFA<Vec<u32>>>,
        start: regex_automata::util::primitives::StateID,
    },
    Lazy {
        dfa: Box<hybrid::dfa::DFA>,
        caches: Pool<hybrid::dfa::Cache, LazyFn>,
        meta: Box<MetaSet>,
    },
    Meta(Box<MetaSet>),
}

/// The general multi-pattern engine.
struct MetaSet {
    re: meta::Regex,
    pool: Pool<State, StateFn>,
}

impl fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatternSet")
            .field("len", &self.len)
            .field("plain_index", &self.plain_index)
            .field(
                "engine",
                &match self.plain {
                    Plain::None => "none",
                    Plain::Dense { .. } => "dense DFA",
                    Plain::Lazy { .. } => "lazy DFA",
                    Plain::Meta(_) => "meta",
                },
            )
            .field(
                "fancy",
                &self.fancy.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PatternSet {
    /// Compiles the patterns with the default [`Limits`].
    ///
    /// # Errors
    ///
    /// A [`SetError`] naming the first pattern that does not compile.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// assert_eq!(PatternSet::new(&["a", "b"]).unwrap().len(), 2);
    /// ```
    pub fn new(patterns: &[&str]) -> Result<PatternSet, SetError> {
        PatternSet::with_limits(patterns, &Limits::default())
    }

    /// Compiles the patterns with explicit budgets. `size_limit` and
    /// `dfa_size_limit` apply to the combined automaton as a whole.
    ///
    /// # Errors
    ///
    /// A [`SetError`] naming the first pattern that does not compile. When
    /// the combined automaton is too big, the index is that of the last
    /// pattern.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::{Limits, PatternSet};
    /// let limits = Limits { size_limit: 10_000, ..Limits::default() };
    /// assert!(PatternSet::with_limits(&[r"\w{1000}"], &limits).is_err());
    /// ```
    pub fn with_limits(patterns: &[&str], limits: &Limits) -> Result<PatternSet, SetError> {
        let mut plain_src = Vec::new();
        let mut plain_index = Vec::new();
        let mut fancy = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let t = translate(p, limits).map_err(|error| SetError { index: i, error })?;
            if t.full.fancy {
                let e = Engine::compile(p, &t.full.pattern, true, limits)
                    .map_err(|error| SetError { index: i, error })?;
                fancy.push((i, e));
            } else {
                // Compile alone too, so that a too-big pattern is reported
                // with its own index.
                Engine::compile(p, &t.full.pattern, false, limits)
                    .map_err(|error| SetError { index: i, error })?;
                plain_src.push(t.full.pattern);
                plain_index.push(i);
            }
        }
        let plain = if plain_src.is_empty() {
            Plain::None
        } else if let Some(p) = build_dense(&plain_src, limits) {
            p
        } else {
            let meta = Box::new(build_meta(&plain_src, limits).map_err(|e| {
                let last = *plain_index.last().unwrap_or(&0);
                let too_big = e.size_limit().is_some();
                let kind = if too_big {
                    ErrorKind::CompiledTooBig
                } else {
                    ErrorKind::Internal
                };
                SetError {
                    index: last,
                    error: Error::new(
                        kind,
                        format!("combined pattern set: {e}"),
                        patterns[last],
                        0,
                    ),
                }
            })?);
            match build_lazy(&plain_src, limits) {
                Some((dfa, caches)) => Plain::Lazy { dfa, caches, meta },
                None => Plain::Meta(meta),
            }
        };
        Ok(PatternSet {
            len: patterns.len(),
            plain,
            plain_index,
            fancy,
        })
    }

    /// Returns the number of patterns.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// assert!(PatternSet::new(&[]).unwrap().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns true when the set has no pattern.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// assert!(!PatternSet::new(&["x"]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns true when pattern `index` needs the backtracking engine (it is
    /// then checked separately, after the single pass).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// let set = PatternSet::new(&["a", "(?=a)a"]).unwrap();
    /// assert!(!set.uses_backtracking(0));
    /// assert!(set.uses_backtracking(1));
    /// ```
    pub fn uses_backtracking(&self, index: usize) -> bool {
        self.fancy.iter().any(|(i, _)| *i == index)
    }

    /// Runs the single pass and calls `f` with the original index of every
    /// plain pattern that matches, in ascending order.
    /// Runs the single pass and calls `f` with the original index of every
    /// plain pattern that matches (in no particular order).
    fn plain_matches(&self, s: &str, mut f: impl FnMut(usize)) {
        match &self.plain {
            Plain::None => {}
            Plain::Dense { dfa, start } => {
                // Every pattern is anchored at both ends, so walk the whole
                // input and read the matches off the final state.
                let mut state = *start;
                for &b in s.as_bytes() {
                    state = dfa.next_state(state, b);
                    if dfa.is_dead_state(state) {
                        return;
                    }
                }
                state = dfa.next_eoi_state(state);
                if dfa.is_match_state(state) {
                    for i in 0..dfa.match_len(state) {
                        f(self.plain_index[dfa.match_pattern(state, i).as_usize()]);
                    }
                }
            }
            Plain::Lazy { dfa, caches, meta } => {
                let mut cache = caches.get();
                match lazy_walk(dfa, &mut cache, s.as_bytes()) {
                    Ok(None) => {}
                    Ok(Some(sid)) => {
                        for i in 0..dfa.match_len(&cache, sid) {
                            f(self.plain_index[dfa.match_pattern(&cache, sid, i).as_usize()]);
                        }
                    }
                    Err(()) => self.meta_matches(meta, s, f),
                }
            }
            Plain::Meta(meta) => self.meta_matches(meta, s, f),
        }
    }

    fn meta_matches(&self, meta: &MetaSet, s: &str, mut f: impl FnMut(usize)) {
        let mut guard = meta.pool.get();
        let state = &mut *guard;
        state.set.clear();
        let input = Input::new(s).anchored(Anchored::Yes);
        meta.re
            .which_overlapping_matches_with(&mut state.cache, &input, &mut state.set);
        for pid in state.set.iter() {
            f(self.plain_index[pid.as_usize()]);
        }
    }

    /// Returns the lowest index whose pattern matches the whole of `s`, or
    /// `None`. A backtracking pattern that runs out of budget counts as not
    /// matching.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// let set = PatternSet::new(&["(?i)not ?found", r"(?=.*\d).+", ".+"]).unwrap();
    /// assert_eq!(set.first_match("Not Found"), Some(0));
    /// assert_eq!(set.first_match("error 42"), Some(1));
    /// assert_eq!(set.first_match("error"), Some(2));
    /// ```
    pub fn first_match(&self, s: &str) -> Option<usize> {
        let mut best = None;
        self.plain_matches(s, |i| {
            if best.is_none_or(|b| i < b) {
                best = Some(i);
            }
        });
        for (i, e) in &self.fancy {
            if best.is_some_and(|b| b < *i) {
                break;
            }
            if e.is_match(s).unwrap_or(false) {
                return Some(*i);
            }
        }
        best
    }

    /// Returns every index whose pattern matches the whole of `s`, in
    /// ascending order (for diagnostics; allocates).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_javaregex::PatternSet;
    /// let set = PatternSet::new(&[r"\d+", "4.*", "(?!5)...", "x"]).unwrap();
    /// assert_eq!(set.matching("404").collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn matching(&self, s: &str) -> impl Iterator<Item = usize> + use<> {
        let mut all = Vec::new();
        self.plain_matches(s, |i| all.push(i));
        for (i, e) in &self.fancy {
            if e.is_match(s).unwrap_or(false) {
                all.push(*i);
            }
        }
        all.sort_unstable();
        all.into_iter()
    }
}

/// Largest dense DFA we try to build. Sets of `.*word.*` patterns explode
/// when determinized ahead of time; a small cap keeps the failed attempt
/// cheap (a few milliseconds) while small sets, such as status-code
/// patterns, still get the fastest engine.
const DENSE_LIMIT: usize = 64 * 1024;

/// Builds one dense DFA for all plain patterns, or `None` when it would
/// exceed the budget (the caller then uses the lazy meta engine).
fn build_dense(patterns: &[String], limits: &Limits) -> Option<Plain> {
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .minimize(false)
                .dfa_size_limit(Some(DENSE_LIMIT.min(limits.dfa_size_limit)))
                .determinize_size_limit(Some(DENSE_LIMIT.min(limits.dfa_size_limit))),
        )
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(rust_nest_limit(limits)))
        .thompson(
            regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(limits.size_limit)),
        )
        .build_many(patterns)
        .ok()?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .ok()?;
    Some(Plain::Dense {
        dfa: Box::new(dfa),
        start,
    })
}

fn build_meta(
    patterns: &[String],
    limits: &Limits,
) -> Result<MetaSet, Box<regex_automata::meta::BuildError>> {
    let re = meta::Regex::builder()
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::All)
                .nfa_size_limit(Some(limits.size_limit))
                .onepass_size_limit(Some(limits.size_limit))
                .dfa_size_limit(Some(limits.size_limit))
                .hybrid_cache_capacity(limits.dfa_size_limit),
        )
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(rust_nest_limit(limits)))
        .build_many(patterns)
        .map_err(Box::new)?;
    let re2 = re.clone();
    let n = re.pattern_len();
    let create: StateFn = Box::new(move || State {
        cache: re2.create_cache(),
        set: regex_automata::PatternSet::new(n),
    });
    Ok(MetaSet {
        re,
        pool: Pool::new(create),
    })
}

/// Builds the lazy DFA, or `None` when it cannot handle the patterns (for
/// example a Unicode `\b`).
fn build_lazy(
    patterns: &[String],
    limits: &Limits,
) -> Option<(Box<hybrid::dfa::DFA>, Pool<hybrid::dfa::Cache, LazyFn>)> {
    let dfa = hybrid::dfa::DFA::builder()
        .configure(
            hybrid::dfa::DFA::config()
                .match_kind(MatchKind::All)
                .starts_for_each_pattern(false)
                .cache_capacity(limits.dfa_size_limit)
                .skip_cache_capacity_check(true),
        )
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(rust_nest_limit(limits)))
        .thompson(
            regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(limits.size_limit)),
        )
        .build_many(patterns)
        .ok()?;
    let dfa2 = dfa.clone();
    let create: LazyFn = Box::new(move || dfa2.create_cache());
    Some((Box::new(dfa), Pool::new(create)))
}

/// Walks the whole input through the lazy DFA from its anchored start.
/// Returns the final (after end-of-input) state when it is a match state,
/// `None` when nothing matches, `Err` when the lazy DFA gave up (cache
/// thrashing or a quit byte) and the caller must use the meta engine.
fn lazy_walk(
    dfa: &hybrid::dfa::DFA,
    cache: &mut hybrid::dfa::Cache,
    bytes: &[u8],
) -> Result<Option<hybrid::LazyStateID>, ()> {
    let mut sid = dfa
        .start_state(cache, &start::Config::new().anchored(Anchored::Yes))
        .map_err(|_| ())?;
    for &b in bytes {
        sid = dfa.next_state(cache, sid, b).map_err(|_| ())?;
        if sid.is_tagged() {
            if sid.is_dead() {
                return Ok(None);
            }
            if sid.is_quit() {
                return Err(());
            }
        }
    }
    sid = dfa.next_eoi_state(cache, sid).map_err(|_| ())?;
    if sid.is_quit() {
        return Err(());
    }
    Ok(sid.is_match().then_some(sid))
}
