//! Turns a parsed Java pattern into the syntax of the Rust engines.
//!
//! The output is valid for both `regex` and `fancy-regex`; `fancy` is set
//! when it uses something only `fancy-regex` has (look-around,
//! back-references, atomic groups). Every character is emitted explicitly
//! (`\x{…}` escapes and explicit classes) so that no Rust flag or Unicode
//! default leaks in: Rust's `\d`, `\w`, `.`, `(?i)` and `$` are never used.

use std::fmt::Write;
use std::sync::OnceLock;

use regex_syntax::hir::ClassUnicode;

use crate::parse::{Greed, GroupKind, Look, Node};
use crate::props;

/// The translation of one pattern.
#[derive(Debug, Clone)]
pub(crate) struct Emitted {
    pub(crate) pattern: String,
    pub(crate) fancy: bool,
}

struct Emitter {
    out: String,
    fancy: bool,
    groups: u32,
    /// True when emitting for `\A(?:…)\z` whole-input matching: assertions
    /// in tail position that always hold at the end of input are dropped.
    full: bool,
}

/// Translates `node`. With `full`, the caller wraps the result as
/// `\A(?:…)\z`.
pub(crate) fn emit(node: &Node, groups: u32, full: bool) -> Emitted {
    let mut e = Emitter {
        out: String::new(),
        fancy: false,
        groups,
        full,
    };
    e.node(node, full, full);
    Emitted {
        pattern: e.out,
        fancy: e.fancy,
    }
}

fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

/// A class that never matches.
const NEVER: &str = "[^\\x{0}-\\x{10FFFF}]";

/// Emits a class as a literal, a bracket expression or, when empty, a class
/// that never matches.
pub(crate) fn push_class(out: &mut String, c: &ClassUnicode) {
    let rs = c.ranges();
    if rs.is_empty() {
        out.push_str("[^\\x{0}-\\x{10FFFF}]");
        return;
    }
    if rs.len() == 1 && rs[0].start() == rs[0].end() {
        push_char(out, rs[0].start());
        return;
    }
    out.push('[');
    for r in rs {
        push_char(out, r.start());
        if r.end() != r.start() {
            out.push('-');
            push_char(out, r.end());
        }
    }
    out.push(']');
}

fn is_zero_width(n: &Node) -> bool {
    match n {
        Node::Empty
        | Node::Look(_)
        | Node::Group(GroupKind::LookAhead { .. } | GroupKind::LookBehind { .. }, _) => true,
        Node::Group(GroupKind::NonCapture | GroupKind::Atomic, inner)
        | Node::Repeat { node: inner, .. } => is_zero_width(inner),
        Node::Concat(items) | Node::Alt(items) => items.iter().all(is_zero_width),
        _ => false,
    }
}

fn contains_capture(n: &Node) -> bool {
    match n {
        Node::Group(GroupKind::Capture { .. }, _) => true,
        Node::Group(_, inner) | Node::Repeat { node: inner, .. } => contains_capture(inner),
        Node::Concat(items) | Node::Alt(items) => items.iter().any(contains_capture),
        _ => false,
    }
}

/// A capturing group that can only match the empty string.
fn is_zero_width_capture(n: &Node) -> bool {
    match n {
        Node::Group(GroupKind::Capture { .. }, inner) => {
            is_zero_width(inner) || is_zero_width_capture(inner)
        }
        Node::Group(GroupKind::NonCapture | GroupKind::Atomic, inner) => {
            is_zero_width_capture(inner)
        }
        _ => false,
    }
}

fn is_line_break(n: &Node) -> bool {
    match n {
        Node::LineBreak => true,
        Node::Group(GroupKind::NonCapture | GroupKind::Capture { .. }, inner) => {
            is_line_break(inner)
        }
        _ => false,
    }
}

fn is_tail_droppable(n: &Node) -> bool {
    matches!(
        n,
        Node::Look(Look::End | Look::EndOrFinalTerminator { .. } | Look::LineEnd { .. })
    )
}

/// The class of the character matched right at the edge of `n`, when `n`
/// is one class or a repetition of one class that matches at least once.
fn class_of(n: &Node) -> Option<&ClassUnicode> {
    match n {
        Node::Class(c) => Some(c),
        Node::Repeat { node, min, .. } if *min >= 1 => match &**node {
            Node::Class(c) => Some(c),
            _ => None,
        },
        _ => None,
    }
}

/// The word characters of Java's default `\b`, computed once.
fn bound_word() -> &'static ClassUnicode {
    static W: OnceLock<ClassUnicode> = OnceLock::new();
    W.get_or_init(props::java_bound_word)
}

/// What is known about whether a neighbouring character is a word
/// character: from the class matched there, or from being at an end of the
/// input (no character, so not a word character).
fn word_side(c: Option<&ClassUnicode>, at_edge: bool) -> Option<bool> {
    if at_edge {
        return Some(false);
    }
    let c = c?;
    let w = bound_word();
    let mut outside = c.clone();
    outside.difference(w);
    if outside.ranges().is_empty() && !c.ranges().is_empty() {
        return Some(true);
    }
    let mut inside = c.clone();
    inside.intersect(w);
    inside.ranges().is_empty().then_some(false)
}

impl Emitter {
    fn class(&mut self, c: &ClassUnicode) {
        push_class(&mut self.out, c);
    }

    /// Java's default `\b` (or `\B` with `negate`): a boundary is where
    /// exactly one side is a word character. When the class next to the
    /// assertion, or an end of the input, decides one side, only the other
    /// side needs a look-around; when both are decided, none does.
    fn java_bound(
        &mut self,
        negate: bool,
        prev: Option<&ClassUnicode>,
        next: Option<&ClassUnicode>,
        at_start: bool,
        at_end: bool,
    ) {
        let mut w = String::new();
        push_class(&mut w, bound_word());
        let left = word_side(prev, at_start);
        let right = word_side(next, at_end);
        match (left, right) {
            (Some(l), Some(r)) => {
                if (l != r) == negate {
                    self.out.push_str(NEVER);
                }
            }
            (Some(l), None) => {
                self.fancy = true;
                let want_word = if negate { l } else { !l };
                let _ = write!(self.out, "{}{w})", if want_word { "(?=" } else { "(?!" });
            }
            (None, Some(r)) => {
                self.fancy = true;
                let want_word = if negate { r } else { !r };
                let _ = write!(self.out, "{}{w})", if want_word { "(?<=" } else { "(?<!" });
            }
            (None, None) => {
                self.fancy = true;
                if negate {
                    let _ = write!(self.out, "(?:(?<={w})(?={w})|(?<!{w})(?!{w}))");
                } else {
                    let _ = write!(self.out, "(?:(?<={w})(?!{w})|(?<!{w})(?={w}))");
                }
            }
        }
    }

    /// Emits `n`. `head`/`tail`: `n` starts at the start / ends at the end of
    /// the whole match (only meaningful when emitting for whole-input
    /// matching).
    fn node(&mut self, n: &Node, head: bool, tail: bool) {
        match n {
            Node::Empty => {}
            Node::Class(c) => self.class(c),
            Node::Look(
                l @ (Look::WordBoundary { unicode: false }
                | Look::NotWordBoundary { unicode: false }),
            ) => {
                let negate = matches!(l, Look::NotWordBoundary { .. });
                self.java_bound(negate, None, None, self.full && head, self.full && tail);
            }
            Node::Look(l) => self.look(*l, tail),
            Node::LineBreak => {
                // Java 9+: \u000D\u000A|[\u000A\u000B\u000C\u000D\u0085\u2028\u2029], with backtracking.
                self.out
                    .push_str("(?:\\x{D}\\x{A}|[\\x{A}-\\x{D}\\x{85}\\x{2028}\\x{2029}])");
            }
            Node::Concat(items) => {
                // Which items are in tail position: the last one, and those
                // followed only by droppable tail assertions.
                let mut tail_from = items.len();
                if tail {
                    while tail_from > 0 {
                        tail_from -= 1;
                        if !is_tail_droppable(&items[tail_from]) {
                            break;
                        }
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    let t = tail && i >= tail_from;
                    let h = head && items[..i].iter().all(|x| matches!(x, Node::Look(_)));
                    if let Node::Look(
                        l @ (Look::WordBoundary { unicode: false }
                        | Look::NotWordBoundary { unicode: false }),
                    ) = item
                    {
                        let negate = matches!(l, Look::NotWordBoundary { .. });
                        let next = items.get(i + 1).and_then(class_of);
                        let prev = i.checked_sub(1).and_then(|j| class_of(&items[j]));
                        self.java_bound(negate, prev, next, self.full && h, self.full && t);
                        continue;
                    }
                    // Alternations inside a concatenation need a group.
                    if matches!(item, Node::Alt(_)) {
                        self.out.push_str("(?:");
                        self.node(item, h, t);
                        self.out.push(')');
                    } else {
                        self.node(item, h, t);
                    }
                }
            }
            Node::Alt(branches) => {
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.node(b, head, tail);
                }
            }
            Node::Group(kind, inner) => {
                let (open, inner_tail) = match kind {
                    GroupKind::Capture { name: Some(name) } => (format!("(?<{name}>"), tail),
                    GroupKind::Capture { name: None } => ("(".to_owned(), tail),
                    GroupKind::NonCapture => ("(?:".to_owned(), tail),
                    GroupKind::Atomic => {
                        self.fancy = true;
                        ("(?>".to_owned(), false)
                    }
                    GroupKind::LookAhead { negate } => {
                        self.fancy = true;
                        ((if *negate { "(?!" } else { "(?=" }).to_owned(), false)
                    }
                    GroupKind::LookBehind { negate } => {
                        self.fancy = true;
                        ((if *negate { "(?<!" } else { "(?<=" }).to_owned(), false)
                    }
                };
                self.out.push_str(&open);
                let inner_head =
                    head && matches!(kind, GroupKind::Capture { .. } | GroupKind::NonCapture);
                self.node(inner, inner_head, inner_tail);
                self.out.push(')');
            }
            Node::Repeat {
                node, min, greed, ..
            } if is_zero_width_capture(node) => {
                // A repeated zero-width capturing group: Java runs it at most
                // once per position (a zero-width iteration ends the loop).
                // Keep the group, as optional when it may be skipped.
                // (As an alternation with an empty branch: fancy-regex cannot
                // reverse `?` of an empty group inside a look-behind.)
                self.out.push_str("(?:");
                if *min == 0 && *greed == Greed::Lazy {
                    self.out.push('|');
                }
                self.node(node, false, false);
                if *min == 0 && *greed != Greed::Lazy {
                    self.out.push('|');
                }
                self.out.push(')');
            }
            Node::Repeat { node, min, .. } if is_zero_width(node) => {
                // Repeating an assertion: zero iterations always succeed, one
                // or more iterations mean "the assertion holds" (Java stops
                // iterating a zero-width operand). The Rust engines reject
                // some of these forms, so rewrite them.
                if *min > 0 {
                    self.out.push_str("(?:");
                    self.node(node, false, false);
                    self.out.push(')');
                } else if contains_capture(node) {
                    // Keep capturing groups (and their numbers) reachable.
                    self.out.push_str("(?:");
                    self.node(node, false, false);
                    self.out.push_str("|)");
                }
            }
            Node::Repeat {
                node,
                min,
                max,
                greed,
            } => {
                if *greed == Greed::Possessive {
                    self.fancy = true;
                    self.out.push_str("(?>");
                }
                // Always group the operand: the Rust engines must never see a
                // quantifier directly after another one or after an assertion.
                self.out.push_str("(?:");
                if is_line_break(node) {
                    // Java repeats \R (also inside a group) without
                    // backtracking into a matched \r\n.
                    self.fancy = true;
                    self.out.push_str("(?>");
                    self.node(node, false, false);
                    self.out.push(')');
                } else {
                    self.node(node, false, false);
                }
                self.out.push(')');
                match (min, max) {
                    (0, None) => self.out.push('*'),
                    (1, None) => self.out.push('+'),
                    (0, Some(1)) => self.out.push('?'),
                    (m, None) => {
                        let _ = write!(self.out, "{{{m},}}");
                    }
                    (m, Some(x)) if m == x => {
                        let _ = write!(self.out, "{{{m}}}");
                    }
                    (m, Some(x)) => {
                        let _ = write!(self.out, "{{{m},{x}}}");
                    }
                }
                if *greed == Greed::Lazy {
                    self.out.push('?');
                }
                if *greed == Greed::Possessive {
                    self.out.push(')');
                }
            }
            Node::BackRef {
                group,
                case_insensitive,
            } => match group {
                Some(g) if *g <= self.groups => {
                    self.fancy = true;
                    if *case_insensitive {
                        let _ = write!(self.out, "(?i:\\{g})");
                    } else {
                        let _ = write!(self.out, "(?:\\{g})");
                    }
                }
                // Java accepts a reference to a group that does not exist and
                // never matches it.
                _ => self.out.push_str("[^\\x{0}-\\x{10FFFF}]"),
            },
        }
    }

    fn look(&mut self, l: Look, tail: bool) {
        if tail && self.full && is_tail_droppable(&Node::Look(l)) {
            return;
        }
        const TERM: &str = "\\x{D}\\x{85}\\x{2028}\\x{2029}";
        match l {
            Look::Start => self.out.push_str("\\A"),
            Look::End => self.out.push_str("\\z"),
            Look::EndOrFinalTerminator { unix: true } => {
                self.fancy = true;
                self.out.push_str("(?=\\x{A}?\\z)");
            }
            Look::EndOrFinalTerminator { unix: false } => {
                self.fancy = true;
                let _ = write!(
                    self.out,
                    "(?:(?=\\x{{D}}\\x{{A}}\\z|[{TERM}]\\z|\\z)|(?<!\\x{{D}})(?=\\x{{A}}\\z))"
                );
            }
            Look::LineEnd { unix: true } => self.out.push_str("(?m:$)"),
            Look::LineEnd { unix: false } => {
                self.fancy = true;
                let _ = write!(self.out, "(?:\\z|(?=[{TERM}])|(?<!\\x{{D}})(?=\\x{{A}}))");
            }
            Look::LineStart { unix: true } => {
                self.fancy = true;
                self.out.push_str("(?:\\A|(?<=\\x{A}))(?!\\z)");
            }
            Look::LineStart { unix: false } => {
                self.fancy = true;
                self.out.push_str(
                    "(?:\\A|(?<=[\\x{A}\\x{85}\\x{2028}\\x{2029}])|(?<=\\x{D})(?!\\x{A}))(?!\\z)",
                );
            }
            Look::WordBoundary { unicode: true } => self.out.push_str("\\b"),
            Look::NotWordBoundary { unicode: true } => self.out.push_str("\\B"),
            Look::WordBoundary { unicode: false } | Look::NotWordBoundary { unicode: false } => {
                self.fancy = true;
                let mut w = String::new();
                push_class(&mut w, &props::java_bound_word());
                if matches!(l, Look::WordBoundary { .. }) {
                    let _ = write!(self.out, "(?:(?<={w})(?!{w})|(?<!{w})(?={w}))");
                } else {
                    let _ = write!(self.out, "(?:(?<={w})(?={w})|(?<!{w})(?!{w}))");
                }
            }
        }
    }
}
