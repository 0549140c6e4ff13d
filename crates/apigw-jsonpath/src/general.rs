//! Indefinite paths: translated to RFC 9535 text and run on jsonpath-rust.

use std::fmt::Write as _;

use jsonpath_rust::parser::model::JpQuery;
use serde_json::Value;

use crate::parse::{CmpOp, Expr, Operand, Path, Root, Spanned, Step};
use crate::singular::Seg;

/// How an indefinite path runs.
#[derive(Debug, Clone)]
pub(crate) struct General {
    pub(crate) stages: Vec<Stage>,
    /// The whole path as RFC 9535 text (what [`JsonPath::rfc9535`](crate::JsonPath::rfc9535)
    /// shows).
    pub(crate) rfc: Box<str>,
    /// Whether the path (or a filter in it) uses `..`, or filters objects (which clones
    /// them); the document depth is then checked first, because jsonpath-rust's descent and
    /// serde_json's `clone` are recursive.
    pub(crate) check_depth: bool,
}

/// One stage; each maps every node from the previous stage to a list, in order.
#[derive(Debug, Clone)]
pub(crate) enum Stage {
    /// Names and single indexes between filters: the zero-allocation walker (same
    /// semantics as jsonpath-rust there, see the property tests).
    Walk(Box<[Seg]>),
    /// A jsonpath-rust query run with the node as its root.
    Query(JpQuery),
    /// A filter with Jayway's semantics: on an array, the elements that pass (the
    /// jsonpath-rust query `$[?…]`); on an object, the object itself if it passes; nothing
    /// on anything else.
    Filter(JpQuery),
}

fn run_one<'v>(q: &JpQuery, root: &'v Value) -> Result<Vec<&'v Value>, String> {
    jsonpath_rust::query::js_path_process(q, root)
        .map(|refs| refs.into_iter().map(|r| r.val).collect())
        .map_err(|e| e.to_string())
}

impl General {
    /// Runs the stages; results in document order.
    pub(crate) fn run<'v>(&self, doc: &'v Value) -> Result<Vec<&'v Value>, String> {
        let mut nodes = vec![doc];
        for stage in &self.stages {
            let mut next = Vec::new();
            for n in nodes {
                match stage {
                    Stage::Walk(segs) => next.extend(crate::singular::walk(segs, n)),
                    Stage::Query(q) => next.extend(run_one(q, n)?),
                    Stage::Filter(q) => match n {
                        Value::Array(_) => next.extend(run_one(q, n)?),
                        Value::Object(_) => {
                            // Jayway tests the object itself: run the filter over a
                            // one-element array holding a copy.
                            let wrapped = Value::Array(vec![n.clone()]);
                            if !run_one(q, &wrapped)?.is_empty() {
                                next.push(n);
                            }
                        }
                        _ => {}
                    },
                }
            }
            nodes = next;
        }
        Ok(nodes)
    }
}

/// A stage before its queries are parsed by jsonpath-rust.
pub(crate) enum Planned {
    Walk(Vec<Seg>),
    Query(String),
    Filter(String),
}

/// Splits `path` into stages: filters run as [`Stage::Filter`] unless one refers to the
/// document root `$` (its `$` would see the stage's node, so such paths run as one
/// jsonpath-rust query, with RFC 9535's filter-on-object semantics).
///
/// A union (`[0,1]`, `['a','b']`) after an indefinite step also starts a new stage, so it
/// runs once per node: jsonpath-rust applies a union's selectors one after the other to
/// all nodes (`A[0], B[0], A[1], B[1]`), Jayway node by node (`A[0], A[1], B[0], B[1]`).
pub(crate) fn plan(path: &Path) -> Result<Vec<Planned>, Unsupported> {
    let has_filter = path.steps.iter().any(|s| matches!(s.step, Step::Filter(_)));
    let late_union = |i: usize| {
        matches!(path.steps[i].step, Step::Names(_) | Step::Indexes(_))
            && path.steps[..i].iter().any(|s| !s.step.is_definite())
    };
    let has_late_union = (0..path.steps.len()).any(late_union);
    let mut out = Vec::new();
    if !(has_filter || has_late_union) || filters_refer_to_root(path) {
        let mut q = String::new();
        translate(path, true, &mut q)?;
        out.push(Planned::Query(q));
        return Ok(out);
    }
    let flush = |chunk: &mut Vec<Spanned>, out: &mut Vec<Planned>| {
        if chunk.is_empty() {
            return Ok(());
        }
        let steps = std::mem::take(chunk);
        let segs: Vec<Seg> = steps.iter().map_while(|s| crate::to_seg(&s.step)).collect();
        if segs.len() == steps.len() {
            out.push(Planned::Walk(segs));
            return Ok(());
        }
        let mut q = String::new();
        translate(
            &Path {
                root: Root::Doc,
                steps,
            },
            true,
            &mut q,
        )?;
        out.push(Planned::Query(q));
        Ok::<(), Unsupported>(())
    };
    let mut chunk: Vec<Spanned> = Vec::new();
    for (i, s) in path.steps.iter().enumerate() {
        if late_union(i) {
            flush(&mut chunk, &mut out)?;
        }
        if let Step::Filter(e) = &s.step {
            flush(&mut chunk, &mut out)?;
            let mut q = String::from("$[?");
            expr(e, &mut q)?;
            q.push(']');
            out.push(Planned::Filter(q));
        } else {
            chunk.push(s.clone());
        }
    }
    flush(&mut chunk, &mut out)?;
    Ok(out)
}

/// Whether a filter of `path` (at any depth) uses a `$`-rooted path.
pub(crate) fn filters_refer_to_root(path: &Path) -> bool {
    path.steps.iter().any(|s| match &s.step {
        Step::Filter(e) => expr_refs_root(e),
        _ => false,
    })
}

fn expr_refs_root(e: &Expr) -> bool {
    let path_refs_root = |p: &Path| {
        p.root == Root::Doc
            || p.steps.iter().any(|s| match &s.step {
                Step::Filter(inner) => expr_refs_root(inner),
                _ => false,
            })
    };
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().any(expr_refs_root),
        Expr::Not(inner) => expr_refs_root(inner),
        Expr::Exists(p, _) => path_refs_root(p),
        Expr::Cmp { left, right, .. } => [left, right]
            .into_iter()
            .any(|o| matches!(o, Operand::Path(p, _) if path_refs_root(p))),
    }
}

/// An unsupported construct found while translating: detail and byte offset.
pub(crate) type Unsupported = (String, usize);

/// Writes `path` as RFC 9535 text (jsonpath-rust's grammar).
pub(crate) fn translate(path: &Path, top_level: bool, out: &mut String) -> Result<(), Unsupported> {
    out.push(match (path.root, top_level) {
        // At top level Jayway evaluates an '@'-rooted path against the document.
        (Root::Doc, _) | (Root::Current, true) => '$',
        (Root::Current, false) => '@',
    });
    for s in &path.steps {
        match &s.step {
            Step::Name(n) => {
                out.push('[');
                quote(n, out);
                out.push(']');
            }
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Step::Names(ns) => {
                out.push('[');
                for (k, n) in ns.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    quote(n, out);
                }
                out.push(']');
            }
            Step::Indexes(is) => {
                out.push('[');
                for (k, i) in is.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{i}");
                }
                out.push(']');
            }
            Step::Slice { from, to } => {
                out.push('[');
                if let Some(f) = from {
                    let _ = write!(out, "{f}");
                }
                out.push(':');
                if let Some(t) = to {
                    let _ = write!(out, "{t}");
                }
                out.push(']');
            }
            Step::Wildcard => out.push_str("[*]"),
            Step::Scan => out.push_str(".."),
            Step::Filter(e) => {
                out.push_str("[?");
                expr(e, out)?;
                out.push(']');
            }
            Step::Length => {
                return Err((
                    "length()/size() after an indefinite path is not supported".into(),
                    s.offset,
                ));
            }
        }
    }
    Ok(())
}

fn expr(e: &Expr, out: &mut String) -> Result<(), Unsupported> {
    match e {
        Expr::Or(items) | Expr::And(items) => {
            let op = if matches!(e, Expr::Or(_)) {
                " || "
            } else {
                " && "
            };
            out.push('(');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(op);
                }
                expr(item, out)?;
            }
            out.push(')');
        }
        Expr::Not(inner) => {
            out.push_str("!(");
            expr(inner, out)?;
            out.push(')');
        }
        Expr::Exists(p, _) => {
            out.push('(');
            translate(p, false, out)?;
            out.push(')');
        }
        Expr::Cmp { left, op, right } => {
            let coerced = match op {
                CmpOp::Eq | CmpOp::Ne => coercion(left, right),
                _ => None,
            };
            match coerced {
                None => {
                    out.push('(');
                    operand(left, out)?;
                    let _ = write!(out, " {} ", op.as_str());
                    operand(right, out)?;
                    out.push(')');
                }
                // Jayway's `==` between a number and a string converts one to the other
                // (ValueNodes.NumberNode/StringNode.equals); RFC 9535 never does. Emit
                // `(P == lit || P == converted)`, negated for `!=`.
                Some((path, alt)) => {
                    if *op == CmpOp::Ne {
                        out.push('!');
                    }
                    out.push_str("((");
                    operand(left, out)?;
                    out.push_str(" == ");
                    operand(right, out)?;
                    out.push_str(") || (");
                    operand(path, out)?;
                    out.push_str(" == ");
                    out.push_str(&alt);
                    out.push_str("))");
                }
            }
        }
    }
    Ok(())
}

fn operand(o: &Operand, out: &mut String) -> Result<(), Unsupported> {
    match o {
        Operand::Path(p, at) => {
            if let Some(s) = p
                .steps
                .iter()
                .find(|s| !matches!(s.step, Step::Name(_) | Step::Index(_)))
            {
                return Err((
                    "only names and single indexes are supported in a compared path".into(),
                    s.offset.max(*at),
                ));
            }
            translate(p, false, out)?;
        }
        Operand::Str(s) => quote(s, out),
        Operand::Int(n) if n.unsigned_abs() < (1 << 53) => {
            let _ = write!(out, "{n}");
        }
        // Outside RFC 9535's exact integer range: compare as a double, like Jayway's
        // BigDecimal would for any value a JSON document can hold exactly.
        Operand::Int(n) => {
            let _ = write!(out, "{:e}", *n as f64);
        }
        Operand::Float(f, _) => {
            let _ = write!(out, "{f:e}");
        }
        Operand::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Operand::Null => out.push_str("null"),
    }
    Ok(())
}

/// For `path == literal` (either order) with a string or number literal: the path operand
/// and the RFC 9535 text of the literal converted the way Jayway converts it.
///
/// - A number literal N also equals a string whose text is `BigDecimal(N).toString()`
///   (only plain decimals are converted; scientific notation is left alone).
/// - A string literal S that Java's `BigDecimal` can parse also equals any number
///   numerically equal to it.
///
/// Jayway's conversion is asymmetric (with the literal on the left it converts the
/// document's number with Java's `toString`); both orders are treated like the
/// path-on-the-left case here.
fn coercion<'a>(left: &'a Operand, right: &'a Operand) -> Option<(&'a Operand, String)> {
    let (path, lit) = match (left, right) {
        (p @ Operand::Path(..), l) | (l, p @ Operand::Path(..)) => (p, l),
        _ => return None,
    };
    match lit {
        Operand::Int(n) => {
            let mut q = String::new();
            quote(&n.to_string(), &mut q);
            Some((path, q))
        }
        Operand::Float(_, text) => {
            let plain = bigdecimal_plain_string(text)?;
            let mut q = String::new();
            quote(&plain, &mut q);
            Some((path, q))
        }
        Operand::Str(s) => {
            let f = java_bigdecimal(s)?;
            let mut out = String::new();
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                let _ = write!(out, "{}", f as i64);
            } else {
                let _ = write!(out, "{f:e}");
            }
            Some((path, out))
        }
        _ => None,
    }
}

/// `new BigDecimal(text).toString()` for a literal without an exponent, when Java prints
/// it without scientific notation (adjusted exponent >= -6); `None` otherwise.
fn bigdecimal_plain_string(text: &str) -> Option<String> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.contains(['e', 'E']) {
        return None;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let unscaled = format!("{int}{frac}");
    let significant = unscaled.trim_start_matches('0');
    let precision = significant.len().max(1);
    let adjusted = precision as i64 - 1 - frac.len() as i64;
    if adjusted < -6 {
        return None;
    }
    let mut out = String::new();
    if neg && !significant.is_empty() {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// The value of `new BigDecimal(s)` as an `f64`, if Java would parse it.
fn java_bigdecimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // Rust's float parser takes the same shapes, except a leading '+' and "1." / ".5",
    // which it accepts too.
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A single-quoted RFC 9535 string literal.
fn quote(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Whether the path uses `..` anywhere, filters included.
pub(crate) fn uses_scan(path: &Path) -> bool {
    path.steps.iter().any(|s| match &s.step {
        Step::Scan => true,
        Step::Filter(e) => expr_scans(e),
        _ => false,
    })
}

fn expr_scans(e: &Expr) -> bool {
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().any(expr_scans),
        Expr::Not(inner) => expr_scans(inner),
        Expr::Exists(p, _) => uses_scan(p),
        Expr::Cmp { left, right, .. } => [left, right]
            .into_iter()
            .any(|o| matches!(o, Operand::Path(p, _) if uses_scan(p))),
    }
}

/// Whether `doc` nests more than `limit` arrays/objects (a scalar has depth 0, `[]` 1,
/// `[[1]]` 2). Iterative; stops at the first container past the limit.
pub(crate) fn depth_exceeds(doc: &Value, limit: usize) -> bool {
    fn children(v: &Value) -> Option<Box<dyn Iterator<Item = &Value> + '_>> {
        match v {
            Value::Array(items) => Some(Box::new(items.iter())),
            Value::Object(map) => Some(Box::new(map.values())),
            _ => None,
        }
    }
    let mut stack: Vec<(&Value, usize)> = Vec::new();
    if children(doc).is_some() {
        stack.push((doc, 1));
    }
    while let Some((v, d)) = stack.pop() {
        if d > limit {
            return true;
        }
        if let Some(kids) = children(v) {
            stack.extend(
                kids.filter(|c| c.is_array() || c.is_object())
                    .map(|c| (c, d + 1)),
            );
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::depth_exceeds;
    use serde_json::json;

    #[test]
    fn bigdecimal_strings() {
        use super::{bigdecimal_plain_string as b, java_bigdecimal as j};
        assert_eq!(b("1.50").as_deref(), Some("1.50"));
        assert_eq!(b("-0.0").as_deref(), Some("0.0"));
        assert_eq!(b("007.5").as_deref(), Some("7.5"));
        assert_eq!(b("-2.25").as_deref(), Some("-2.25"));
        assert_eq!(b("0.000001").as_deref(), Some("0.000001"));
        assert_eq!(b("0.0000001"), None);
        assert_eq!(b("1e3"), None);
        assert_eq!(j("1"), Some(1.0));
        assert_eq!(j("+1.5"), Some(1.5));
        assert_eq!(j(".5"), Some(0.5));
        assert_eq!(j("1."), Some(1.0));
        assert_eq!(j("-2E2"), Some(-200.0));
        for bad in [
            "", "+", ".", "1e", " 1", "1 ", "0x10", "NaN", "inf", "1_0", "e5",
        ] {
            assert_eq!(j(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn depth_counts_containers() {
        assert!(!depth_exceeds(&json!(1), 0));
        assert!(depth_exceeds(&json!([]), 0));
        assert!(!depth_exceeds(&json!([]), 1));
        assert!(!depth_exceeds(&json!({"a": [1, {"b": 2}]}), 3));
        assert!(depth_exceeds(&json!({"a": [1, {"b": 2}]}), 2));
        assert!(depth_exceeds(&json!([[], [[[]]]]), 3));
    }
}
