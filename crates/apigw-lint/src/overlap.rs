//! Whether two selection patterns can match the same selection value (SPEC §2.8).
//!
//! - **Status-code selection** (HTTP, AWS services, MOCK): the values are the status codes
//!   `"100"` … `"599"`; every pattern is run on each of them, so the answer is exact.
//! - **Lambda `errorMessage` selection**: the values are arbitrary strings. Each pattern's
//!   whole-match translation (the Rust pattern `apigw-javaregex` runs) is compiled into a
//!   `regex-automata` dense DFA, and a breadth-first search over the product of two DFAs
//!   looks for a string both accept. Finding one is a proof (the shortest such string is
//!   reported as the witness); exhausting the product proves there is none. Patterns a DFA
//!   cannot represent (look-around, back-references, Unicode `\b`: the ones that need the
//!   backtracking engine) or whose DFA exceeds [`DFA_SIZE_LIMIT`], and products larger than
//!   [`PRODUCT_LIMIT`] pairs, are reported as not checked: no sampling, no guessing.

use std::collections::{HashMap, VecDeque};

use apigw_javaregex::JavaRegex;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

/// Largest dense DFA built for one pattern (bytes).
pub(crate) const DFA_SIZE_LIMIT: usize = 4 << 20;
/// Most state pairs explored for one pair of patterns.
pub(crate) const PRODUCT_LIMIT: usize = 200_000;

/// A whole-match DFA of one pattern.
#[derive(Debug)]
pub(crate) struct Dfa(dense::DFA<Vec<u32>>);

impl Dfa {
    /// Builds the DFA of a compiled pattern's whole-match translation; `None` when the
    /// translation needs constructs a DFA lacks or the DFA would be too big.
    pub(crate) fn new(re: &JavaRegex) -> Option<Dfa> {
        let (full, _) = re.translations();
        dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .match_kind(MatchKind::All)
                    .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                    .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
            )
            .syntax(syntax::Config::new().nest_limit(250))
            .build(full)
            .ok()
            .map(Dfa)
    }

    fn start(&self) -> Option<StateID> {
        self.0
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()
    }

    fn accepts_at_end(&self, s: StateID) -> bool {
        self.0.is_match_state(self.0.next_eoi_state(s))
    }
}

/// The outcome of a product search.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Both patterns match this (shortest) string.
    Witness(String),
    /// No string matches both.
    Disjoint,
    /// The search stopped at [`PRODUCT_LIMIT`] pairs.
    Unknown,
}

/// Bytes in the order the search tries them, so witnesses read well: lower-case letters,
/// digits, upper-case letters, the rest of printable ASCII, then everything else.
fn byte_order() -> Vec<u8> {
    let mut order: Vec<u8> = (b'a'..=b'z')
        .chain(b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .collect();
    order.extend((0x20..0x7f).filter(|b: &u8| !b.is_ascii_alphanumeric()));
    order.extend((0..=255u8).filter(|b| !(0x20..0x7f).contains(b)));
    order
}

/// A state of the product automaton.
type Pair = (StateID, StateID);

/// Searches the product of two DFAs for a string both accept.
pub(crate) fn product(a: &Dfa, b: &Dfa) -> Overlap {
    let (Some(sa), Some(sb)) = (a.start(), b.start()) else {
        return Overlap::Unknown;
    };
    // One representative byte per pair of equivalence classes (bytes both DFAs treat alike
    // lead to the same pair), in the readable order.
    let (ca, cb) = (a.0.byte_classes(), b.0.byte_classes());
    let mut seen = std::collections::HashSet::new();
    let order: Vec<u8> = byte_order()
        .into_iter()
        .filter(|&byte| seen.insert((ca.get(byte), cb.get(byte))))
        .collect();
    // For each reached pair, the pair and byte it was first reached from.
    let mut parent: HashMap<Pair, Option<(Pair, u8)>> = HashMap::new();
    let mut queue = VecDeque::new();
    parent.insert((sa, sb), None);
    queue.push_back((sa, sb));
    while let Some(pair) = queue.pop_front() {
        if a.accepts_at_end(pair.0) && b.accepts_at_end(pair.1) {
            let mut bytes = Vec::new();
            let mut at = pair;
            while let Some(Some((prev, byte))) = parent.get(&at) {
                bytes.push(*byte);
                at = *prev;
            }
            bytes.reverse();
            return Overlap::Witness(String::from_utf8_lossy(&bytes).into_owned());
        }
        for &byte in &order {
            let na = a.0.next_state(pair.0, byte);
            let nb = b.0.next_state(pair.1, byte);
            if a.0.is_dead_state(na) || b.0.is_dead_state(nb) {
                continue;
            }
            if a.0.is_quit_state(na) || b.0.is_quit_state(nb) {
                return Overlap::Unknown;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry((na, nb)) {
                e.insert(Some((pair, byte)));
                queue.push_back((na, nb));
            }
        }
        if parent.len() > PRODUCT_LIMIT {
            return Overlap::Unknown;
        }
    }
    Overlap::Disjoint
}

/// The status codes `"100"` … `"599"` both patterns match.
pub(crate) fn common_status_codes(a: &JavaRegex, b: &JavaRegex) -> Vec<u16> {
    (100..=599u16)
        .filter(|c| {
            let s = c.to_string();
            a.matches(&s) && b.matches(&s)
        })
        .collect()
}

/// `400-404, 410` for a sorted list of codes.
pub(crate) fn ranges(codes: &[u16]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < codes.len() {
        let mut j = i;
        while j + 1 < codes.len() && codes[j + 1] == codes[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            codes[i].to_string()
        } else {
            format!("{}-{}", codes[i], codes[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dfa(p: &str) -> Dfa {
        Dfa::new(&JavaRegex::new(p).unwrap()).unwrap()
    }

    #[test]
    fn product_finds_the_shortest_common_string() {
        assert_eq!(
            product(&dfa(".+"), &dfa(".*four hundred.*")),
            Overlap::Witness("four hundred".into())
        );
        assert_eq!(
            product(&dfa(".*"), &dfa("(\\n|.)+")),
            Overlap::Witness("a".into())
        );
        // `.*` matches the empty string (a successful invocation), so does `a*`.
        assert_eq!(
            product(&dfa(".*"), &dfa("a*")),
            Overlap::Witness(String::new())
        );
    }

    #[test]
    fn product_proves_disjointness() {
        assert_eq!(
            product(&dfa(".*Not Found.*"), &dfa("4\\d{2}")),
            Overlap::Disjoint
        );
        // Java's `.` stops at line terminators: `.+` never matches a message with `\n`.
        assert_eq!(product(&dfa(".+"), &dfa("a\\nb")), Overlap::Disjoint);
        assert_eq!(
            product(&dfa("(?i)error"), &dfa("ERRORS")),
            Overlap::Disjoint
        );
        assert_eq!(
            product(&dfa("(?i)error"), &dfa("ERROR")),
            Overlap::Witness("ERROR".into())
        );
    }

    #[test]
    fn backtracking_patterns_have_no_dfa() {
        assert!(Dfa::new(&JavaRegex::new("(?=a)a.*").unwrap()).is_none());
        assert!(Dfa::new(&JavaRegex::new("(a)\\1").unwrap()).is_none());
    }

    #[test]
    fn status_codes() {
        let a = JavaRegex::new("4\\d{2}").unwrap();
        let b = JavaRegex::new("40[0-4]|410").unwrap();
        assert_eq!(ranges(&common_status_codes(&a, &b)), "400-404, 410");
        let c = JavaRegex::new("5\\d{2}").unwrap();
        assert!(common_status_codes(&a, &c).is_empty());
    }
}
