//! AWS Signature Version 4 verification of control-plane requests (`Authorization:
//! AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`), service `apigateway`,
//! any region, following AWS's published signing algorithm.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorKind};
use crate::store::Credentials;

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "apigateway";

/// The parts of a request that the signature covers. `path` and `query` are as sent on the
/// wire (percent-encoded, the query without `?`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: &'a [u8],
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// URI-encodes every byte except the unreserved characters (and `/` when `keep_slash`).
fn uri_encode(s: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (other bytes as they are).
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|x| u8::from_str_radix(x, 16).ok());
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_header_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request of AWS's algorithm, for `signed_headers` (lower-case, `;`-joined).
fn canonical_request(req: &SignedRequest<'_>, signed_headers: &str) -> String {
    let path = if req.path.is_empty() { "/" } else { req.path };
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_header_value(v))
            .collect();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(path.as_bytes(), true),
        canonical_query(req.query),
        canonical_headers,
        signed_headers,
        sha256_hex(req.body)
    )
}

/// The hex signature of `req` (AWS's algorithm, any service).
pub(crate) fn signature(
    req: &SignedRequest<'_>,
    secret: &str,
    amz_date: &str,
    scope_date: &str,
    region: &str,
    service: &str,
    signed_headers: &str,
) -> Vec<u8> {
    let scope = format!("{scope_date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request(req, signed_headers).as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), scope_date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hmac(&k_signing, string_to_sign.as_bytes())
}

/// Seconds since the epoch of a `YYYYMMDDTHHMMSSZ` timestamp.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYYMMDDTHHMMSSZ` of epoch seconds.
pub(crate) fn format_amz_date(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn incomplete(msg: String) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, msg)
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, msg)
}

/// Verifies the request's signature against `credentials` at time `now`.
pub(crate) fn verify(
    req: &SignedRequest<'_>,
    credentials: &[Credentials],
    now: SystemTime,
    max_skew_secs: u64,
) -> Result<(), ApiError> {
    let Some(auth) = header(req.headers, "authorization") else {
        return Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let Some(params) = auth.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' ')) else {
        let algorithm = auth.split_whitespace().next().unwrap_or("");
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Authorization={auth}"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut sig = None;
    for part in params.split(',') {
        let part = part.trim();
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed_headers = Some(v.trim()),
            Some(("Signature", v)) => sig = Some(v.trim()),
            _ => {}
        }
    }
    let amz_date = header(req.headers, "x-amz-date");
    let mut missing = Vec::new();
    for (name, v) in [
        ("Credential", credential.is_some()),
        ("Signature", sig.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !v {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if amz_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header."
                .to_owned(),
        );
    }
    let (Some(credential), Some(signed_headers), Some(sig), Some(amz_date), true) = (
        credential,
        signed_headers,
        sig,
        amz_date,
        missing.is_empty(),
    ) else {
        return Err(incomplete(format!(
            "{} Authorization={auth}",
            missing.join(" ")
        )));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, scope_date, region, service, terminator] = scope[..] else {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region, not ''. Authorization={auth}"
        )));
    };
    if terminator != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not \
             '{terminator}'. "
        )));
    }
    if !signed_headers.split(';').any(|h| h == "host") {
        return Err(incomplete(format!(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization. \
             Authorization={auth}"
        )));
    }
    let Some(key) = credentials.iter().find(|c| c.access_key_id == access_key) else {
        return Err(ApiError::new(
            ErrorKind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    };
    if service != SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    let Some(request_time) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if !amz_date.starts_with(scope_date) {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{scope_date}' != '{}', from '{amz_date}'.",
            &amz_date[..8]
        )));
    }
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let skew = i64::try_from(max_skew_secs).unwrap_or(i64::MAX);
    let minutes = max_skew_secs / 60;
    if request_time < now_secs.saturating_sub(skew) {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
            format_amz_date(now_secs - skew),
            format_amz_date(now_secs)
        )));
    }
    if request_time > now_secs.saturating_add(skew) {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} \
             min.)",
            format_amz_date(now_secs + skew),
            format_amz_date(now_secs)
        )));
    }
    let expected = signature(
        req,
        &key.secret_access_key,
        amz_date,
        scope_date,
        region,
        service,
        signed_headers,
    );
    // Constant-time comparison through the MAC's own verifier.
    let provided = decode_hex(sig).unwrap_or_default();
    let mut check = HmacSha256::new_from_slice(b"compare").expect("any key length");
    check.update(&expected);
    let tag = check.finalize().into_bytes();
    let mut check2 = HmacSha256::new_from_slice(b"compare").expect("any key length");
    check2.update(&provided);
    if check2.verify_slice(&tag).is_err() {
        return Err(invalid(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ));
    }
    Ok(())
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn sha256_and_hmac_known_answers() {
        // FIPS 180-2 "abc" and RFC 4231 test case 2.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert_eq!(
            parse_amz_date("20240229T000000Z")
                .map(format_amz_date)
                .as_deref(),
            Some("20240229T000000Z")
        );
        assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
    }

    #[test]
    fn aws_get_vanilla_example() {
        // AWS's published SigV4 example "get-vanilla": GET / on example.amazonaws.com,
        // service "service", region us-east-1, key AKIDEXAMPLE.
        let h = headers(&[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]);
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &h,
            body: b"",
        };
        let sig = signature(
            &req,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830T123600Z",
            "20150830",
            "us-east-1",
            "service",
            "host;x-amz-date",
        );
        assert_eq!(
            hex(&sig),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(
            canonical_query("mode=import&x=a%20b"),
            "mode=import&x=a%20b"
        );
        assert_eq!(canonical_query("k=a b"), "k=a%20b");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb"), b"a/b");
        assert_eq!(percent_decode("%zz%"), b"%zz%");
        assert_eq!(percent_decode("%4"), b"%4");
    }

    fn creds() -> Vec<Credentials> {
        vec![Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }]
    }

    fn at(s: &str) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(parse_amz_date(s).unwrap()).unwrap())
    }

    #[test]
    fn missing_and_malformed_headers() {
        let h = headers(&[("Host", "h")]);
        let req = SignedRequest {
            method: "GET",
            path: "/restapis",
            query: "",
            headers: &h,
            body: b"",
        };
        let e = verify(&req, &creds(), at("20150830T123600Z"), 900).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingAuthenticationToken);
        assert_eq!(e.message(), "Missing Authentication Token");

        let h = headers(&[
            ("Host", "h"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/apigateway/aws4_request",
            ),
        ]);
        let req = SignedRequest { headers: &h, ..req };
        let e = verify(&req, &creds(), at("20150830T123600Z"), 900).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IncompleteSignature);
        assert_eq!(
            e.message(),
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization header requires existence of either a \
             'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 \
             Credential=AKIDEXAMPLE/20150830/us-east-1/apigateway/aws4_request"
        );
    }

    /// Signs like a client would and checks that verification accepts it, and rejects
    /// tampering with body, path, key and time.
    #[test]
    fn round_trip_and_tampering() {
        let body = br#"{"name":"pets"}"#;
        let amz = "20150830T123600Z";
        let mut h = headers(&[
            ("Host", "apigateway.us-east-1.amazonaws.com"),
            ("X-Amz-Date", amz),
            ("Content-Type", "application/x-amz-json-1.1"),
        ]);
        let req = SignedRequest {
            method: "POST",
            path: "/restapis",
            query: "",
            headers: &h,
            body,
        };
        let sig = hex(&signature(
            &req,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            amz,
            "20150830",
            "us-east-1",
            "apigateway",
            "content-type;host;x-amz-date",
        ));
        h.push((
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/apigateway/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature={sig}"
            ),
        ));
        let ok = SignedRequest {
            method: "POST",
            path: "/restapis",
            query: "",
            headers: &h,
            body,
        };
        verify(&ok, &creds(), at("20150830T124000Z"), 900).unwrap();

        let tampered_body = SignedRequest {
            body: br#"{"name":"evil"}"#,
            ..ok
        };
        let e = verify(&tampered_body, &creds(), at("20150830T124000Z"), 900).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSignature);
        assert!(
            e.message()
                .starts_with("The request signature we calculated does not match")
        );

        let tampered_path = SignedRequest {
            path: "/restapis/x",
            ..ok
        };
        assert!(verify(&tampered_path, &creds(), at("20150830T124000Z"), 900).is_err());

        let other_secret = vec![Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "other".into(),
        }];
        assert_eq!(
            verify(&ok, &other_secret, at("20150830T124000Z"), 900)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidSignature
        );

        let unknown = vec![Credentials {
            access_key_id: "AKIDOTHER".into(),
            secret_access_key: "x".into(),
        }];
        let e = verify(&ok, &unknown, at("20150830T124000Z"), 900).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnrecognizedClient);
        assert_eq!(
            e.message(),
            "The security token included in the request is invalid."
        );

        let e = verify(&ok, &creds(), at("20150830T130100Z"), 900).unwrap_err();
        assert_eq!(
            e.message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z \
             (20150830T130100Z - 15 min.)"
        );
    }
}
