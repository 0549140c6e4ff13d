//! Indefinite paths: translated to RFC 9535 text and run on jsonpath-rust.

use std::fmt::Write as _;

use jsonpath_rust::parser::model::JpQuery;
use serde_json::Value;

use crate::parse::{Expr, Operand, Path, Root, Step};

/// A pre-parsed jsonpath-rust query and the RFC 9535 text it came from.
#[derive(Debug, Clone)]
pub(crate) struct General {
    pub(crate) query: JpQuery,
    pub(crate) rfc: Box<str>,
    /// Whether the path (or a filter in it) uses `..`; the document depth is then checked
    /// before running, because jsonpath-rust's descent is recursive.
    pub(crate) scans: bool,
}

impl General {
    /// Runs the query; results in the engine's (document) order.
    pub(crate) fn run<'v>(&self, doc: &'v Value) -> Result<Vec<&'v Value>, String> {
        jsonpath_rust::query::js_path_process(&self.query, doc)
            .map(|refs| refs.into_iter().map(|r| r.val).collect())
            .map_err(|e| e.to_string())
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
            out.push('(');
            operand(left, out)?;
            let _ = write!(out, " {} ", op.as_str());
            operand(right, out)?;
            out.push(')');
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
        Operand::Float(f) => {
            let _ = write!(out, "{f:e}");
        }
        Operand::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Operand::Null => out.push_str("null"),
    }
    Ok(())
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
    fn depth_counts_containers() {
        assert!(!depth_exceeds(&json!(1), 0));
        assert!(depth_exceeds(&json!([]), 0));
        assert!(!depth_exceeds(&json!([]), 1));
        assert!(!depth_exceeds(&json!({"a": [1, {"b": 2}]}), 3));
        assert!(depth_exceeds(&json!({"a": [1, {"b": 2}]}), 2));
        assert!(depth_exceeds(&json!([[], [[[]]]]), 3));
    }
}
