//! The zero-allocation walker for definite paths (names and single indexes only).

use serde_json::Value;

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
        v = match (seg, v) {
            (Seg::Key(k), Value::Object(map)) => map.get(&**k)?,
            (Seg::Index(i), Value::Array(items)) => items.get(resolve(*i, items.len())?)?,
            _ => return None,
        };
    }
    Some(v)
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
    fn resolve_negative_and_out_of_range() {
        assert_eq!(resolve(0, 0), Some(0));
        assert_eq!(resolve(-1, 3), Some(2));
        assert_eq!(resolve(-3, 3), Some(0));
        assert_eq!(resolve(-4, 3), None);
        assert_eq!(resolve(i32::MIN, 3), None);
        assert_eq!(resolve(i32::MAX, 3), Some(i32::MAX as usize));
    }
}
