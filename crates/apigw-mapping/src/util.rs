//! The `$util` functions of API Gateway mapping templates (SPEC §5.6), as pure functions.
//!
//! Each reproduces the Java library API Gateway runs: Apache Commons Lang's
//! `escapeJavaScript`, `java.net.URLEncoder`/`URLDecoder` with UTF-8, and base64 over UTF-8.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Commons Lang `StringEscapeUtils.escapeJavaScript`: `'` → `\'`, `"` → `\"`, `\` → `\\`,
/// `/` → `\/`, `\b \f \n \r \t` by name, other control characters and every non-ASCII UTF-16
/// unit as `\uXXXX` (upper-case hex).
///
/// # Example
/// ```
/// use apigw_mapping::util::escape_javascript;
/// assert_eq!(escape_javascript("it's \"é\"/\n"), r#"it\'s \"\u00E9\"\/\n"#);
/// ```
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_javascript_into(s, &mut out);
    out
}

/// Whether `escapeJavaScript` leaves byte `b` as it is, and it is a character of its own:
/// printable ASCII but quotes, `\` and `/`, and DEL (which Commons Lang does not escape).
#[inline]
pub(crate) fn js_plain(b: u8) -> bool {
    (0x20..=0x7f).contains(&b) && !matches!(b, b'\'' | b'"' | b'\\' | b'/')
}

/// [`escape_javascript`] appended to `out` (what printing `$util.escapeJavaScript(…)` writes).
///
/// # Example
/// ```
/// let mut out = String::from("name: ");
/// apigw_mapping::util::escape_javascript_into("O'Neil", &mut out);
/// assert_eq!(out, r"name: O\'Neil");
/// ```
pub fn escape_javascript_into(s: &str, out: &mut String) {
    // The leading run that needs no escape is copied at once.
    let plain = s.bytes().take_while(|&b| js_plain(b)).count();
    // (An ASCII prefix ends on a character boundary.)
    out.push_str(&s[..plain]);
    for c in s[plain..].chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04X}", u);
                }
            }
            c => out.push(c),
        }
    }
}

/// `URLEncoder.encode(s, "UTF-8")`: `a-z A-Z 0-9 . - * _` unchanged, space → `+`, every other
/// byte of the UTF-8 encoding → `%XX` (upper case).
///
/// # Example
/// ```
/// use apigw_mapping::util::url_encode;
/// assert_eq!(url_encode(r#"{"some": "value"}"#), "%7B%22some%22%3A+%22value%22%7D");
/// assert_eq!(url_encode("a~b*c"), "a%7Eb*c");
/// ```
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    url_encode_into(s, &mut out);
    out
}

/// [`url_encode`] appended to `out` (what printing `$util.urlEncode(…)` writes).
///
/// # Example
/// ```
/// let mut out = String::from("q=");
/// apigw_mapping::util::url_encode_into("a b/c", &mut out);
/// assert_eq!(out, "q=a+b%2Fc");
/// ```
pub fn url_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// `URLDecoder.decode(s, "UTF-8")`: `+` → space, `%XX` runs decoded as UTF-8 (malformed
/// sequences become U+FFFD).
///
/// # Errors
/// Java's `IllegalArgumentException` cases: a `%` not followed by two hex digits.
///
/// # Example
/// ```
/// use apigw_mapping::util::url_decode;
/// assert_eq!(url_decode("a+b%20c%C3%A9").unwrap(), "a b cé");
/// assert!(url_decode("100%").is_err());
/// ```
pub fn url_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut run: Vec<u8> = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                run.clear();
                while i < bytes.len() && bytes[i] == b'%' {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| {
                            format!("URLDecoder: Illegal hex characters in escape (%) pattern at index {i}")
                        })?;
                    run.push(hex);
                    i += 3;
                }
                out.push_str(&String::from_utf8_lossy(&run));
            }
            b'+' => {
                out.push(' ');
                i += 1;
            }
            _ => {
                // Copy the whole UTF-8 character.
                let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(ch);
                i += ch.len_utf8().max(1);
            }
        }
    }
    Ok(out)
}

/// Standard base64 with padding over the UTF-8 bytes.
///
/// # Example
/// ```
/// assert_eq!(apigw_mapping::util::base64_encode("hé"), "aMOp");
/// ```
pub fn base64_encode(s: &str) -> String {
    crate::content::base64_encode(s.as_bytes())
}

/// Decodes standard base64 (padding optional) and reads the bytes as UTF-8 (lossily).
///
/// # Errors
/// A message when the text is not base64.
///
/// # Example
/// ```
/// assert_eq!(apigw_mapping::util::base64_decode("aMOp").unwrap(), "hé");
/// assert_eq!(apigw_mapping::util::base64_decode("aGk").unwrap(), "hi");
/// ```
pub fn base64_decode(s: &str) -> Result<String, String> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT
        .decode(s.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| format!("base64Decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_javascript_cases() {
        assert_eq!(escape_javascript(""), "");
        assert_eq!(
            escape_javascript("\u{1}\u{1f}\u{7f}"),
            "\\u0001\\u001F\u{7f}"
        );
        assert_eq!(escape_javascript("\u{8}\u{c}\r\t"), "\\b\\f\\r\\t");
        assert_eq!(escape_javascript("😀"), "\\uD83D\\uDE00");
        assert_eq!(escape_javascript("ĀῼＡ"), "\\u0100\\u1FFC\\uFF21");
        assert_eq!(escape_javascript("a\\b"), "a\\\\b");
    }

    #[test]
    fn url_round_trip() {
        for s in ["", "a b", "é€😀", "&=?/#%+", "some raw data"] {
            assert_eq!(url_decode(&url_encode(s)).unwrap(), s);
        }
        assert_eq!(url_encode("some raw data"), "some+raw+data");
        assert_eq!(url_encode("é"), "%C3%A9");
        assert!(url_decode("%zz").unwrap_err().contains("Illegal hex"));
        assert_eq!(url_decode("%C3").unwrap(), "\u{fffd}");
    }
}
