//! What mapping may read of its inputs, for hosts that skip preparing the rest: the backend
//! headers ([`CompiledIntegration::reads_backend_header`]) and the method request headers
//! ([`CompiledIntegration::request_headers_read`]).

use apigw_vtl::Analysis;

use crate::CompiledIntegration;
use crate::params::Source;
use crate::templates::TemplateSet;

impl CompiledIntegration {
    /// Whether mapping a response may read the backend header `name` (compared
    /// case-insensitively): `Content-Type` (binary media types), any header for the proxy
    /// kinds (their answers pass through whole), and the headers named by the
    /// `integration.response.header.X` / `integration.response.multivalueheader.X` sources
    /// of the `responseParameters`. A host may leave the other headers out of
    /// [`crate::BackendResponse::headers`] and get the same responses (and explanations).
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, IntegrationKind, IntegrationResponse, IntegrationSpec};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// let mut params = serde_json::Map::new();
    /// params.insert(
    ///     "method.response.header.X-Etag".into(),
    ///     "integration.response.header.ETag".into(),
    /// );
    /// spec.integration_responses = vec![IntegrationResponse {
    ///     status_code: "200".into(),
    ///     response_parameters: Some(params),
    ///     ..Default::default()
    /// }];
    /// spec.method_responses = vec!["200".into()];
    /// let compiled = compile(&spec).unwrap();
    /// assert!(compiled.reads_backend_header("etag"));
    /// assert!(compiled.reads_backend_header("content-type"));
    /// assert!(!compiled.reads_backend_header("date"));
    /// ```
    pub fn reads_backend_header(&self, name: &str) -> bool {
        self.backend_header_names()
            .is_none_or(|mut names| names.any(|n| n.eq_ignore_ascii_case(name)))
    }

    /// The rule of [`CompiledIntegration::reads_backend_header`] and
    /// [`CompiledIntegration::backend_headers_read`]: `None` for the proxy kinds (any header),
    /// else `Content-Type` and the headers the `integration.response.header.X` /
    /// `multivalueheader.X` sources name, as written (repeats included).
    fn backend_header_names(&self) -> Option<impl Iterator<Item = &str>> {
        self.kind.is_mapped().then(|| {
            let sources = self.responses.iter().flat_map(|r| &r.parameters);
            std::iter::once("content-type").chain(sources.filter_map(|p| match &p.source {
                Source::Header(n) | Source::MultiHeader(n) => Some(n.as_str()),
                _ => None,
            }))
        })
    }

    /// The backend headers mapping a response may read, the names in lower case, sorted,
    /// once each: `None` for the proxy kinds (any), else `content-type` and the headers of
    /// the `integration.response.header.X` / `multivalueheader.X` sources: exactly the names
    /// [`CompiledIntegration::reads_backend_header`] accepts, for a host that picks them out
    /// of a backend answer by name instead of asking about every header it got.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, IntegrationKind, IntegrationResponse, IntegrationSpec};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// let mut params = serde_json::Map::new();
    /// params.insert(
    ///     "method.response.header.X-Etag".into(),
    ///     "integration.response.header.ETag".into(),
    /// );
    /// spec.integration_responses = vec![IntegrationResponse {
    ///     status_code: "200".into(),
    ///     response_parameters: Some(params),
    ///     ..Default::default()
    /// }];
    /// spec.method_responses = vec!["200".into()];
    /// let names = compile(&spec).unwrap().backend_headers_read();
    /// assert_eq!(names, Some(vec!["content-type".to_owned(), "etag".to_owned()]));
    /// ```
    pub fn backend_headers_read(&self) -> Option<Vec<String>> {
        let mut names: Vec<String> = self
            .backend_header_names()?
            .map(str::to_ascii_lowercase)
            .collect();
        names.sort_unstable();
        names.dedup();
        Some(names)
    }

    /// The method request headers mapping may read besides `Accept` and `Content-Type`
    /// (which it always may): `None` when it may read any of them, else their names
    /// (compare them case-insensitively). Templates (request, response and the
    /// configuration-error gateway response) read headers through `$input.params`: a call
    /// with a literal name (`$input.params('id')`) may read that header, any other use of
    /// `$input.params` (or of `$input` as a whole value, or `#evaluate`) any; a gateway
    /// response parameter `method.request.header.X` reads `X`. A host may leave the other
    /// headers out of [`crate::RequestContext::headers`] and get the same responses.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, IntegrationKind, IntegrationResponse, IntegrationSpec};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// let mut templates = serde_json::Map::new();
    /// templates.insert("application/json".into(), "$input.params('id')".into());
    /// spec.integration_responses = vec![IntegrationResponse {
    ///     status_code: "200".into(),
    ///     response_templates: Some(templates.clone()),
    ///     ..Default::default()
    /// }];
    /// assert_eq!(compile(&spec).unwrap().request_headers_read(), Some(vec!["id".to_owned()]));
    /// templates.insert("text/plain".into(), "$input.params()".into());
    /// spec.integration_responses[0].response_templates = Some(templates);
    /// assert_eq!(compile(&spec).unwrap().request_headers_read(), None);
    /// ```
    pub fn request_headers_read(&self) -> Option<Vec<String>> {
        let mut names = Vec::new();
        let sets = std::iter::once(&self.request_templates)
            .chain(self.responses.iter().map(|r| &r.templates))
            .chain(self.gateway.templates());
        for set in sets {
            header_reads(set, &mut names)?;
        }
        self.gateway.request_headers(&mut names);
        names.sort_unstable();
        names.dedup();
        Some(names)
    }
}

/// Adds the request headers the templates of `set` may read to `names`; `None` when they may
/// read any.
fn header_reads(set: &TemplateSet, names: &mut Vec<String>) -> Option<()> {
    for analysis in set.analyses() {
        template_header_reads(analysis, names)?;
    }
    Some(())
}

/// [`header_reads`] for one template.
fn template_header_reads(a: &Analysis, names: &mut Vec<String>) -> Option<()> {
    if !a.may_use_member("input", "params") {
        return Some(());
    }
    if a.dynamic || a.whole.iter().any(|n| n == "input") {
        return None;
    }
    for m in a
        .members
        .iter()
        .filter(|m| m.root == "input" && m.member == "params")
    {
        match (m.is_method, &m.args) {
            // `$input.params('name')`: a path, query or header parameter of that name.
            (true, Some(args)) if args.len() == 1 => names.push(args[0].clone()),
            // `$input.params()`, a computed name, the property: every header.
            _ => return None,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(template: &str) -> Option<Vec<String>> {
        let t = apigw_vtl::Template::compile(template, &apigw_vtl::Options::default()).unwrap();
        let mut names = Vec::new();
        template_header_reads(t.analysis(), &mut names).map(|()| names)
    }

    #[test]
    fn header_reads_of_templates() {
        let some = |n: &[&str]| Some(n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(reads("$input.path('$') $context.requestId"), some(&[]));
        assert_eq!(
            reads("$input.params('id') $input.params(\"x\")"),
            some(&["id", "x"])
        );
        assert_eq!(
            reads("#foreach($k in ['a'])$input.params('b')#end"),
            some(&["b"])
        );
        for all in [
            "$input.params()",
            "$input.params().header.host",
            "$input.params($name)",
            "$input.params('a', 'b')",
            "$input.params",
            "#set($i = $input)$i.params('a')",
            "#evaluate('$input.params(\"a\")')",
            "#macro(m $x)$x.params('a')#end#m($input)",
        ] {
            assert_eq!(reads(all), None, "{all}");
        }
    }

    /// `backend_headers_read` lists exactly the names `reads_backend_header` accepts.
    #[test]
    fn backend_headers_read_agrees_with_reads_backend_header() {
        use crate::{IntegrationKind, IntegrationResponse, IntegrationSpec, compile};
        let candidates = [
            "content-type",
            "Content-Type",
            "etag",
            "x-multi",
            "X-Multi",
            "x-other",
            "date",
            "set-cookie",
        ];
        for kind in [
            IntegrationKind::Http,
            IntegrationKind::Lambda,
            IntegrationKind::Mock,
            IntegrationKind::HttpProxy,
            IntegrationKind::AwsProxy,
        ] {
            let mut spec = IntegrationSpec::new(kind);
            let mut first = serde_json::Map::new();
            first.insert(
                "method.response.header.A".into(),
                "integration.response.header.ETag".into(),
            );
            first.insert(
                "method.response.header.B".into(),
                "integration.response.multivalueheader.X-Multi".into(),
            );
            let mut second = serde_json::Map::new();
            second.insert(
                "method.response.header.C".into(),
                "integration.response.header.etag".into(),
            );
            second.insert(
                "method.response.header.D".into(),
                "integration.response.body.x".into(),
            );
            spec.integration_responses = vec![
                IntegrationResponse {
                    status_code: "200".into(),
                    response_parameters: Some(first),
                    ..Default::default()
                },
                IntegrationResponse {
                    status_code: "500".into(),
                    selection_pattern: Some("5\\d{2}".into()),
                    response_parameters: Some(second),
                    ..Default::default()
                },
            ];
            spec.method_responses = vec!["200".into(), "500".into()];
            let compiled = compile(&spec).unwrap();
            let listed = compiled.backend_headers_read();
            if kind.is_mapped() {
                assert_eq!(
                    listed.as_deref(),
                    Some(&["content-type".to_owned(), "etag".into(), "x-multi".into()][..])
                );
            } else {
                assert_eq!(listed, None, "{kind:?}");
            }
            for name in candidates {
                let in_list = listed
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|n| n.eq_ignore_ascii_case(name)));
                assert_eq!(
                    compiled.reads_backend_header(name),
                    in_list,
                    "{kind:?} {name}"
                );
            }
        }
    }
}
