//! The zero-allocation walker for definite paths (names and single indexes only).

use std::borrow::Cow;

use serde_json::{Map, Value};

/// One definite step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// An object member.
    Key(Box<str>),
    /// An array element; negative counts from the end (Jayway: `length + index`).
    Index(i32),
}

/// Follows `segs` from `v`. No allocation, no recursion.
///
/// Jayway semantics for a definite path: a missing member, an index out of range, a
/// member step on a non-object or an index step on a non-array all mean "no result"
/// (Jayway throws `PathNotFoundException`, which API Gateway renders as nothing).
#[inline]
pub(crate) fn walk<'v>(segs: &[Seg], mut v: &'v Value) -> Option<&'v Value> {
    for seg in segs {
        v = step(seg, v)?;
    }
    Some(v)
}

/// One step from `v`, or `None`.
#[inline]
fn step<'v>(seg: &Seg, v: &'v Value) -> Option<&'v Value> {
    match (seg, v) {
        (Seg::Key(k), Value::Object(map)) => member(map, k),
        (Seg::Index(i), Value::Array(items)) => items.get(resolve(*i, items.len())?),
        _ => None,
    }
}

/// Like [`walk`], but a step that meets a string holding a JSON object or array parses
/// it and continues inside (API Gateway's Lambda custom-error behaviour for
/// `integration.response.body.errorMessage.errorType`). The final value is never parsed.
pub(crate) fn walk_parsing_strings<'v>(segs: &[Seg], doc: &'v Value) -> Option<Cow<'v, Value>> {
    let mut i = 0;
    let mut v = doc;
    while i < segs.len() {
        match step(&segs[i], v) {
            Some(next) => {
                v = next;
                i += 1;
            }
            None => break,
        }
    }
    if i == segs.len() {
        return Some(Cow::Borrowed(v));
    }
    let mut owned = parse_container(v)?;
    loop {
        let mut cur = &owned;
        while i < segs.len() {
            match step(&segs[i], cur) {
                Some(next) => {
                    cur = next;
                    i += 1;
                }
                None => break,
            }
        }
        if i == segs.len() {
            return Some(Cow::Owned(cur.clone()));
        }
        owned = parse_container(cur)?;
    }
}

/// A JSON string whose text is a JSON object or array, parsed (serde_json's own depth
/// limit of 128 applies).
fn parse_container(v: &Value) -> Option<Value> {
    let Value::String(text) = v else {
        return None;
    };
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|p| p.is_object() || p.is_array())
}

/// Below this many members a linear scan over the (insertion-ordered, contiguous) entries
/// beats hashing the key with the map's SipHash.
const LINEAR_SCAN_MAX: usize = 8;

/// `map.get(key)`, without hashing for small objects (keys are unique, so both find the
/// same entry).
#[inline]
fn member<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= LINEAR_SCAN_MAX {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// Jayway's `effectiveIndex`: `index < 0 ? length + index : index`; `None` if still negative.
#[inline]
pub(crate) fn resolve(index: i32, len: usize) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok()
    } else {
        let back = usize::try_from(index.unsigned_abs()).ok()?;
        len.checked_sub(back)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_small_and_large_objects() {
        for n in [0, 1, LINEAR_SCAN_MAX, LINEAR_SCAN_MAX + 1, 40] {
            let mut m = Map::new();
            for i in 0..n {
                m.insert(format!("k{i}"), Value::from(i));
            }
            for i in 0..n {
                assert_eq!(member(&m, &format!("k{i}")), Some(&Value::from(i)));
            }
            assert_eq!(member(&m, "missing"), None);
            assert_eq!(member(&m, ""), None);
        }
    }

    #[test]
    fn resolve_negative_and_out_of_range() {
        assert_eq!(resolve(0, 0), Some(0));
        assert_eq!(resolve(-1, 3), Some(2));
        assert_eq!(resolve(-3, 3), Some(0));
        assert_eq!(resolve(-4, 3), None);
        assert_eq!(resolve(i32::MIN, 3), None);
        assert_eq!(resolve(i32::MAX, 3), Some(i32::MAX as usize));
    }
}
