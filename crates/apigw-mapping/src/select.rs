//! Choosing the integration response (SPEC §2).
//!
//! Non-default responses are tried in ascending `statusCode` order and the first whose
//! `selectionPattern` matches the *whole* selection value wins (§2.6, §2.8); otherwise the
//! default response (no pattern, or `""`) is used, the lowest status code among several (§2.9).
//!
//! The cheapest engine answers first: for status-code selection values (HTTP, AWS, MOCK) every
//! pattern is evaluated at compile time against `"100"` … `"599"` and the request path performs
//! one table load; Lambda `errorMessage`s go through one [`PatternSet`] pass.

use apigw_javaregex::{JavaRegex, Limits as PatternLimits, PatternSet};

/// Marker in the status table for "no response selected".
const NONE: u16 = u16::MAX;
/// The status codes the table covers.
const TABLE_FIRST: u16 = 100;
const TABLE_LAST: u16 = 599;

/// A compiled selector over the integration responses of one method.
#[derive(Debug)]
pub struct Selector {
    /// For each pattern of `set`, the index of its integration response; ascending status order.
    candidates: Vec<u16>,
    /// All usable patterns, in ascending status order.
    set: Option<PatternSet>,
    /// The default response, if any.
    default: Option<u16>,
    /// Selection by status code, `TABLE_FIRST..=TABLE_LAST`; empty for Lambda integrations.
    status_table: Box<[u16]>,
    /// Patterns that could not be compiled: (response index, message). They never match.
    rejected: Vec<(usize, String)>,
}

/// Input to [`Selector::new`]: one integration response's status code and pattern.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The integration response's `statusCode` (`[1-5]\d\d`).
    pub status_code: &'a str,
    /// Its `selectionPattern`; `None` or `""` makes it a default response.
    pub pattern: Option<&'a str>,
}

impl Selector {
    /// Compiles the patterns. `with_status_table` precomputes selection for status codes.
    /// Indexes returned by the `select_*` methods are positions in `responses`.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::select::{Candidate, Selector};
    /// let s = Selector::new(
    ///     &[
    ///         Candidate { status_code: "200", pattern: None },
    ///         Candidate { status_code: "400", pattern: Some(r"4\d{2}") },
    ///     ],
    ///     true,
    /// );
    /// assert_eq!(s.select_status(404), Some(1));
    /// assert_eq!(s.select_status(4040), Some(0));
    /// assert_eq!(s.select_str("404"), Some(1));
    /// ```
    pub fn new(responses: &[Candidate<'_>], with_status_table: bool) -> Selector {
        Selector::with_limits(responses, with_status_table, &PatternLimits::default())
    }

    /// Like [`Selector::new`], compiling the patterns within `limits` (pattern size,
    /// compiled size, backtracking steps); a pattern over a compile-time budget never
    /// matches and is listed by [`Selector::rejected_patterns`].
    pub fn with_limits(
        responses: &[Candidate<'_>],
        with_status_table: bool,
        limits: &PatternLimits,
    ) -> Selector {
        let mut order: Vec<usize> = (0..responses.len()).collect();
        // Status codes are validated as `[1-5]\d\d`, so string order is numeric order.
        order.sort_by(|&a, &b| responses[a].status_code.cmp(responses[b].status_code));

        let mut default = None;
        let mut candidates = Vec::new();
        let mut patterns = Vec::new();
        let mut rejected = Vec::new();
        for &i in &order {
            match responses[i].pattern {
                None | Some("") => {
                    if default.is_none() {
                        default = Some(i as u16);
                    }
                }
                Some(p) => match JavaRegex::with_limits(p, limits) {
                    Ok(_) => {
                        candidates.push(i as u16);
                        patterns.push(p);
                    }
                    Err(e) => rejected.push((i, format!("{e}"))),
                },
            }
        }
        // Every pattern compiled on its own above; a set error can still come from the set's
        // combined size budget. Fall back to dropping the offending patterns one by one.
        let set = loop {
            if patterns.is_empty() {
                break None;
            }
            match PatternSet::with_limits(&patterns, limits) {
                Ok(set) => break Some(set),
                Err(e) => {
                    let at = e.index().min(patterns.len() - 1);
                    rejected.push((candidates[at] as usize, format!("{e}")));
                    patterns.remove(at);
                    candidates.remove(at);
                }
            }
        };

        let mut selector = Selector {
            candidates,
            set,
            default,
            status_table: Box::new([]),
            rejected,
        };
        if with_status_table {
            let table: Vec<u16> = (TABLE_FIRST..=TABLE_LAST)
                .map(|status| {
                    selector
                        .select_by_patterns(&status.to_string())
                        .map_or(NONE, |i| i as u16)
                })
                .collect();
            selector.status_table = table.into_boxed_slice();
        }
        selector
    }

    /// Selects for a string selection value (Lambda `errorMessage`, or `""` on success).
    #[inline]
    pub fn select_str(&self, value: &str) -> Option<usize> {
        self.select_by_patterns(value)
    }

    /// Selects for a status code (HTTP, AWS, MOCK). Uses the precomputed table for 100–599.
    #[inline]
    pub fn select_status(&self, status: i64) -> Option<usize> {
        if (i64::from(TABLE_FIRST)..=i64::from(TABLE_LAST)).contains(&status)
            && !self.status_table.is_empty()
        {
            let hit = self.status_table[(status - i64::from(TABLE_FIRST)) as usize];
            return (hit != NONE).then_some(hit as usize);
        }
        // Outside 100–599 (rare: MOCK templates may write any integer).
        self.select_by_patterns(&status.to_string())
    }

    fn select_by_patterns(&self, value: &str) -> Option<usize> {
        if let Some(set) = &self.set
            && let Some(k) = set.first_match(value)
        {
            return Some(self.candidates[k] as usize);
        }
        self.default.map(|d| d as usize)
    }

    /// The default response's index, if one exists.
    pub fn default_response(&self) -> Option<usize> {
        self.default.map(|d| d as usize)
    }

    /// Patterns that failed to compile (index of the integration response, message). API
    /// Gateway stores patterns without validating them; such a pattern never matches.
    pub fn rejected_patterns(&self) -> &[(usize, String)] {
        &self.rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(list: &[(&'static str, Option<&'static str>)], table: bool) -> Selector {
        let c: Vec<Candidate<'_>> = list
            .iter()
            .map(|(s, p)| Candidate {
                status_code: s,
                pattern: *p,
            })
            .collect();
        Selector::new(&c, table)
    }

    #[test]
    fn whole_string_and_ascending_order() {
        let s = sel(
            &[
                ("502", Some(".+")),
                ("200", None),
                ("405", Some(".*four hundred.*")),
            ],
            false,
        );
        assert_eq!(s.select_str("Error: four hundred"), Some(2));
        assert_eq!(s.select_str("boom"), Some(0));
        assert_eq!(s.select_str(""), Some(1));
        assert_eq!(s.select_str("line1\nline2"), Some(1));
    }

    #[test]
    fn status_table_matches_patterns() {
        let s = sel(
            &[
                ("200", None),
                ("400", Some(r"4\d{2}")),
                ("500", Some("5.*")),
            ],
            true,
        );
        assert_eq!(s.select_status(404), Some(1));
        assert_eq!(s.select_status(201), Some(0));
        assert_eq!(s.select_status(503), Some(2));
        assert_eq!(s.select_status(4), Some(0));
        assert_eq!(s.select_status(5000), Some(2));
    }

    #[test]
    fn several_defaults_lowest_wins_and_bad_pattern_never_matches() {
        let s = sel(
            &[("201", Some("")), ("200", None), ("400", Some("(4"))],
            true,
        );
        assert_eq!(s.default_response(), Some(1));
        assert_eq!(s.select_status(400), Some(1));
        assert_eq!(s.rejected_patterns().len(), 1);
    }

    #[test]
    fn no_default_no_match() {
        let s = sel(&[("400", Some("4\\d\\d"))], true);
        assert_eq!(s.select_status(200), None);
        assert_eq!(s.select_str("x"), None);
    }
}
