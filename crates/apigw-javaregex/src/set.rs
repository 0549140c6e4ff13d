//! [`PatternSet`]: many whole-input patterns matched in one pass.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, MatchKind, meta};

use crate::engine::{Engine, rust_nest_limit};
use crate::error::{Error, ErrorKind, SetError};
use crate::limits::Limits;
use crate::regex::translate;

type StateFn = Box<dyn Fn() -> State + Send + Sync + UnwindSafe + RefUnwindSafe>;

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
/// win. The per-thread search state is pooled, so [`first_match`]
/// allocates nothing.
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
    plain: Option<meta::Regex>,
    /// Original index of each pattern in `plain`.
    plain_index: Vec<usize>,
    pool: Option<Pool<State, StateFn>>,
    fancy: Vec<(usize, Engine)>,
}

impl fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatternSet")
            .field("len", &self.len)
            .field("plain_index", &self.plain_index)
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
        let (plain, pool) = if plain_src.is_empty() {
            (None, None)
        } else {
            let re = meta::Regex::builder()
                .configure(
                    meta::Config::new()
                        .match_kind(MatchKind::All)
                        .nfa_size_limit(Some(limits.size_limit))
                        .onepass_size_limit(Some(limits.size_limit))
                        .dfa_size_limit(Some(limits.size_limit))
                        .hybrid_cache_capacity(limits.dfa_size_limit),
                )
                .syntax(
                    regex_automata::util::syntax::Config::new().nest_limit(rust_nest_limit(limits)),
                )
                .build_many(&plain_src)
                .map_err(|e| {
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
                })?;
            let re2 = re.clone();
            let n = re.pattern_len();
            let create: StateFn = Box::new(move || State {
                cache: re2.create_cache(),
                set: regex_automata::PatternSet::new(n),
            });
            (Some(re), Some(Pool::new(create)))
        };
        Ok(PatternSet {
            len: patterns.len(),
            plain,
            plain_index,
            pool,
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
    fn plain_matches(&self, s: &str, mut f: impl FnMut(usize) -> bool) {
        let (Some(re), Some(pool)) = (&self.plain, &self.pool) else {
            return;
        };
        let mut guard = pool.get();
        let state = &mut *guard;
        state.set.clear();
        let input = Input::new(s).anchored(Anchored::Yes);
        re.which_overlapping_matches_with(&mut state.cache, &input, &mut state.set);
        for pid in state.set.iter() {
            if !f(self.plain_index[pid.as_usize()]) {
                break;
            }
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
            best = Some(i);
            false
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
        self.plain_matches(s, |i| {
            all.push(i);
            true
        });
        for (i, e) in &self.fancy {
            if e.is_match(s).unwrap_or(false) {
                all.push(*i);
            }
        }
        all.sort_unstable();
        all.into_iter()
    }
}
