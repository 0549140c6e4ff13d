//! Per-request identifiers, clock formatting, percent-decoding and the `$context` object.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arrayvec::ArrayString;
use serde_json::{Map, Value, json};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 bits that differ per call: SplitMix64 over a per-process seed (the clock and the process
/// id when first called) plus a counter. The finalizer is a bijection, so two calls in one
/// process never return the same value; no clock read or system call per call.
fn next_random() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 32)
    });
    let mut z = seed.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A request's `requestId` and `extendedRequestId`, kept on the stack: a `String` is made only
/// where one is stored (in a full `$context`; otherwise they go into the request's typed ids,
/// [`apigw_mapping::RequestContext::request_id`], without a heap allocation). Checked as
/// UTF-8 once, when made: reading them costs nothing ([`arrayvec::ArrayString`]).
#[derive(Debug, Clone, Copy)]
pub struct RequestIds {
    request_id: ArrayString<36>,
    extended_request_id: ArrayString<16>,
}

/// Bytes aligned to a machine word: `str::from_utf8` checks ASCII a word at a time only from
/// an aligned address (byte by byte otherwise: about three times the instructions).
#[repr(C, align(8))]
struct Aligned([u8; 52]);

impl RequestIds {
    /// Fresh ids.
    pub fn new() -> RequestIds {
        // Both ids made side by side and checked as UTF-8 in one pass (ASCII by construction:
        // the fallbacks, empty, are never taken).
        let mut both = Aligned([0; 52]);
        both.0[..36].copy_from_slice(&uuid(next_random(), next_random()));
        both.0[36..].copy_from_slice(&extended_request_id_bytes());
        let (request_id, extended_request_id) = match std::str::from_utf8(&both.0) {
            Ok(s) => (
                ArrayString::from(&s[..36]).unwrap_or_default(),
                ArrayString::from(&s[36..]).unwrap_or_default(),
            ),
            Err(_) => (ArrayString::new(), ArrayString::new()),
        };
        RequestIds {
            request_id,
            extended_request_id,
        }
    }

    /// The request id (a version-4 style UUID).
    pub fn request_id(&self) -> &str {
        self.request_id.as_str()
    }

    /// The extended request id (16 characters, ends in `=`).
    pub fn extended_request_id(&self) -> &str {
        self.extended_request_id.as_str()
    }
}

impl Default for RequestIds {
    fn default() -> RequestIds {
        RequestIds::new()
    }
}

/// A request id in API Gateway's shape (a version-4 style UUID).
pub fn request_id() -> String {
    RequestIds::new().request_id().to_owned()
}

/// The UUID of 128 random bits `a`, `b`: `a`'s top 32, next 16 and low 12 bits after a `4`,
/// `b`'s top 14 bits after the variant bits `10`, `b`'s low 48 bits, in hex.
fn uuid(a: u64, b: u64) -> [u8; 36] {
    // Two hex digits per byte from a table (`format!` with five hex fields costs more than
    // the random numbers).
    let mut s = [b'-'; 36];
    let a = a.to_be_bytes();
    let mut b = b.to_be_bytes();
    b[0] = (b[0] & 0x3f) | 0x80;
    for (at, bytes) in [
        (0, &a[..4]),
        (9, &a[4..6]),
        (14, &a[6..]),
        (19, &b[..2]),
        (24, &b[2..]),
    ] {
        for (i, byte) in bytes.iter().enumerate() {
            s[at + 2 * i..at + 2 * i + 2].copy_from_slice(&HEX_PAIRS[usize::from(*byte)]);
        }
    }
    // The version digit replaces the high digit of `a`'s seventh byte.
    s[14] = b'4';
    s
}

/// Every byte as two lowercase hex digits.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xf]];
        i += 1;
    }
    t
};

/// An `extendedRequestId` / `x-amz-apigw-id` in API Gateway's shape (16 characters, ends in
/// `=`).
pub fn extended_request_id() -> String {
    RequestIds::new().extended_request_id().to_owned()
}

fn extended_request_id_bytes() -> [u8; 16] {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = [b'='; 16];
    // Base-62 digits of two random fractions (8 and 7 digits, about 6 bits each of their 64):
    // multiplying the fraction by 62 gives the next digit as its integer part, no division.
    for chunk in s[..15].chunks_mut(8) {
        let mut fraction = next_random();
        for c in chunk {
            let product = u128::from(fraction) * 62;
            *c = ALPHABET[(product >> 64) as usize];
            fraction = product as u64;
        }
    }
    s
}

/// Days since 1970-01-01 to a civil (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A point in time split into the fields the formats below need.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Milliseconds since the Unix epoch.
    pub epoch_millis: i64,
}

impl Clock {
    /// The current time.
    pub fn now() -> Clock {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Clock { epoch_millis: ms }
    }

    fn parts(self) -> (i64, u32, u32, i64, i64, i64) {
        let secs = self.epoch_millis.div_euclid(1000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60)
    }

    /// `$context.requestTime`: `26/Nov/2026:10:05:55 +0000` (CLF format).
    pub fn clf(self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (y, m, d, hh, mm, ss) = self.parts();
        format!(
            "{d:02}/{}/{y}:{hh:02}:{mm:02}:{ss:02} +0000",
            MONTHS[(m - 1) as usize]
        )
    }

    /// SigV4's `X-Amz-Date`: `20261126T100555Z`.
    pub fn amz_date(self) -> String {
        let (y, m, d, hh, mm, ss) = self.parts();
        format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
    }
}

/// Percent-decodes `s` (invalid escapes are kept as they are); `+` is kept.
pub fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// Percent-decodes `s`, with `+` as a space when `plus_is_space` (query strings). Text
/// without `%` (or `+`) is copied once; decoded bytes that are not UTF-8 become U+FFFD.
fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c == b'%' || (plus_is_space && c == b'+')) {
        return s.to_owned();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b[i] == b'+' {
            b' '
        } else {
            b[i]
        });
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when
/// `keep_slash`).
pub fn percent_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    percent_encode_into(&mut out, s, keep_slash);
    out
}

/// [`percent_encode`] appending to `out`.
pub fn percent_encode_into(out: &mut String, s: &str, keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) || (keep_slash && c == b'/') {
            out.push(c as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        }
    }
}

/// Query-string pairs, decoded (`+` is a space, as API Gateway reads query strings).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// What `$context` is built from.
#[derive(Debug)]
pub struct ContextInput<'a> {
    /// `requestId`.
    pub request_id: &'a str,
    /// `extendedRequestId`.
    pub extended_request_id: &'a str,
    /// The REST API id.
    pub api_id: &'a str,
    /// The account id.
    pub account_id: &'a str,
    /// The stage name.
    pub stage: &'a str,
    /// The deployment id.
    pub deployment_id: &'a str,
    /// The client's HTTP method.
    pub http_method: &'a str,
    /// The resource id.
    pub resource_id: &'a str,
    /// The resource path template.
    pub resource_path: &'a str,
    /// The full request path, stage included.
    pub path: &'a str,
    /// `Host` of the request.
    pub domain_name: &'a str,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub protocol: &'a str,
    /// The client's address.
    pub source_ip: &'a str,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// When the request arrived.
    pub clock: Clock,
}

/// Builds `$context` as API Gateway fills it for a REST API without authorizers.
pub fn context_object(c: &ContextInput<'_>) -> Map<String, Value> {
    let domain_prefix = c.domain_name.split('.').next().unwrap_or("");
    let value = json!({
        "accountId": c.account_id,
        "apiId": c.api_id,
        "deploymentId": c.deployment_id,
        "domainName": c.domain_name,
        "domainPrefix": domain_prefix,
        "extendedRequestId": c.extended_request_id,
        "httpMethod": c.http_method,
        "identity": {
            "accountId": null,
            "caller": null,
            "sourceIp": c.source_ip,
            "user": null,
            "userAgent": c.user_agent,
            "userArn": null,
        },
        "path": c.path,
        "protocol": c.protocol,
        "requestId": c.request_id,
        "requestTime": c.clock.clf(),
        "requestTimeEpoch": c.clock.epoch_millis,
        "resourceId": c.resource_id,
        "resourcePath": c.resource_path,
        "stage": c.stage,
    });
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats() {
        // 2015-08-30T12:36:00Z
        let c = Clock {
            epoch_millis: 1_440_938_160_000,
        };
        assert_eq!(c.amz_date(), "20150830T123600Z");
        assert_eq!(c.clf(), "30/Aug/2015:12:36:00 +0000");
    }

    #[test]
    fn uuid_layout() {
        assert_eq!(
            &uuid(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
            b"01234567-89ab-4def-bedc-ba9876543210"
        );
        assert_eq!(&uuid(0, 0), b"00000000-0000-4000-8000-000000000000");
        assert_eq!(
            &uuid(u64::MAX, u64::MAX),
            b"ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
    }

    #[test]
    fn ids_have_aws_shapes() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(id.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, request_id());
        // Read twice, or from a copy: the same ids.
        let ids = RequestIds::new();
        let copy = ids;
        assert_eq!(ids.request_id(), copy.request_id());
        assert_eq!(ids.request_id().len(), 36);
        assert_eq!(ids.extended_request_id(), copy.extended_request_id());
        assert_eq!(ids.extended_request_id().len(), 16);
        let ext = extended_request_id();
        assert_eq!(ext.len(), 16);
        assert!(ext.ends_with('='));
        assert!(ext[..15].bytes().all(|c| c.is_ascii_alphanumeric()));
        // Every position takes all 62 characters (the last digits of each random fraction
        // included) and every hex digit.
        let mut ext_seen = [[false; 128]; 15];
        let mut hex_seen = [[false; 128]; 36];
        for _ in 0..4000 {
            let ids = RequestIds::new();
            for (seen, c) in ext_seen.iter_mut().zip(ids.extended_request_id().bytes()) {
                seen[usize::from(c)] = true;
            }
            for (seen, c) in hex_seen.iter_mut().zip(ids.request_id().bytes()) {
                seen[usize::from(c)] = true;
            }
        }
        for (i, seen) in ext_seen.iter().enumerate() {
            assert_eq!(seen.iter().filter(|s| **s).count(), 62, "position {i}");
        }
        for i in [0, 7, 9, 12, 15, 17, 20, 22, 24, 35] {
            assert_eq!(
                hex_seen[i].iter().filter(|s| **s).count(),
                16,
                "position {i}"
            );
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
        assert_eq!(percent_decode("a+b%2B"), "a+b+");
        assert_eq!(percent_decode("plain"), "plain");
        assert_eq!(percent_decode("%ff%41"), "\u{fffd}A");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_encode("arn:aws/x y", false), "arn%3Aaws%2Fx%20y");
        assert_eq!(
            query_pairs("a=1&b=x+y&c&d+e=%2B+%2b%zz"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), String::new()),
                ("d e".into(), "+ +%zz".into())
            ]
        );
    }
}
