//! Typed request ids ([`ContextId`]) and how they combine with the `$context` map
//! ([`RequestContext::request_id`], [`RequestContext::extended_request_id`]).

use std::borrow::Cow;
use std::fmt;

use arrayvec::ArrayString;
use serde_json::{Map, Value};

use crate::RequestContext;

/// A `$context` id (`requestId`, `extendedRequestId`): a string kept inside the value (no heap
/// allocation) when it has at most [`ContextId::INLINE_CAPACITY`] bytes, as API Gateway's ids
/// do (36 and 16 bytes); a longer one is kept on the heap. Reading it ([`ContextId::as_str`])
/// costs no UTF-8 check: the inline bytes are an [`arrayvec::ArrayString`], valid UTF-8 by
/// construction.
///
/// # Example
/// ```
/// use apigw_mapping::ContextId;
/// let id = ContextId::new("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
/// assert_eq!(id.as_str(), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
/// assert!(id.is_inline());
/// assert_eq!(id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
/// assert!(!ContextId::new(&"x".repeat(100)).is_inline());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContextId(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// At most [`ContextId::INLINE_CAPACITY`] bytes.
    Inline(ArrayString<{ ContextId::INLINE_CAPACITY }>),
    Heap(Box<str>),
}

impl ContextId {
    /// The longest id (in bytes) kept without a heap allocation.
    pub const INLINE_CAPACITY: usize = 40;

    /// The id `id` (inline when it fits, else on the heap).
    ///
    /// # Example
    /// ```
    /// let id = apigw_mapping::ContextId::new("Ab3dEf6hIj9lMn0=");
    /// assert_eq!(id.len(), 16);
    /// ```
    pub fn new(id: &str) -> ContextId {
        match ArrayString::from(id) {
            Ok(inline) => ContextId(Repr::Inline(inline)),
            Err(_) => ContextId(Repr::Heap(id.into())),
        }
    }

    /// The id (no check or copy: a slice of the value or of its heap string).
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(s) => s.as_str(),
            Repr::Heap(s) => s,
        }
    }

    /// Whether the id is kept inside the value (it has at most
    /// [`ContextId::INLINE_CAPACITY`] bytes).
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl std::ops::Deref for ContextId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ContextId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for ContextId {
    fn from(id: &str) -> ContextId {
        ContextId::new(id)
    }
}

impl PartialEq<str> for ContextId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ContextId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A top-level field of `$context` as the mapping reads it: from the map, or a typed id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ContextField<'a> {
    /// An entry of [`RequestContext::context`].
    Json(&'a Value),
    /// [`RequestContext::request_id`] or [`RequestContext::extended_request_id`].
    Id(&'a str),
}

impl ContextField<'_> {
    /// The field as a template value.
    pub(crate) fn to_vtl(self) -> apigw_vtl::Value {
        match self {
            ContextField::Json(v) => crate::render::to_vtl(v),
            ContextField::Id(s) => apigw_vtl::Value::string(s),
        }
    }
}

/// The names of the typed ids in `$context`.
const REQUEST_ID: &str = "requestId";
const EXTENDED_REQUEST_ID: &str = "extendedRequestId";

impl RequestContext {
    /// The typed id named `name` (`requestId`, `extendedRequestId`), when set (no name is
    /// compared when none is).
    pub(crate) fn typed_id(&self, name: &str) -> Option<&str> {
        if !self.has_typed_ids() {
            return None;
        }
        match name {
            REQUEST_ID => self.request_id.as_deref(),
            EXTENDED_REQUEST_ID => self.extended_request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether a typed id is set.
    fn has_typed_ids(&self) -> bool {
        self.request_id.is_some() || self.extended_request_id.is_some()
    }

    /// The top-level field `name` of `$context`: a typed id when set, else the map's entry.
    pub(crate) fn context_field(&self, name: &str) -> Option<ContextField<'_>> {
        match self.typed_id(name) {
            Some(id) => Some(ContextField::Id(id)),
            None => self.context.get(name).map(ContextField::Json),
        }
    }

    /// The top-level fields of `$context`, in order: the map's entries (an entry that a
    /// typed id replaces keeps its place), then the typed ids the map has no entry for
    /// (`requestId` first).
    pub(crate) fn context_fields(&self) -> impl Iterator<Item = (&str, ContextField<'_>)> {
        let map = self.context.iter().map(move |(k, v)| {
            let field = match self.typed_id(k) {
                Some(id) => ContextField::Id(id),
                None => ContextField::Json(v),
            };
            (k.as_str(), field)
        });
        let appended = [
            (REQUEST_ID, self.request_id.as_deref()),
            (EXTENDED_REQUEST_ID, self.extended_request_id.as_deref()),
        ]
        .into_iter()
        .filter_map(move |(name, id)| {
            id.filter(|_| !self.context.contains_key(name))
                .map(|id| (name, ContextField::Id(id)))
        });
        map.chain(appended)
    }

    /// `$context` as one JSON object: [`RequestContext::context`] with the typed ids put in as
    /// [`Map::insert`] would (an entry of the same name keeps its place and takes the typed
    /// value; otherwise the ids follow the map's entries, `requestId` first). Borrowed when no
    /// typed id is set. What a template printing `$context` whole sees, and what a host
    /// passes on as a whole (for example a Lambda proxy event's `requestContext`).
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{ContextId, RequestContext};
    /// let mut request = RequestContext::default();
    /// request.context.insert("stage".into(), "prod".into());
    /// request.request_id = Some(ContextId::new("r-1"));
    /// let context = request.context_map();
    /// let keys: Vec<&str> = context.keys().map(String::as_str).collect();
    /// assert_eq!(keys, ["stage", "requestId"]);
    /// assert_eq!(context["requestId"], "r-1");
    /// ```
    pub fn context_map(&self) -> Cow<'_, Map<String, Value>> {
        if !self.has_typed_ids() {
            return Cow::Borrowed(&self.context);
        }
        // The same fields, in the same order, as a template reading `$context` sees them.
        let map = self
            .context_fields()
            .map(|(name, field)| {
                let value = match field {
                    ContextField::Json(v) => v.clone(),
                    ContextField::Id(id) => Value::from(id),
                };
                (name.to_owned(), value)
            })
            .collect();
        Cow::Owned(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_capacity() {
        for len in [0, 1, 16, 36, ContextId::INLINE_CAPACITY] {
            let s = "é".repeat(len / 2) + &"a".repeat(len % 2);
            let id = ContextId::new(&s);
            assert!(id.is_inline(), "{len}");
            assert_eq!(id.as_str(), s);
        }
        let long = "b".repeat(ContextId::INLINE_CAPACITY + 1);
        let id = ContextId::new(&long);
        assert!(!id.is_inline());
        assert_eq!(id.as_str(), long);
        assert_eq!(ContextId::new("x"), ContextId::from("x"));
        assert_ne!(ContextId::new("x"), ContextId::new("y"));
        assert_eq!(
            format!("{:?} {}", ContextId::new("a\"b"), ContextId::new("c")),
            "\"a\\\"b\" c"
        );
        // Six words: the inline bytes, their length and the variant.
        assert_eq!(std::mem::size_of::<ContextId>(), 48);
        // A clone is the same id (inline or not).
        for s in ["r".to_owned(), long] {
            let id = ContextId::new(&s);
            assert_eq!(id.clone(), id);
            assert_eq!(id.clone().as_str(), s);
        }
    }

    /// An id whose last character would cross the inline capacity is kept whole on the
    /// heap; equal ids are equal (and hash alike) however long.
    #[test]
    fn multibyte_ids_at_the_capacity_and_equality() {
        use std::collections::HashSet;
        let cap = ContextId::INLINE_CAPACITY;
        // 39 ASCII bytes and one 2-byte character: 41 bytes.
        let over = "a".repeat(cap - 1) + "é";
        let id = ContextId::new(&over);
        assert!(!id.is_inline());
        assert_eq!(id.as_str(), over);
        let at = "a".repeat(cap - 2) + "é";
        assert!(ContextId::new(&at).is_inline());
        assert_eq!(ContextId::new(&at).as_str(), at);
        let ids: HashSet<ContextId> = [&at, &over, &at, &over]
            .into_iter()
            .map(|s| ContextId::new(s))
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&ContextId::new(&at)));
        assert_eq!(&*ContextId::new("r-1"), "r-1");
        assert_eq!(ContextId::new("").as_str(), "");
    }

    #[test]
    fn fields_in_order_with_precedence() {
        let mut r = RequestContext::default();
        r.context.insert("a".into(), 1.into());
        r.context.insert("extendedRequestId".into(), "map-e".into());
        r.context.insert("z".into(), 2.into());
        let names = |r: &RequestContext| -> Vec<String> {
            r.context_fields()
                .map(|(k, f)| match f {
                    ContextField::Json(v) => format!("{k}={v}"),
                    ContextField::Id(s) => format!("{k}:{s}"),
                })
                .collect()
        };
        assert_eq!(names(&r), ["a=1", "extendedRequestId=\"map-e\"", "z=2"]);
        assert!(matches!(r.context_map(), Cow::Borrowed(_)));
        r.request_id = Some("r-1".into());
        r.extended_request_id = Some("e-1".into());
        assert_eq!(
            names(&r),
            ["a=1", "extendedRequestId:e-1", "z=2", "requestId:r-1"]
        );
        let m = r.context_map();
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "extendedRequestId", "z", "requestId"]);
        assert_eq!(m["extendedRequestId"], "e-1");
        assert!(matches!(
            r.context_field("requestId"),
            Some(ContextField::Id("r-1"))
        ));
        assert!(matches!(
            r.context_field("a"),
            Some(ContextField::Json(Value::Number(_)))
        ));
        let mut only = RequestContext {
            extended_request_id: Some("e".into()),
            ..RequestContext::default()
        };
        only.request_id = Some("r".into());
        assert_eq!(names(&only), ["requestId:r", "extendedRequestId:e"]);
    }
}
