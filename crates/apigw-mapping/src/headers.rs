//! Final header assembly (SPEC §3.8, §7.3).

use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

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
