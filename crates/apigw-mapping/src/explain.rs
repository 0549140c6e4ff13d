//! Explanations: why `apply` produced what it produced — the selection value, every pattern
//! tried in order, the winner or why the default / nothing was used, the template chosen from
//! which `Accept`, each mapped header, the conversion taken, the overrides and any failure.
//!
//! [`CompiledIntegration::apply_explained`] returns the very response [`CompiledIntegration::apply`]
//! returns plus the explanation; the explanation is computed beside it, so `apply` itself pays
//! nothing for this feature.

use apigw_javaregex::JavaRegex;
use serde::Serialize;

use crate::{
    BackendResponse, CompiledIntegration, IntegrationKind, MethodResponse, RequestContext, content,
    headers, params,
};

/// One `selectionPattern` tried against the selection value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternTrial {
    /// The integration response's status code.
    pub status_code: String,
    /// The pattern as configured.
    pub pattern: String,
    /// Whether it matched the whole selection value; `None` when it does not compile.
    pub matched: Option<bool>,
}

/// One mapped header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterTrace {
    /// The header name it is sent under (`x-amzn-Remapped-…` for reserved names).
    pub header: String,
    /// The value sent.
    pub value: String,
}

/// What [`CompiledIntegration::apply_explained`] reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The value the patterns were matched against (`None` for proxy integrations and Lambda
    /// service errors).
    pub selection_value: Option<String>,
    /// Every non-default pattern, in evaluation order (ascending status code).
    pub patterns: Vec<PatternTrial>,
    /// The selected integration response's status code.
    pub selected: Option<String>,
    /// `pattern`, `default`, or `none`.
    pub selected_by: String,
    /// The MIME type used to choose the template (`Accept`'s first media range, or
    /// `application/json`).
    pub accept: String,
    /// The template key chosen, if the selected response has templates.
    pub template: Option<String>,
    /// The body conversion taken (SPEC §6.3), e.g. `Utf8Text`, `Base64Decoded`.
    pub conversion: Option<String>,
    /// The headers `responseParameters` produced.
    pub parameters: Vec<ParameterTrace>,
    /// The final status.
    pub status: u16,
    /// Why a gateway error was returned, if one was.
    pub failure: Option<String>,
}

impl CompiledIntegration {
    /// Applies like [`CompiledIntegration::apply`] and explains the result.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, BackendResponse, IntegrationKind, IntegrationResponse,
    ///                     IntegrationSpec, RequestContext};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// spec.integration_responses = vec![
    ///     IntegrationResponse { status_code: "200".into(), ..Default::default() },
    ///     IntegrationResponse {
    ///         status_code: "400".into(),
    ///         selection_pattern: Some(r"4\d{2}".into()),
    ///         ..Default::default()
    ///     },
    /// ];
    /// spec.method_responses = vec!["200".into(), "400".into()];
    /// let compiled = compile(&spec).unwrap();
    /// let (response, why) =
    ///     compiled.apply_explained(&BackendResponse::new(404, ""), &RequestContext::default());
    /// assert_eq!(response.status, 400);
    /// assert_eq!(why.selection_value.as_deref(), Some("404"));
    /// assert_eq!(why.selected.as_deref(), Some("400"));
    /// assert_eq!(why.selected_by, "pattern");
    /// assert_eq!(why.patterns[0].matched, Some(true));
    /// ```
    pub fn apply_explained(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
    ) -> (MethodResponse, Explanation) {
        let response = self.apply(backend, request);
        let mut why = Explanation {
            status: response.status,
            failure: response.failure.as_ref().map(ToString::to_string),
            selected_by: "none".into(),
            ..Explanation::default()
        };
        if !self.kind.is_mapped() {
            return (response, why);
        }
        let value = match self.kind {
            IntegrationKind::Lambda if backend.function_error => {
                Some(crate::lambda_error_message(&backend.body))
            }
            IntegrationKind::Lambda if (200..300).contains(&backend.status) => Some(String::new()),
            IntegrationKind::Lambda => None,
            IntegrationKind::Mock => {
                let mut scratch = None;
                self.mock_status_code(request, &mut scratch)
                    .ok()
                    .map(|code| code.map(|c| c.to_string()).unwrap_or_default())
            }
            _ => Some(backend.status.to_string()),
        };
        let Some(value) = value else {
            return (response, why);
        };
        let mut order: Vec<usize> = (0..self.responses.len()).collect();
        order.sort_by_key(|&i| self.responses[i].status_code);
        let mut winner = None;
        for &i in &order {
            let r = &self.responses[i];
            let Some(pattern) = r.selection_pattern.as_deref().filter(|p| !p.is_empty()) else {
                continue;
            };
            let matched = JavaRegex::with_limits(pattern, &self.pattern_limits)
                .ok()
                .map(|re| re.matches(&value));
            if matched == Some(true) && winner.is_none() {
                winner = Some(i);
            }
            why.patterns.push(PatternTrial {
                status_code: r.status_code.to_string(),
                pattern: pattern.to_owned(),
                matched,
            });
        }
        // MOCK output without an integer statusCode selects the default directly.
        let mock_default = self.kind == IntegrationKind::Mock && value.is_empty();
        let chosen = match winner.filter(|_| !mock_default) {
            Some(i) => {
                why.selected_by = "pattern".into();
                Some(i)
            }
            None => self.selector.default_response().inspect(|_| {
                why.selected_by = "default".into();
            }),
        };
        why.selection_value = Some(value);
        let Some(i) = chosen else {
            return (response, why);
        };
        let chosen = &self.responses[i];
        why.selected = Some(chosen.status_code.to_string());

        let accept = request.header("accept");
        why.accept = accept
            .map_or("application/json", content::first_accept_media_type)
            .to_owned();
        why.template = chosen.templates.choose(&why.accept).map(|e| e.key.clone());

        let raw_body = if self.kind == IntegrationKind::Mock {
            bytes::Bytes::new()
        } else {
            backend.body.clone()
        };
        let mut body_json = params::LazyBody::new(
            &raw_body,
            self.kind == IntegrationKind::Lambda && backend.function_error,
        );
        let _ = params::evaluate(
            &chosen.parameters,
            backend,
            request,
            &crate::ContextIds::of(request),
            &mut body_json,
            &crate::GatewayHeaderValues::default(),
            |_, placement, value| {
                let header = match placement {
                    headers::Placement::Keep(n) | headers::Placement::Remapped(n) => {
                        n.as_str().to_owned()
                    }
                    headers::Placement::Drop => return,
                };
                why.parameters.push(ParameterTrace {
                    header,
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                });
            },
        );
        let payload_binary = backend
            .header_any_case("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| self.binary_media_types.matches(ct));
        let accept_binary = accept.is_some_and(|a| {
            self.binary_media_types
                .matches(content::first_accept_media_type(a))
        });
        why.conversion = content::convert(
            &raw_body,
            payload_binary,
            accept_binary,
            chosen.content_handling,
        )
        .ok()
        .map(|c| format!("{:?}", c.action));
        (response, why)
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        BackendResponse, IntegrationKind, IntegrationResponse, IntegrationSpec, RequestContext,
        compile,
    };

    #[test]
    fn lambda_patterns_in_status_order_with_the_first_match_winning() {
        let mut spec = IntegrationSpec::new(IntegrationKind::Lambda);
        let ir = |code: &str, p: Option<&str>| IntegrationResponse {
            status_code: code.into(),
            selection_pattern: p.map(Into::into),
            ..Default::default()
        };
        spec.integration_responses = vec![
            ir("502", Some(".+")),
            ir("200", None),
            ir("405", Some(".*four hundred.*")),
            ir("418", Some("(")),
        ];
        spec.method_responses = vec!["200".into(), "405".into(), "502".into()];
        let c = compile(&spec).unwrap();
        let mut backend = BackendResponse::new(200, r#"{"errorMessage": "four hundred"}"#);
        backend.function_error = true;
        let (response, why) = c.apply_explained(&backend, &RequestContext::default());
        assert_eq!(response.status, 405);
        assert_eq!(why.selection_value.as_deref(), Some("four hundred"));
        let tried: Vec<(&str, Option<bool>)> = why
            .patterns
            .iter()
            .map(|t| (t.status_code.as_str(), t.matched))
            .collect();
        assert_eq!(
            tried,
            [("405", Some(true)), ("418", None), ("502", Some(true))]
        );
        assert_eq!(why.selected.as_deref(), Some("405"));
        assert_eq!(why.selected_by, "pattern");
        assert_eq!(why.conversion.as_deref(), Some("Utf8Text"));

        // Success: the empty selection value falls to the default.
        let (response, why) =
            c.apply_explained(&BackendResponse::new(200, "{}"), &RequestContext::default());
        assert_eq!(response.status, 200);
        assert_eq!(why.selection_value.as_deref(), Some(""));
        assert_eq!(why.selected_by, "default");
        assert!(why.patterns.iter().all(|t| t.matched != Some(true)));
    }
}
