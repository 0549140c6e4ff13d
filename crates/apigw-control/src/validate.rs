//! Validation rules of the control plane, with AWS's message texts.

use crate::error::{ApiError, STATUS_CODE_CONSTRAINT, Violations};

/// `[1-5]\d\d`.
pub(crate) fn is_status_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit)
}

/// Records a status-code violation at `field` (AWS reports the bare `statusCode`).
pub(crate) fn check_status_code(v: &mut Violations, code: &str) {
    if !is_status_code(code) {
        v.push(code, "statusCode", STATUS_CODE_CONSTRAINT);
    }
}

/// The `contentHandling` enum.
pub(crate) const CONTENT_HANDLING: [&str; 2] = ["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"];

/// Records an enum violation.
pub(crate) fn check_enum(v: &mut Violations, value: &str, field: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        v.push(
            value,
            field,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        );
    }
}

/// HTTP methods a method can be put for.
/// In the order of AWS's message (recorded: LocalStack snapshot
/// `TestApiGatewayApiMethod::test_put_method_validation`).
pub(crate) const HTTP_METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY",
];

/// Checks an `httpMethod` path member.
pub(crate) fn check_http_method(m: &str) -> Result<(), ApiError> {
    if HTTP_METHODS.contains(&m) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid HttpMethod specified. Valid options are {}",
            HTTP_METHODS.join(",")
        )))
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Whether `s` is a media type `type/subtype` (with optional `; parameters`), as required of
/// template keys and binary media types.
pub(crate) fn is_content_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or("").trim();
    let Some((t, sub)) = essence.split_once('/') else {
        return false;
    };
    !t.is_empty()
        && !sub.is_empty()
        && t.chars().all(is_token_char)
        && sub.chars().all(is_token_char)
}

/// Formats API Gateway's template/mapping validation message:
/// `Validation Result: warnings : [], errors : [e1, e2]`.
pub(crate) fn validation_result(errors: &[String]) -> String {
    format!(
        "Validation Result: warnings : [], errors : [{}]",
        errors.join(", ")
    )
}

/// Checks the keys of a template map (`responseTemplates`, `requestTemplates`).
pub(crate) fn check_template_keys<'a>(
    keys: impl IntoIterator<Item = &'a String>,
) -> Result<(), ApiError> {
    let errors: Vec<String> = keys
        .into_iter()
        .filter(|k| !is_content_type(k))
        .map(|k| format!("Invalid content type specified: {k}"))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(validation_result(&errors)))
    }
}

/// A destination every grammar version accepts: checking a source against it reports only the
/// source's problem.
const PLAIN_DESTINATION: &str = "method.response.header.X";

/// A source every grammar version accepts (the empty literal): checking a destination with it
/// reports only the destination's problem.
const PLAIN_SOURCE: &str = "''";

/// Checks one `responseParameters` source expression of an integration response (SPEC §3.2)
/// with the data plane's own grammar ([`apigw_mapping::validate_response_parameter`], which
/// also parses `integration.response.body.<JSONPath>` with apigw-jsonpath), so whatever the
/// control plane accepts compiles at deployment.
///
/// # Errors
/// AWS's text for the source: `Invalid mapping expression specified: <expr>`.
pub(crate) fn check_response_source(expr: &str) -> Result<(), String> {
    apigw_mapping::validate_response_parameter(PLAIN_DESTINATION, expr)
}

/// Checks a `responseParameters` destination key (`method.response.header.<name>`, the name a
/// valid HTTP header name) with the data plane's grammar. Used for integration responses and
/// for the keys a method response declares, so both accept the same keys.
///
/// # Errors
/// AWS's text for the key: `Invalid mapping expression specified: <key>`.
pub(crate) fn check_response_destination(key: &str) -> Result<(), String> {
    apigw_mapping::validate_response_parameter(key, PLAIN_SOURCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        for ok in ["100", "200", "599"] {
            assert!(is_status_code(ok));
        }
        for bad in ["600", "099", "20", "2000", "wrong", "", "2a0"] {
            assert!(!is_status_code(bad));
        }
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/json",
            "text/plain; charset=utf-8",
            "image/*",
            "*/*",
        ] {
            assert!(is_content_type(ok), "{ok}");
        }
        for bad in ["123", "application", "/json", "a/", "a b/c", ""] {
            assert!(!is_content_type(bad), "{bad}");
        }
        let e =
            check_template_keys(&["123".to_owned(), "application/json".to_owned()]).unwrap_err();
        assert_eq!(
            e.message(),
            "Validation Result: warnings : [], errors : [Invalid content type specified: 123]"
        );
    }

    #[test]
    fn the_probes_are_accepted() {
        assert_eq!(
            apigw_mapping::validate_response_parameter(PLAIN_DESTINATION, PLAIN_SOURCE),
            Ok(())
        );
    }

    #[test]
    fn sources() {
        for ok in [
            "'*'",
            "'a b, \"c\"'",
            "''",
            "integration.response.header.ETag",
            "integration.response.multivalueheader.X",
            "integration.response.body",
            "integration.response.body.a.b[0]",
            "integration.response.body['a b']",
            "context.identity.sourceIp",
            "stageVariables.env",
        ] {
            assert_eq!(check_response_source(ok), Ok(()), "{ok}");
        }
        for bad in [
            "\"*\"",
            "true",
            "integration.response.header.",
            "integration.response.foo",
            "integration.response.body.a[?",
            "integration.response.body.a[",
            "context.",
            "context.a..b",
            "'unterminated",
            "'a\nb'",
            "method.request.header.X",
        ] {
            assert_eq!(
                check_response_source(bad),
                Err(format!("Invalid mapping expression specified: {bad}")),
                "{bad}"
            );
        }
    }

    #[test]
    fn destinations() {
        assert_eq!(
            check_response_destination("method.response.header.X-Id"),
            Ok(())
        );
        for bad in [
            "method.response.header.",
            "method.response.foo",
            "integration.response.header.Content-Type",
            "method.response.header.a b",
        ] {
            assert_eq!(
                check_response_destination(bad),
                Err(format!("Invalid mapping expression specified: {bad}")),
                "{bad}"
            );
        }
    }

    #[test]
    fn http_methods() {
        assert!(check_http_method("ANY").is_ok());
        assert_eq!(
            check_http_method("FOO").unwrap_err().message(),
            "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
        );
    }
}
