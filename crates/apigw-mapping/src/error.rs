//! Errors of the mapping engine.
//!
//! [`CompileError`] belongs to the API author: it is raised once, by [`crate::compile`], and says
//! which integration response and which field is wrong. [`Failure`] describes why a request was
//! answered with a gateway error; the client only ever sees API Gateway's generic 500, the
//! operator gets this precise reason in the logs.

use std::fmt;

/// What kind of configuration problem a [`CompileError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileErrorKind {
    /// A `statusCode` that is not `[1-5]\d\d`.
    InvalidStatusCode,
    /// A `responseParameters` key or expression that API Gateway would reject.
    InvalidMappingExpression,
    /// A `responseTemplates` or `requestTemplates` entry that is not a string or null, or whose
    /// key is not a content type.
    InvalidTemplate,
    /// A `binaryMediaTypes` entry that is not a media type.
    InvalidMediaType,
}

/// A configuration error found by [`crate::compile`].
///
/// `Display` prints one line, `kind: detail (in <origin>)`.
///
/// # Example
/// ```
/// use apigw_mapping::{compile, IntegrationKind, IntegrationResponse, IntegrationSpec};
/// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
/// spec.integration_responses.push(IntegrationResponse {
///     status_code: "2000".into(),
///     ..Default::default()
/// });
/// let err = compile(&spec).unwrap_err();
/// assert_eq!(err.kind(), apigw_mapping::CompileErrorKind::InvalidStatusCode);
/// assert!(err.to_string().contains("integration response \"2000\""));
/// ```
pub struct CompileError(Box<CompileRepr>);

struct CompileRepr {
    kind: CompileErrorKind,
    origin: String,
    detail: String,
}

impl CompileError {
    pub(crate) fn new(
        kind: CompileErrorKind,
        origin: impl Into<String>,
        detail: impl Into<String>,
    ) -> CompileError {
        CompileError(Box::new(CompileRepr {
            kind,
            origin: origin.into(),
            detail: detail.into(),
        }))
    }

    /// The kind of problem.
    pub fn kind(&self) -> CompileErrorKind {
        self.0.kind
    }

    /// Where the problem is, e.g. `integration response "400", responseParameters`.
    pub fn origin(&self) -> &str {
        &self.0.origin
    }

    /// What is wrong, without the origin.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0.kind {
            CompileErrorKind::InvalidStatusCode => "invalid status code",
            CompileErrorKind::InvalidMappingExpression => "invalid mapping expression",
            CompileErrorKind::InvalidTemplate => "invalid template",
            CompileErrorKind::InvalidMediaType => "invalid media type",
        };
        write!(f, "{kind}: {} (in {})", self.0.detail, self.0.origin)
    }
}

impl fmt::Debug for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompileError({self:#})")
    }
}

impl std::error::Error for CompileError {}

/// Why a request was answered with a gateway error instead of a mapped response.
///
/// Each variant is the operator-facing reason; the client always receives the
/// `API_CONFIGURATION_ERROR` gateway response (SPEC §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// No pattern matched the selection value and there is no default response (SPEC §2.11).
    NoMatchingResponse {
        /// The selection value that nothing matched.
        selection_value: String,
    },
    /// The selected integration response's status has no method response (SPEC §2.10).
    MissingMethodResponse {
        /// The selected status code.
        status_code: String,
    },
    /// A Lambda Invoke call failed at the service level (not a function error, SPEC §2.4).
    LambdaServiceError {
        /// The Invoke API status.
        status: u16,
    },
    /// The body could not be base64-decoded for a binary conversion (SPEC §6.4).
    Base64Decode {
        /// The decoder's message.
        detail: String,
    },
    /// A template was selected for a binary body (SPEC §6.5).
    TemplateOnBinaryBody,
    /// The body must be JSON for a mapping or template and it is not (SPEC §3.4).
    InvalidJsonBody {
        /// What the parser said.
        detail: String,
    },
    /// A response template failed to render (SPEC §4.4).
    TemplateRender {
        /// The template's content type key.
        content_type: String,
        /// The render error, with position.
        detail: String,
    },
    /// A `$context.responseOverride` value was set more than once (SPEC §5.9).
    OverrideSetTwice {
        /// The overridden parameter.
        name: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoMatchingResponse { selection_value } => write!(
                f,
                "No match for output mapping and no default output mapping configured. \
                 Selection value: {selection_value:?}"
            ),
            Failure::MissingMethodResponse { status_code } => write!(
                f,
                "Output mapping refers to an invalid method response: {status_code}"
            ),
            Failure::LambdaServiceError { status } => {
                write!(f, "Lambda invocation failed with status: {status}")
            }
            Failure::Base64Decode { detail } => {
                write!(f, "Unable to base64-decode the response body: {detail}")
            }
            Failure::TemplateOnBinaryBody => {
                write!(f, "A response template cannot transform a binary body")
            }
            Failure::InvalidJsonBody { detail } => {
                write!(f, "Invalid JSON in the integration response body: {detail}")
            }
            Failure::TemplateRender {
                content_type,
                detail,
            } => write!(
                f,
                "Unable to transform the response with the {content_type} template: {detail}"
            ),
            Failure::OverrideSetTwice { name } => {
                write!(f, "Response override {name} was set more than once")
            }
        }
    }
}
