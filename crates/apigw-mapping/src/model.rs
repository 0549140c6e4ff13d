//! Configuration types that mirror API Gateway's JSON shapes (`camelCase` field names), as
//! returned by `get_integration` / `get_integration_response` and found in exported OpenAPI
//! files. They hold configuration only; [`crate::compile`] turns them into the immutable
//! [`crate::CompiledIntegration`] used on the request path.

use serde::{Deserialize, Serialize};
use serde_json::Map;

/// An `IntegrationResponse` as API Gateway stores it.
///
/// # Example
/// ```
/// let ir: apigw_mapping::IntegrationResponse =
///     serde_json::from_str(r#"{"statusCode": "400", "selectionPattern": "4\\d{2}"}"#).unwrap();
/// assert_eq!(ir.status_code, "400");
/// assert_eq!(ir.selection_pattern.as_deref(), Some(r"4\d{2}"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    /// The method response status code this integration response maps to (`[1-5]\d\d`).
    pub status_code: String,
    /// The Java regex matched against the selection value; absent or `""` means default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    /// `method.response.header.X` → source expression, in insertion order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_parameters: Option<Map<String, serde_json::Value>>,
    /// Content type → template; a `null` (or `""`) template is a passthrough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_templates: Option<Map<String, serde_json::Value>>,
    /// Body conversion between text and binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<ContentHandling>,
}

/// `contentHandling` of an integration response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContentHandling {
    /// Decode a text payload from base64 into a binary blob.
    #[serde(rename = "CONVERT_TO_BINARY")]
    ConvertToBinary,
    /// Encode a binary payload as base64 text.
    #[serde(rename = "CONVERT_TO_TEXT")]
    ConvertToText,
}

/// The kind of backend an integration talks to, which decides the selection value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IntegrationKind {
    /// `HTTP` (non-proxy): the backend status code is the selection value.
    Http,
    /// `AWS` service other than Lambda: the status code is the selection value.
    Aws,
    /// `AWS` with a Lambda function URI (non-proxy): a function error's `errorMessage`.
    Lambda,
    /// `MOCK`: the `statusCode` written by the integration request template.
    Mock,
    /// `HTTP_PROXY`: integration responses are not applied.
    HttpProxy,
    /// `AWS_PROXY`: integration responses are not applied.
    AwsProxy,
}

impl IntegrationKind {
    /// Derives the kind from an integration's `type` and `uri`, as API Gateway does: an `AWS`
    /// integration whose URI names a Lambda function's invocations path is a Lambda
    /// custom integration.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::IntegrationKind;
    /// let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations";
    /// assert_eq!(IntegrationKind::from_aws("AWS", Some(uri)), Some(IntegrationKind::Lambda));
    /// assert_eq!(IntegrationKind::from_aws("HTTP", None), Some(IntegrationKind::Http));
    /// assert_eq!(IntegrationKind::from_aws("FTP", None), None);
    /// ```
    pub fn from_aws(integration_type: &str, uri: Option<&str>) -> Option<IntegrationKind> {
        Some(match integration_type {
            "HTTP" => IntegrationKind::Http,
            "MOCK" => IntegrationKind::Mock,
            "HTTP_PROXY" => IntegrationKind::HttpProxy,
            "AWS_PROXY" => IntegrationKind::AwsProxy,
            "AWS" => match uri {
                Some(u) if u.contains(":lambda:path/") && u.contains("/functions/") => {
                    IntegrationKind::Lambda
                }
                _ => IntegrationKind::Aws,
            },
            _ => return None,
        })
    }

    /// Whether integration responses are applied at all (false for the proxy kinds, SPEC §1.1).
    pub fn is_mapped(self) -> bool {
        !matches!(self, IntegrationKind::HttpProxy | IntegrationKind::AwsProxy)
    }

    /// Whether a mapped response carries API Gateway's `X-Amzn-Trace-Id` (HTTP, AWS and
    /// Lambda integrations; not MOCK).
    pub(crate) fn sends_trace_id(self) -> bool {
        matches!(
            self,
            IntegrationKind::Http | IntegrationKind::Aws | IntegrationKind::Lambda
        )
    }
}

/// Everything about one method that the response side needs, gathered from the REST API
/// (binary media types, gateway responses), the method (method responses) and its integration.
#[derive(Debug, Clone)]
pub struct IntegrationSpec {
    /// The backend kind.
    pub kind: IntegrationKind,
    /// The integration's request templates by content type (used by MOCK to compute the
    /// selection value, SPEC §2.5). `None` values are passthrough templates.
    pub request_templates: Map<String, serde_json::Value>,
    /// The integration responses, in any order.
    pub integration_responses: Vec<IntegrationResponse>,
    /// Status codes that have a `MethodResponse` (SPEC §2.10).
    pub method_responses: Vec<String>,
    /// The REST API's `binaryMediaTypes`.
    pub binary_media_types: Vec<String>,
    /// The REST API's customised gateway responses (`API_CONFIGURATION_ERROR` or
    /// `DEFAULT_5XX` shape configuration errors, SPEC §7.2).
    pub gateway_responses: Vec<crate::GatewayResponse>,
}

impl IntegrationSpec {
    /// Creates a spec for `kind` with no responses, templates or method responses.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{IntegrationKind, IntegrationSpec};
    /// let spec = IntegrationSpec::new(IntegrationKind::Http);
    /// assert!(spec.integration_responses.is_empty());
    /// ```
    pub fn new(kind: IntegrationKind) -> IntegrationSpec {
        IntegrationSpec {
            kind,
            request_templates: Map::new(),
            integration_responses: Vec::new(),
            method_responses: Vec::new(),
            binary_media_types: Vec::new(),
            gateway_responses: Vec::new(),
        }
    }
}
