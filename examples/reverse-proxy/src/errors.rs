//! Gateway-generated responses (API Gateway's default gateway responses).

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

/// The gateway responses this proxy produces itself, with API Gateway's default status, body
/// and `x-amzn-ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayError {
    /// No stage, resource or method for the request: 403
    /// `{"message":"Missing Authentication Token"}`,
    /// `x-amzn-ErrorType: MissingAuthenticationTokenException`.
    MissingAuthenticationToken,
    /// The integration did not answer within `timeoutInMillis`: 504
    /// `{"message": "Endpoint request timed out"}`.
    IntegrationTimeout,
    /// The backend could not be reached, reset the connection, answered more than 10 MB, or
    /// the integration is not supported: 500 `{"message": "Internal server error"}`
    /// (`API_CONFIGURATION_ERROR`; AWS logs "Execution failed due to configuration error").
    ConfigurationError,
    /// A Lambda proxy function failed or returned a malformed result: 502
    /// `{"message": "Internal server error"}`.
    BadGateway,
    /// No request template for the request's content type and `passthroughBehavior` refuses
    /// it: 415 `{"message":"Unsupported Media Type"}`.
    UnsupportedMediaType,
    /// The method request body is larger than 10 MB: 413 `{"message":"Request Too Long"}`.
    RequestTooLarge,
    /// The method request body could not be read (broken chunked encoding, the client
    /// reset): 400 `{"message":"Bad Request"}`, `x-amzn-ErrorType: BadRequestException`,
    /// `Connection: close` (hyper closes the connection after it).
    BadRequestBody,
}

impl GatewayError {
    /// Every error the proxy produces itself.
    pub const ALL: [GatewayError; 7] = [
        GatewayError::MissingAuthenticationToken,
        GatewayError::IntegrationTimeout,
        GatewayError::ConfigurationError,
        GatewayError::BadGateway,
        GatewayError::UnsupportedMediaType,
        GatewayError::RequestTooLarge,
        GatewayError::BadRequestBody,
    ];

    /// The gateway response type that customises this error (`put_gateway_response`,
    /// `x-amazon-apigateway-gateway-responses`).
    pub fn response_type(self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            GatewayError::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            GatewayError::ConfigurationError => "API_CONFIGURATION_ERROR",
            GatewayError::BadGateway => "INTEGRATION_FAILURE",
            GatewayError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            GatewayError::RequestTooLarge => "REQUEST_TOO_LARGE",
            GatewayError::BadRequestBody => "BAD_REQUEST_BODY",
        }
    }

    /// `$context.error.message` of the error.
    pub fn message(self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken => "Missing Authentication Token",
            GatewayError::IntegrationTimeout => "Endpoint request timed out",
            GatewayError::ConfigurationError | GatewayError::BadGateway => "Internal server error",
            GatewayError::UnsupportedMediaType => "Unsupported Media Type",
            GatewayError::RequestTooLarge => "Request Too Long",
            GatewayError::BadRequestBody => "Bad Request",
        }
    }

    /// Status, body and `x-amzn-ErrorType` (when API Gateway sends one).
    pub fn parts(self) -> (u16, &'static str, Option<&'static str>) {
        match self {
            GatewayError::MissingAuthenticationToken => (
                403,
                r#"{"message":"Missing Authentication Token"}"#,
                Some("MissingAuthenticationTokenException"),
            ),
            GatewayError::IntegrationTimeout => (
                504,
                r#"{"message": "Endpoint request timed out"}"#,
                Some("InternalServerErrorException"),
            ),
            GatewayError::ConfigurationError => (
                500,
                apigw_mapping::CONFIGURATION_ERROR_BODY,
                Some("InternalServerErrorException"),
            ),
            GatewayError::BadGateway => (
                502,
                apigw_mapping::CONFIGURATION_ERROR_BODY,
                Some("InternalServerErrorException"),
            ),
            GatewayError::UnsupportedMediaType => {
                (415, r#"{"message":"Unsupported Media Type"}"#, None)
            }
            GatewayError::RequestTooLarge => (413, r#"{"message":"Request Too Long"}"#, None),
            GatewayError::BadRequestBody => (
                400,
                r#"{"message":"Bad Request"}"#,
                Some("BadRequestException"),
            ),
        }
    }

    /// The response: `Content-Type: application/json`, `x-amzn-ErrorType`,
    /// `x-amzn-RequestId`, `x-amz-apigw-id` (the order of apigw-mapping's configuration
    /// errors).
    pub fn response(self, request_id: &str, extended_id: &str) -> (u16, HeaderMap, Bytes) {
        let (status, body, error_type) = self.parts();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(t) = error_type {
            headers.insert(
                HeaderName::from_static("x-amzn-errortype"),
                HeaderValue::from_static(t),
            );
        }
        if let Ok(v) = HeaderValue::from_str(request_id) {
            headers.insert(HeaderName::from_static("x-amzn-requestid"), v);
        }
        if let Ok(v) = HeaderValue::from_str(extended_id) {
            headers.insert(HeaderName::from_static("x-amz-apigw-id"), v);
        }
        if self == GatewayError::BadRequestBody {
            headers.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        (status, headers, Bytes::from_static(body.as_bytes()))
    }
}
