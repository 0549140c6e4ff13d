//! Budgets for untrusted patterns and inputs.

/// Budgets applied when compiling and matching.
///
/// Every field has a documented default ([`Limits::default`]); exceeding a
/// compile-time budget makes compilation fail with the [`ErrorKind`]
/// named on the field, exceeding `backtrack_limit` makes a match fail with a
/// [`MatchError`](crate::MatchError).
///
/// [`ErrorKind`]: crate::ErrorKind
///
/// # Example
///
/// ```
/// use apigw_javaregex::{ErrorKind, JavaRegex, Limits};
///
/// let strict = Limits { max_pattern_len: 8, ..Limits::default() };
/// let err = JavaRegex::with_limits("0123456789", &strict).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::PatternTooLong);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted Java pattern, in bytes. Default 64 KiB (65 536).
    /// Exceeding it: [`ErrorKind::PatternTooLong`](crate::ErrorKind::PatternTooLong).
    pub max_pattern_len: usize,
    /// Deepest nesting of groups and character classes in the Java pattern.
    /// Default 64. Exceeding it: [`ErrorKind::NestTooDeep`](crate::ErrorKind::NestTooDeep).
    pub nest_limit: u32,
    /// Size limit of each compiled program (the `regex` crate's
    /// `size_limit`, also given to `fancy-regex` for its delegates). Default
    /// 1 MiB. Exceeding it: [`ErrorKind::CompiledTooBig`](crate::ErrorKind::CompiledTooBig).
    pub size_limit: usize,
    /// Capacity of each lazy-DFA cache (the `regex` crate's
    /// `dfa_size_limit`). Default 1 MiB. When the cache fills up the engine
    /// clears it or falls back to a slower engine: matching stays correct,
    /// only slower.
    pub dfa_size_limit: usize,
    /// Maximum backtracking steps per match attempt for patterns that need
    /// the backtracking engine. Default 1 000 000. Exceeding it:
    /// [`MatchError`](crate::MatchError).
    pub backtrack_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pattern_len: 64 * 1024,
            nest_limit: 64,
            size_limit: 1 << 20,
            dfa_size_limit: 1 << 20,
            backtrack_limit: 1_000_000,
        }
    }
}
