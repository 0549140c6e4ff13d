//! Java `java.util.regex` patterns on the Rust `regex` engines.
//!
//! API Gateway matches `selectionPattern`s, and VTL templates call
//! `String.matches`, `replaceAll`, `replaceFirst` and `split`, with Java's
//! regex dialect. Java and Rust syntax look alike but disagree silently
//! (`\d` and `\w` are ASCII in Java, `.` excludes `\r` and `\u2028`, `(?U)`
//! means Unicode classes, `a*+` is possessive, …). This crate **parses the
//! Java pattern itself** and emits an explicit Rust pattern: every class is
//! spelled out as code point ranges, every anchor as the exact assertion
//! Java implements. Patterns that need backtracking features go to
//! `fancy-regex`; everything else runs on the `regex` crate.
//!
//! # Example
//!
//! ```
//! use apigw_javaregex::{JavaRegex, PatternSet};
//!
//! let re = JavaRegex::new(r".*\[BadRequest\].*").unwrap();
//! assert!(re.matches("[BadRequest] missing field"));
//! assert!(!re.matches("[BadRequest]\nsecond line")); // '.' stops at line terminators
//!
//! let set = PatternSet::new(&[r"2\d{2}", r"4\d{2}", r"(\n|.)+"]).unwrap();
//! assert_eq!(set.first_match("404"), Some(1));
//!
//! let re = JavaRegex::new(r"(\w+)@(\w+)").unwrap();
//! assert_eq!(re.replace_all("joe@example", "$2 <- $1").unwrap(), "example <- joe");
//! assert_eq!(JavaRegex::new(",").unwrap().split("a,b,,", 0), ["a", "b"]);
//! ```
//!
//! # Semantics
//!
//! The reference is OpenJDK 17's `java.util.regex`; the test suite runs a
//! corpus of patterns through a real JVM and compares (see
//! `tests/java_differential.rs`). In particular:
//!
//! * `\d \w \s` and the POSIX classes `\p{Alpha}`, `\p{Punct}`, … are ASCII
//!   unless `(?U)` (`UNICODE_CHARACTER_CLASS`) is on; `\h \v \R` follow Java.
//! * `(?i)` folds ASCII only; `(?iu)` folds Unicode with Java's
//!   `toUpperCase`/`toLowerCase` rules.
//! * `.` excludes `\n \r \u0085 \u2028 \u2029` (only `\n` under `(?d)`),
//!   `^`/`$` under `(?m)` know the same terminators and never split `\r\n`,
//!   and `$`/`\Z` without `(?m)` also match before a final line terminator.
//! * `\b` uses Java 17's definition (letters, digits, `_`, marks; next to
//!   a literal word character it needs only one look-around, and
//!   `\bword\b` in a whole-input match needs none), `\Q…\E`
//!   is rewritten as Java rewrites it, class intersection `&&` and nested
//!   classes follow Java's evaluation (including its quirks).
//! * `{` that does not start a valid repetition is an error, as in Java;
//!   look-behinds are accepted or rejected by Java's own (`int`-overflowing)
//!   maximum-length computation.
//! * Replacement strings use Java's syntax (`$1`, `${name}`, `\$`); `split`
//!   follows `String.split`.
//!
//! Not supported (compile error [`ErrorKind::Unsupported`]): `\G`, `\X`,
//! `\b{g}`, `\N{name}`, `(?c)` (CANON_EQ).
//!
//! # Known differences
//!
//! The differential tests list every case we keep different on purpose
//! (`KNOWN_DIFFERENCES` in `tests/java_differential.rs`). In short:
//!
//! * **Unsupported** (compile error [`ErrorKind::Unsupported`]): `\G`, `\X`,
//!   `\b{g}`, `\N{name}`, `(?c)` (CANON_EQ).
//! * **Unicode data** comes from `regex-syntax` (a newer Unicode version than
//!   JDK 17's), so properties differ on recently assigned characters. Block
//!   names and ranges (`\p{InGreek}`) are a table generated from JDK 17
//!   (`tools/GenBlocks.java`). `\p{javaMirrored}`, `\p{javaJavaIdentifier…}`
//!   and `\p{javaUnicodeIdentifier…}` are mapped to the nearest Unicode
//!   properties.
//! * **Unicode case folding** (`(?iu)`) follows Java's single-character rule
//!   (`toUpperCase`/`toLowerCase`, approximated with Rust's case mappings);
//!   Java folds a run of literals (`(?iu)aß`) slightly differently from a
//!   single literal, and case-insensitive back-references compare with
//!   Unicode folding even without `u`.
//! * **Java's default `\b`** treats a non-spacing mark as a word character
//!   only after a letter or digit; here a non-spacing mark always is one.
//! * **Captures in loops**: after `(a?)*` matches `"aa"`, Java reports the
//!   last, empty, iteration (`""`), the Rust engines the last non-empty one
//!   (`"a"`). Java also keeps captures set by a failed attempt through a
//!   possessive quantifier, atomic group or look-ahead, which later matches
//!   can then report; we report only captures of the successful match. Only
//!   `$n`/`${name}` in replacements can see either.
//! * **Empty loop iterations**: when an iteration of a loop can match the
//!   empty string only through a lazy choice (`(?:b|x??)+` on `"bx"`), Java
//!   accepts the empty iteration and leaves the loop (match `"b"`); the Rust
//!   engines never take an empty iteration and try the next choice (match
//!   `"bx"`).
//! * **UTF-16**: Java can report an empty match between the two halves of a
//!   supplementary character (`"😀".replaceAll("", "-")`); Rust strings
//!   cannot, so searches advance by whole characters.
//! * **Look-behind** bodies run on `fancy-regex`, which does not apply
//!   possessive quantifiers or atomic groups inside a look-behind the way
//!   Java's start-position scan does. Java's `int` arithmetic on look-behind
//!   lengths is reproduced (rejections, and look-behinds that never match,
//!   such as `(?<=a+b*)`), with positions counted in characters rather than
//!   UTF-16 units; in patterns with supplementary characters Java uses
//!   variants whose window then depends on the rest of the input, which is
//!   not reproduced.
//! * **Budgets**: repetition counts Java accepts but that exceed
//!   [`Limits::size_limit`] (`a{100000}`) do not compile.
//! * **Error indexes** are positions in the pattern as written (characters
//!   and bytes); Java reports positions in its `\Q…\E`-rewritten copy, in
//!   UTF-16 units, and `-1` for an unmatched `)`.
//!
//! # Untrusted input
//!
//! Patterns and inputs may come from users. Budgets ([`Limits`]) bound
//! compile time, memory and matching time; the defaults are:
//!
//! | budget | default | when exceeded |
//! | --- | --- | --- |
//! | `max_pattern_len` | 64 KiB | [`ErrorKind::PatternTooLong`] |
//! | `nest_limit` | 64 levels of groups/classes | [`ErrorKind::NestTooDeep`] |
//! | `size_limit` | 1 MiB per compiled program (for a [`PatternSet`], for the combined automaton) | [`ErrorKind::CompiledTooBig`] |
//! | `dfa_size_limit` | 1 MiB lazy-DFA cache per program and thread (a [`PatternSet`] first tries a dense DFA capped at 64 KiB) | slower matching, never an error |
//! | `backtrack_limit` | 1 000 000 steps per match attempt | [`MatchError`] |
//!
//! The `regex` engine matches in time linear in the input; only patterns
//! that need the backtracking engine ([`JavaRegex::uses_backtracking`]) can
//! run out of budget. Compiling is never done on a request path in this
//! workspace: compile once and reuse (`JavaRegex` is `Send + Sync` and cheap
//! to clone). Nothing in this crate panics on any pattern or input.

#![deny(missing_docs)]

mod blocks;
mod emit;
mod engine;
mod error;
mod limits;
mod parse;
mod props;
mod regex;
mod set;

pub use crate::error::{Error, ErrorKind, MatchError, ReplaceError, SetError};
pub use crate::limits::Limits;
pub use crate::regex::JavaRegex;
pub use crate::set::PatternSet;
