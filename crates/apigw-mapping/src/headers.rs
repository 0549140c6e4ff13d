//! Final header assembly (SPEC §3.8, §7.3).

use http::header::{CONNECTION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

/// Names that API Gateway owns: a mapped or overridden header with one of these names is
/// renamed `x-amzn-Remapped-<Name>` (SPEC §3.8 step 4).
const REMAPPED: [&str; 14] = [
    "authorization",
    "connection",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "trailer",
    "upgrade",
    "user-agent",
    "www-authenticate",
];

/// Names that are dropped entirely.
const DROPPED: [&str; 1] = ["transfer-encoding"];

/// What a mapped or overridden header becomes once API Gateway's reserved names are applied.
#[derive(Debug)]
pub(crate) enum Placement {
    /// Kept under its own name.
    Keep(HeaderName),
    /// Renamed to `x-amzn-Remapped-<Name>`.
    Remapped(HeaderName),
    /// Dropped.
    Drop,
}

/// Decides, once at compile time for mapped headers, where a header name ends up.
pub(crate) fn placement(name: &str) -> Option<Placement> {
    let lower = name.to_ascii_lowercase();
    if DROPPED.contains(&lower.as_str()) {
        return Some(Placement::Drop);
    }
    if REMAPPED.contains(&lower.as_str()) {
        let renamed = format!("x-amzn-Remapped-{name}");
        return HeaderName::from_bytes(renamed.as_bytes())
            .ok()
            .map(Placement::Remapped);
    }
    HeaderName::from_bytes(name.as_bytes())
        .ok()
        .map(Placement::Keep)
}

/// Headers being assembled for one response, in the order of SPEC §3.8.
#[derive(Debug, Default)]
pub(crate) struct Assembly {
    pub(crate) map: HeaderMap,
}

impl Assembly {
    /// Step 1: a mapped `responseParameters` header (already placed at compile time).
    pub(crate) fn mapped(&mut self, name: &Placement, value: HeaderValue) {
        match name {
            Placement::Keep(n) | Placement::Remapped(n) => {
                self.map.insert(n.clone(), value);
            }
            Placement::Drop => {}
        }
    }

    /// Step 2: a `$context.responseOverride.header.NAME` value replaces a same-named header.
    pub(crate) fn overridden(&mut self, name: &str, value: HeaderValue) {
        if let Some(p) = placement(name) {
            self.mapped(&p, value);
        }
    }

    /// Step 3: the default `Content-Type`.
    pub(crate) fn default_content_type(&mut self) {
        // One hash and probe, whether the header is there or not.
        self.map
            .entry(CONTENT_TYPE)
            .or_insert_with(|| HeaderValue::from_static("application/json"));
    }
}

/// Adds `Connection: keep-alive` unless the map has a `Connection` header (only a proxy
/// integration's backend can give it one: a mapped `Connection` is remapped).
pub(crate) fn add_keep_alive(map: &mut HeaderMap) {
    map.entry(CONNECTION)
        .or_insert_with(|| HeaderValue::from_static("keep-alive"));
}

/// Most mapped headers a [`Layout`] takes (more: the headers are inserted one by one).
const MAX_LAID_OUT: usize = 8;

/// A response's headers laid out once at compile time: its mapped headers (one per
/// `responseParameters` entry that is not dropped), the default `Content-Type` unless a
/// parameter maps it, API Gateway's own headers, in the order of SPEC §3.8, and the
/// transport's `Connection: keep-alive` when asked for, in prototype maps with placeholder
/// values. A response whose every mapped header has a value and that no
/// `responseOverride` header touches clones the prototype and writes the values in place:
/// no hashing or probing per header (a `HeaderMap` insert costs more than the copy).
#[derive(Debug)]
pub(crate) struct Layout {
    /// By which of API Gateway's optional ids the request has and whether `Connection:
    /// keep-alive` ends the headers: index `request id present + 2 × extended request id
    /// present + 4 × keep-alive`.
    prototypes: [HeaderMap; 8],
    /// Each parameter's slot among the mapped headers (`None`: its header is dropped).
    slots: Box<[Option<u8>]>,
    /// The mapped headers' names, by slot (for the header-by-header fallback).
    names: Box<[HeaderName]>,
    /// Whether the default `Content-Type` follows the mapped headers (no parameter maps it).
    default_content_type: bool,
    /// Whether API Gateway's trace id header follows the ids (HTTP, AWS and Lambda).
    with_trace: bool,
}

impl Layout {
    /// The layout of `params`' headers, or `None` when one is not possible: more than
    /// [`MAX_LAID_OUT`] mapped headers, two parameters naming the same header, or a mapped
    /// header named as one of API Gateway's own (the insert order decides those cases).
    pub(crate) fn of(params: &[crate::params::Parameter], with_trace: bool) -> Option<Layout> {
        let mut slots = Vec::with_capacity(params.len());
        let mut names: Vec<HeaderName> = Vec::new();
        for p in params {
            match &p.placement {
                Placement::Keep(n) | Placement::Remapped(n) => {
                    if names.contains(n) || crate::GATEWAY_HEADER_NAMES.contains(n) {
                        return None;
                    }
                    slots.push(Some(u8::try_from(names.len()).ok()?));
                    names.push(n.clone());
                }
                Placement::Drop => slots.push(None),
            }
        }
        if names.len() > MAX_LAID_OUT {
            return None;
        }
        let prototype = |request_id: bool, apigw_id: bool, keep_alive: bool| {
            let placeholder = HeaderValue::from_static("");
            let mut map = HeaderMap::with_capacity(names.len() + 5);
            for n in &names {
                map.insert(n.clone(), placeholder.clone());
            }
            if !map.contains_key(CONTENT_TYPE) {
                map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            for (name, present) in crate::GATEWAY_HEADER_NAMES
                .iter()
                .zip([request_id, apigw_id, with_trace])
            {
                if present {
                    map.insert(name.clone(), placeholder.clone());
                }
            }
            if keep_alive {
                // Keeps its value.
                map.insert(CONNECTION, HeaderValue::from_static("keep-alive"));
            }
            map
        };
        Some(Layout {
            prototypes: std::array::from_fn(|i| prototype(i & 1 != 0, i & 2 != 0, i & 4 != 0)),
            slots: slots.into_boxed_slice(),
            default_content_type: !names.contains(&CONTENT_TYPE),
            names: names.into_boxed_slice(),
            with_trace,
        })
    }
}

/// The headers of one response while its parameters are evaluated: collected by slot while
/// the [`Layout`] may apply, otherwise assembled header by header ([`Assembly`]).
#[derive(Debug)]
pub(crate) struct LaidOut<'l> {
    assembly: Assembly,
    /// The layout and the values collected for its slots, while it applies.
    laid: Option<(&'l Layout, [Option<HeaderValue>; MAX_LAID_OUT])>,
}

impl<'l> LaidOut<'l> {
    /// Headers into `map` (empty; a map with capacity is reused header by header rather than
    /// replaced by a prototype), following `layout` when there is one.
    pub(crate) fn new(map: HeaderMap, layout: Option<&'l Layout>) -> LaidOut<'l> {
        let laid = layout
            .filter(|_| map.capacity() == 0)
            .map(|l| (l, Default::default()));
        LaidOut {
            assembly: Assembly { map },
            laid,
        }
    }

    /// Step 1: the mapped header of parameter `index` (of the parameters the layout was made
    /// from), placed at compile time.
    pub(crate) fn mapped(&mut self, index: usize, name: &Placement, value: HeaderValue) {
        match &mut self.laid {
            Some((layout, values)) => {
                if let Some(Some(slot)) = layout.slots.get(index) {
                    values[usize::from(*slot)] = Some(value);
                }
            }
            None => self.assembly.mapped(name, value),
        }
    }

    /// Leaves the layout: the values collected so far go into the map in slot order.
    fn unlay(&mut self) {
        if let Some((layout, values)) = self.laid.take() {
            for (name, value) in layout.names.iter().zip(values) {
                if let Some(v) = value {
                    self.assembly.map.insert(name.clone(), v);
                }
            }
        }
    }

    /// Step 2: a `$context.responseOverride.header.NAME` value (see [`Assembly::overridden`]).
    pub(crate) fn overridden(&mut self, name: &str, value: HeaderValue) {
        self.unlay();
        self.assembly.overridden(name, value);
    }

    /// Steps 3 and 4: the default `Content-Type`, then API Gateway's own headers (the trace
    /// id when `with_trace`), then `Connection: keep-alive` when `keep_alive`; the finished
    /// map.
    pub(crate) fn finish(
        mut self,
        gateway: &crate::GatewayHeaderValues,
        with_trace: bool,
        keep_alive: bool,
    ) -> HeaderMap {
        if let Some((layout, values)) = &mut self.laid
            && layout.with_trace == with_trace
            && values[..layout.names.len()].iter().all(Option::is_some)
            && (!with_trace || gateway.trace_id.is_some())
        {
            let which = usize::from(gateway.request_id.is_some())
                + 2 * usize::from(gateway.apigw_id.is_some())
                + 4 * usize::from(keep_alive);
            let mut map = layout.prototypes[which].clone();
            let mut slots = map.values_mut();
            let mapped = layout.names.len();
            for (value, slot) in values[..mapped].iter_mut().zip(slots.by_ref()) {
                if let Some(v) = value.take() {
                    *slot = v;
                }
            }
            if layout.default_content_type {
                // Keeps its value.
                slots.next();
            }
            let trace = if with_trace { &gateway.trace_id } else { &None };
            for value in [&gateway.request_id, &gateway.apigw_id, trace]
                .into_iter()
                .flatten()
            {
                if let Some(slot) = slots.next() {
                    *slot = value.clone();
                }
            }
            return map;
        }
        self.unlay();
        self.assembly.default_content_type();
        let mut map = self.assembly.map;
        gateway.insert_into(&mut map, with_trace);
        if keep_alive {
            add_keep_alive(&mut map);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names() {
        match placement("Date") {
            Some(Placement::Remapped(n)) => assert_eq!(n.as_str(), "x-amzn-remapped-date"),
            _ => panic!("Date must be remapped"),
        }
        assert!(matches!(
            placement("Transfer-Encoding"),
            Some(Placement::Drop)
        ));
        assert!(matches!(placement("Via"), Some(Placement::Keep(_))));
        assert!(placement("bad name").is_none());
    }
}
