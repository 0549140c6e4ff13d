//! Choosing a mapping template by content type (SPEC §4.1) and the lenient `statusCode` read
//! of MOCK integrations (SPEC §2.5).

use std::sync::Arc;

use apigw_vtl::{NullRendering, Options, Template};
use serde_json::{Map, Value};

use crate::error::{CompileError, CompileErrorKind};

/// One template: its key as written and what it does.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) template: Mapping,
}

/// What a template entry does with the body.
#[derive(Debug, Clone)]
pub(crate) enum Mapping {
    /// An empty (`""`/`null`) template: the body passes through (SPEC §4.2).
    Passthrough,
    /// A compiled template.
    Render(Arc<Compiled>),
    /// A template that does not compile. API Gateway stores templates without checking them
    /// and fails at request time, so this is a 500 when selected (SPEC §4.4); the error is
    /// reported by `CompiledIntegration::warnings` at deployment.
    Invalid(Arc<str>),
}

/// A compiled template and what the mapping needs to know of it, worked out once.
#[derive(Debug)]
pub(crate) struct Compiled {
    template: Template,
    /// What the template may read of the request.
    pub(crate) reads: crate::render::Reads,
}

impl Compiled {
    pub(crate) fn new(template: Template) -> Compiled {
        Compiled {
            reads: crate::render::Reads::of(&template),
            template,
        }
    }
}

impl std::ops::Deref for Compiled {
    type Target = Template;

    fn deref(&self) -> &Template {
        &self.template
    }
}

/// How API Gateway runs Velocity: null and undefined references print as `""` (SPEC §5.1),
/// within `limits`.
fn vtl_options(limits: &apigw_vtl::Limits) -> Options {
    Options {
        null_rendering: NullRendering::Empty,
        limits: limits.clone(),
    }
}

/// The templates of one integration response (or of an integration's request side), keyed by
/// lower-cased MIME type.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateSet {
    /// Sorted by lower-cased key, so the first entry is the lexicographically first key.
    entries: Vec<(String, Entry)>,
}

impl TemplateSet {
    /// Validates and stores templates; `origin` names the owner for errors.
    pub(crate) fn compile(
        templates: Option<&Map<String, Value>>,
        origin: &str,
        warnings: &mut Vec<String>,
        limits: &apigw_vtl::Limits,
    ) -> Result<TemplateSet, CompileError> {
        let options = vtl_options(limits);
        let mut entries = Vec::new();
        for (key, value) in templates.into_iter().flatten() {
            if !is_content_type(key) {
                return Err(CompileError::new(
                    CompileErrorKind::InvalidTemplate,
                    origin,
                    format!("Invalid content type specified: {key}"),
                ));
            }
            let template = match value {
                Value::Null => Mapping::Passthrough,
                Value::String(s) if s.is_empty() => Mapping::Passthrough,
                Value::String(s) => match Template::compile(s, &options) {
                    Ok(t) => Mapping::Render(Arc::new(Compiled::new(t))),
                    Err(e) => {
                        warnings.push(format!("{origin}[{key:?}] does not compile: {e:#}"));
                        Mapping::Invalid(Arc::from(format!("{e:#}")))
                    }
                },
                other => {
                    return Err(CompileError::new(
                        CompileErrorKind::InvalidTemplate,
                        origin,
                        format!("template for {key} is not a string: {other}"),
                    ));
                }
            };
            entries.push((
                key.to_ascii_lowercase(),
                Entry {
                    key: key.clone(),
                    template,
                },
            ));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(TemplateSet { entries })
    }

    /// Chooses the template for a MIME type: exact match, else `application/json`, else the
    /// lexicographically first key (our stand-in for AWS's undefined "first", SPEC §4.1).
    /// `None` when no template is defined.
    pub(crate) fn choose(&self, mime: &str) -> Option<&Entry> {
        if self.entries.is_empty() {
            return None;
        }
        let find = |k: &str| {
            self.entries
                .binary_search_by(|(key, _)| key.as_str().cmp(k))
                .ok()
        };
        let mime = crate::content::trim_fast(mime);
        // Keys are lowercase: the type as sent usually is too, so try it before scanning it
        // for capitals.
        let exact = find(mime).or_else(|| {
            mime.bytes()
                .any(|b| b.is_ascii_uppercase())
                .then(|| find(&mime.to_ascii_lowercase()))
                .flatten()
        });
        let i = exact.or_else(|| find("application/json")).unwrap_or(0);
        Some(&self.entries[i].1)
    }

    /// The static analyses of the set's compiled templates (passthrough and invalid entries
    /// never render).
    pub(crate) fn analyses(&self) -> impl Iterator<Item = &apigw_vtl::Analysis> {
        self.entries.iter().filter_map(|(_, e)| match &e.template {
            Mapping::Render(t) => Some(t.analysis()),
            Mapping::Passthrough | Mapping::Invalid(_) => None,
        })
    }

    /// Whether some compiled template of the set may read the top-level name `name`
    /// (`#evaluate` may read anything; passthrough and invalid entries never render).
    pub(crate) fn may_read(&self, name: &str) -> bool {
        self.entries.iter().any(|(_, e)| match &e.template {
            Mapping::Render(t) => t.analysis().uses(name),
            Mapping::Passthrough | Mapping::Invalid(_) => false,
        })
    }

    /// Chooses for an integration request: the exact MIME type only (a method request without
    /// `Content-Type` counts as `application/json`, which the caller passes); no match means
    /// the body passes through (`WHEN_NO_MATCH`).
    pub(crate) fn choose_strict(&self, mime: &str) -> Option<&Entry> {
        let lower = mime.trim().to_ascii_lowercase();
        self.entries
            .iter()
            .find(|(k, _)| *k == lower)
            .map(|(_, e)| e)
    }
}

/// Whether a template key looks like a content type: `type/subtype`, optionally followed by
/// `; parameters` (API Gateway accepts `text/plain; charset=utf-8` as a key).
fn is_content_type(key: &str) -> bool {
    let mime = key.split(';').next().unwrap_or("").trim();
    match mime.split_once('/') {
        Some((t, s)) => {
            !t.is_empty()
                && !s.is_empty()
                && !s.contains('/')
                && mime
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b',' && b != b'"')
        }
        None => false,
    }
}

/// Reads the integer `statusCode` property of a MOCK request template's output, leniently:
/// the key may be quoted or bare (`{statusCode: 200}`, as CDK writes it), and the rest of the
/// text need not be valid JSON. Returns `None` when there is no integer `statusCode` at the top
/// of an object.
pub(crate) fn lenient_status_code(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let key = b"statusCode";
    let mut from = 0;
    while let Some(pos) = find(&bytes[from..], key).map(|p| p + from) {
        from = pos + key.len();
        // What precedes the key: optional quote, then spaces, then `{` or `,`.
        let mut i = pos;
        if i > 0 && matches!(bytes[i - 1], b'"' | b'\'') {
            i -= 1;
        }
        let before = bytes[..i].iter().rev().find(|b| !b.is_ascii_whitespace());
        if !matches!(before, Some(b'{') | Some(b',')) {
            continue;
        }
        // What follows: optional matching quote, spaces, `:`, spaces, an integer.
        let mut j = from;
        if i < pos {
            if bytes.get(j) != Some(&bytes[i]) {
                continue;
            }
            j += 1;
        }
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if bytes.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let start = j;
        if bytes.get(j) == Some(&b'-') {
            j += 1;
        }
        let digits = j;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == digits {
            return None;
        }
        // A fraction or exponent makes it a non-integer.
        if matches!(bytes.get(j), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        return text[start..j].parse().ok();
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&str]) -> TemplateSet {
        let mut m = Map::new();
        for k in keys {
            m.insert((*k).to_owned(), Value::String(format!("t:{k}")));
        }
        TemplateSet::compile(Some(&m), "test", &mut Vec::new(), &Default::default()).unwrap()
    }

    #[test]
    fn choice() {
        let s = set(&["application/xml", "application/json", "text/plain"]);
        assert_eq!(s.choose("application/xml").unwrap().key, "application/xml");
        assert_eq!(s.choose("Application/XML").unwrap().key, "application/xml");
        assert_eq!(s.choose("image/png").unwrap().key, "application/json");
        let s = set(&["text/plain", "application/xml"]);
        assert_eq!(s.choose("application/json").unwrap().key, "application/xml");
        assert!(set(&[]).choose("application/json").is_none());
    }

    #[test]
    fn keys_with_parameters_are_content_types() {
        assert!(is_content_type("text/plain; charset=utf-8"));
        assert!(is_content_type("application/json"));
        assert!(!is_content_type("123"));
        assert!(!is_content_type("text /plain"));
        assert!(!is_content_type("; charset=utf-8"));
    }

    #[test]
    fn invalid_key() {
        let mut m = Map::new();
        m.insert("123".into(), Value::String("x".into()));
        let e =
            TemplateSet::compile(Some(&m), "o", &mut Vec::new(), &Default::default()).unwrap_err();
        assert!(e.detail().contains("Invalid content type specified: 123"));
    }

    #[test]
    fn lenient() {
        assert_eq!(lenient_status_code("{\"statusCode\": 200}"), Some(200));
        assert_eq!(lenient_status_code("{statusCode: 500}"), Some(500));
        assert_eq!(lenient_status_code("{ 'statusCode' : -3 }"), Some(-3));
        assert_eq!(
            lenient_status_code("{\"a\": 1, \"statusCode\":404}"),
            Some(404)
        );
        assert_eq!(lenient_status_code("{\"statusCode\": \"200\"}"), None);
        assert_eq!(lenient_status_code("{\"xstatusCode\": 200}"), None);
        assert_eq!(lenient_status_code("{\"statusCode\": 2.5}"), None);
        assert_eq!(lenient_status_code(""), None);
    }
}
