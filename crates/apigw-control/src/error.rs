//! Errors as API Gateway's control plane reports them: an error name (sent in the
//! `x-amzn-ErrorType` header), an HTTP status, and a message (sent as `{"message": "..."}`).

use std::fmt;

/// The error names API Gateway's control plane (and its front end) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request is well-formed but refers to or asks for something invalid.
    BadRequest,
    /// 400: a modelled constraint (pattern, enum) is violated.
    Validation,
    /// 400: the body could not be deserialized into the operation's input shape.
    Serialization,
    /// 404: an identifier names nothing.
    NotFound,
    /// 409: the object already exists.
    Conflict,
    /// 413: the request body exceeds the configured limit.
    RequestTooLarge,
    /// 404: no operation at this method and path.
    UnknownOperation,
    /// 403: no `Authorization` header (nor query-string signature).
    MissingAuthenticationToken,
    /// 403: the access key id is not one of the configured keys.
    UnrecognizedClient,
    /// 403: the signature does not match, or has expired.
    InvalidSignature,
    /// 403: the `Authorization` header is malformed or incomplete.
    IncompleteSignature,
    /// 500: the state could not be persisted.
    Internal,
}

impl ErrorKind {
    /// The name sent in `x-amzn-ErrorType`, as botocore reads it into `Error.Code`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(apigw_control::ErrorKind::NotFound.name(), "NotFoundException");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequestException",
            ErrorKind::Validation => "ValidationException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::NotFound => "NotFoundException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::RequestTooLarge => "RequestEntityTooLargeException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::UnrecognizedClient => "UnrecognizedClientException",
            ErrorKind::InvalidSignature => "InvalidSignatureException",
            ErrorKind::IncompleteSignature => "IncompleteSignatureException",
            ErrorKind::Internal => "InternalFailure",
        }
    }

    /// The HTTP status of the error response.
    ///
    /// # Example
    /// ```
    /// assert_eq!(apigw_control::ErrorKind::Validation.status(), 400);
    /// ```
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest | ErrorKind::Validation | ErrorKind::Serialization => 400,
            ErrorKind::NotFound | ErrorKind::UnknownOperation => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::RequestTooLarge => 413,
            ErrorKind::MissingAuthenticationToken
            | ErrorKind::UnrecognizedClient
            | ErrorKind::InvalidSignature
            | ErrorKind::IncompleteSignature => 403,
            ErrorKind::Internal => 500,
        }
    }
}

/// An error of a control-plane operation, with AWS's exact message.
///
/// # Example
/// ```
/// use apigw_control::{ApiError, ErrorKind};
/// let e = ApiError::not_found("Invalid Method identifier specified");
/// assert_eq!(e.kind(), ErrorKind::NotFound);
/// assert_eq!(e.message(), "Invalid Method identifier specified");
/// assert_eq!(e.to_string(), "NotFoundException: Invalid Method identifier specified");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    kind: ErrorKind,
    message: String,
}

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A `BadRequestException`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::BadRequest, message)
    }

    /// A `NotFoundException`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::NotFound, message)
    }

    /// A `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Conflict, message)
    }

    /// A `SerializationException`.
    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Serialization, message)
    }

    /// The error's kind (name and status).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// AWS's message text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// Collects modelled-constraint violations into one `ValidationException`, as AWS's front end
/// reports them: `1 validation error detected: Value 'x' at 'field' failed to satisfy
/// constraint: ...`, several joined with `; ` under `N validation errors detected: `.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// Records that `value` at `field` violates `constraint`.
    pub(crate) fn push(&mut self, value: &str, field: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Records that the required member `field` is missing.
    pub(crate) fn push_null(&mut self, field: &str) {
        self.0.push(format!(
            "Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// `Ok(())` when nothing was recorded, else the `ValidationException`.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::new(
                ErrorKind::Validation,
                format!("1 validation error detected: {}", self.0[0]),
            )),
            n => Err(ApiError::new(
                ErrorKind::Validation,
                format!("{n} validation errors detected: {}", self.0.join("; ")),
            )),
        }
    }
}

/// The constraint text of AWS's `[1-5]\d\d` status-code pattern.
pub(crate) const STATUS_CODE_CONSTRAINT: &str =
    "Member must satisfy regular expression pattern: [1-5]\\d\\d";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_render_like_aws() {
        assert!(Violations::default().finish().is_ok());
        let mut v = Violations::default();
        v.push("wrong", "statusCode", STATUS_CODE_CONSTRAINT);
        let e = v.finish().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(
            e.message(),
            "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
        );
        let mut v = Violations::default();
        v.push("a", "x", "c1");
        v.push("b", "y", "c2");
        assert_eq!(
            v.finish().unwrap_err().message(),
            "2 validation errors detected: Value 'a' at 'x' failed to satisfy constraint: c1; \
             Value 'b' at 'y' failed to satisfy constraint: c2"
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(ErrorKind::Conflict.status(), 409);
        assert_eq!(ErrorKind::InvalidSignature.status(), 403);
        assert_eq!(
            ErrorKind::UnknownOperation.name(),
            "UnknownOperationException"
        );
    }
}
