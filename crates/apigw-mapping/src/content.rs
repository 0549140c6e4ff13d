//! Binary support: `binaryMediaTypes` classification and `contentHandling` conversion
//! (SPEC §6).
//!
//! The whole conversion table of §6.3 reduces to one rule:
//! a *binary* payload is base64-encoded when `CONVERT_TO_TEXT` is set, or when nothing is set
//! and the client accepts text, and passes unchanged otherwise; a *text* payload is
//! base64-decoded when `CONVERT_TO_BINARY` is set, or when nothing is set and the client
//! accepts binary, and is decoded as UTF-8 (lossily, with U+FFFD) otherwise.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use bytes::Bytes;

use crate::model::ContentHandling;

/// The standard-alphabet base64 engine with canonical padding required, built once. Uses the
/// `base64` crate's runtime-detected SIMD engine where the CPU has one.
static BASE64: LazyLock<base64::engine::Simd> = LazyLock::new(|| {
    base64::engine::Simd::standard(
        GeneralPurposeConfig::new()
            .with_encode_padding(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    )
});

/// Encodes bytes as standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes strict standard base64 (padding required, no whitespace, canonical trailing bits).
pub fn base64_decode(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    BASE64.decode(text)
}

/// The REST API's `binaryMediaTypes`, compiled for matching (SPEC §6.1–6.2).
#[derive(Debug, Clone, Default)]
pub struct BinaryMediaTypes {
    /// Lower-cased `type/subtype` entries (a `type/*` entry is kept as is).
    exact: Vec<String>,
    /// Lower-cased `type` of `type/*` entries.
    wildcard_types: Vec<String>,
    /// Whether an entry `*/*` makes every type binary.
    all: bool,
}

impl BinaryMediaTypes {
    /// Compiles the entries. Entries `*/subtype` can never match and are kept only so that an
    /// identical literal `Accept` value still matches, as AWS compares wildcards literally.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::BinaryMediaTypes;
    /// let b = BinaryMediaTypes::new(["image/png", "application/*"]);
    /// assert!(b.matches("image/png"));
    /// assert!(b.matches("application/whatever; charset=x"));
    /// assert!(!b.matches("image/*"));
    /// assert!(!b.matches("application"));
    /// ```
    pub fn new<I, S>(entries: I) -> BinaryMediaTypes
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = BinaryMediaTypes::default();
        for e in entries {
            let e = e.as_ref().trim().to_ascii_lowercase();
            if e == "*/*" {
                out.all = true;
            } else if let Some(t) = e.strip_suffix("/*") {
                if t != "*" && !t.is_empty() {
                    out.wildcard_types.push(t.to_owned());
                }
                out.exact.push(e);
            } else {
                out.exact.push(e);
            }
        }
        out
    }

    /// Whether no entry is configured.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && !self.all
    }

    /// Whether a media type (parameters allowed, compared case-insensitively) is binary.
    pub fn matches(&self, media_type: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let mime = mime_type(media_type);
        let Some((ty, subtype)) = mime.split_once('/') else {
            return false;
        };
        if ty.is_empty() || subtype.is_empty() {
            return false;
        }
        if self.all {
            return true;
        }
        if self.exact.iter().any(|e| e.eq_ignore_ascii_case(mime)) {
            return true;
        }
        // A wildcard in the compared value itself is compared literally (done above).
        if ty == "*" || subtype == "*" {
            return false;
        }
        self.wildcard_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(ty))
    }
}

/// The MIME type of a media type: parameters after `;` removed, surrounding spaces trimmed.
pub fn mime_type(media_type: &str) -> &str {
    let end = media_type
        .bytes()
        .position(|b| b == b';')
        .unwrap_or(media_type.len());
    media_type[..end].trim()
}

/// The first media range of an `Accept` header value (AWS honours only the first).
pub fn first_accept_media_type(accept: &str) -> &str {
    // The first media range ends at the first `,`, its MIME type at the first `;`.
    let end = crate::compact::find_either(accept.as_bytes(), b',', b';').unwrap_or(accept.len());
    trim_fast(&accept[..end])
}

/// `str::trim`, with a shortcut for the common value that starts and ends with a visible
/// ASCII character (nothing to trim).
#[inline]
pub(crate) fn trim_fast(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// A body after conversion.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The body bytes.
    pub bytes: Bytes,
    /// Whether the body is text (then valid UTF-8: invalid sequences were replaced) rather than
    /// a binary blob.
    pub is_text: bool,
    /// The row of the SPEC §6.3 table's rule that was taken, for diagnostics.
    pub action: Conversion,
}

/// Which conversion was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Text decoded as UTF-8 (invalid sequences replaced with U+FFFD).
    Utf8Text,
    /// Text base64-decoded into a binary blob.
    Base64Decoded,
    /// Binary base64-encoded into text.
    Base64Encoded,
    /// Binary passed unchanged.
    BinaryUnchanged,
}

/// Converts a body (SPEC §6.3). `payload_binary` and `accept_binary` come from
/// [`BinaryMediaTypes::matches`] on the integration `Content-Type` and on the first `Accept`
/// media type. Fails only when a base64 decode is required and the body is not strict base64.
pub fn convert(
    body: &Bytes,
    payload_binary: bool,
    accept_binary: bool,
    handling: Option<ContentHandling>,
) -> Result<Converted, base64::DecodeError> {
    if payload_binary {
        let encode = match handling {
            Some(ContentHandling::ConvertToText) => true,
            Some(ContentHandling::ConvertToBinary) => false,
            None => !accept_binary,
        };
        if encode {
            Ok(Converted {
                bytes: Bytes::from(base64_encode(body)),
                is_text: true,
                action: Conversion::Base64Encoded,
            })
        } else {
            Ok(Converted {
                bytes: body.clone(),
                is_text: false,
                action: Conversion::BinaryUnchanged,
            })
        }
    } else {
        let decode = match handling {
            Some(ContentHandling::ConvertToBinary) => true,
            Some(ContentHandling::ConvertToText) => false,
            None => accept_binary,
        };
        if decode {
            Ok(Converted {
                bytes: Bytes::from(base64_decode(body)?),
                is_text: false,
                action: Conversion::Base64Decoded,
            })
        } else {
            Ok(Converted {
                bytes: utf8_lossy(body),
                is_text: true,
                action: Conversion::Utf8Text,
            })
        }
    }
}

/// Returns the body unchanged when it is valid UTF-8 (no copy), else a copy with every invalid
/// sequence replaced by U+FFFD, as AWS does.
pub fn utf8_lossy(body: &Bytes) -> Bytes {
    // A short ASCII body (the common small JSON answer) is settled by a word-at-a-time ASCII
    // check, cheaper than `from_utf8`'s set-up; otherwise `from_utf8` is the fast check. The
    // lossy path only runs on invalid input.
    const ASCII_FIRST: usize = 1024;
    if (body.len() <= ASCII_FIRST && body.is_ascii()) || std::str::from_utf8(body).is_ok() {
        return body.clone();
    }
    Bytes::from(String::from_utf8_lossy(body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_as_it_is_when_valid_and_repaired_when_not() {
        let same = |b: &'static [u8]| {
            let body = Bytes::from_static(b);
            let out = utf8_lossy(&body);
            out.as_ptr() == body.as_ptr() && out == body
        };
        let long_ascii: &'static [u8] = Box::leak(vec![b'a'; 5000].into_boxed_slice());
        let mut long_tail = vec![b'a'; 5000];
        long_tail.extend_from_slice("é".as_bytes());
        let long_tail: &'static [u8] = Box::leak(long_tail.into_boxed_slice());
        for valid in [
            &b""[..],
            b"{}",
            "caf\u{e9} \u{6771}".as_bytes(),
            long_ascii,
            long_tail,
        ] {
            assert!(same(valid), "{:?}", String::from_utf8_lossy(valid));
        }
        for (invalid, repaired) in [
            (&b"a\xffb"[..], "a\u{fffd}b"),
            (b"\xe6\x9d", "\u{fffd}"),
            (b"\xc0\xaf", "\u{fffd}\u{fffd}"),
        ] {
            assert_eq!(
                utf8_lossy(&Bytes::from_static(invalid)),
                repaired.as_bytes()
            );
        }
        let mut long_invalid = vec![b'a'; 3000];
        long_invalid.push(0xff);
        let out = utf8_lossy(&Bytes::from(long_invalid));
        assert!(out.ends_with("\u{fffd}".as_bytes()) && out.len() == 3003);
    }

    #[test]
    fn media_type_rules() {
        let b = BinaryMediaTypes::new(["image/png", "*/test", "application/*"]);
        assert!(!b.matches("image/*"));
        assert!(!b.matches("*/*"));
        assert!(b.matches("image/png"));
        assert!(b.matches("IMAGE/PNG"));
        assert!(!b.matches("foo/test"));
        assert!(b.matches("application/whatever"));
        assert!(!b.matches("application"));
        assert!(!b.matches(""));
        assert!(BinaryMediaTypes::new(["*/*"]).matches("text/plain"));
        assert!(!BinaryMediaTypes::new(["*/*"]).matches("text"));
        assert!(!BinaryMediaTypes::new(Vec::<String>::new()).matches("image/png"));
    }

    #[test]
    fn first_accept() {
        assert_eq!(
            first_accept_media_type("image/webp,image/png,*/*;q=0.8"),
            "image/webp"
        );
        assert_eq!(first_accept_media_type(" text/html ; q=1"), "text/html");
        // The byte scan agrees with splitting on `,` then `;`.
        for accept in [
            "",
            ",",
            ";",
            "a/b",
            " a/b ;q=1, c/d",
            "a/b,c/d;x",
            "a/b;x,c/d",
            "\u{a0}a/b\u{2003};",
            "*/*",
        ] {
            let split = accept.split(',').next().unwrap_or("");
            let split = split.split(';').next().unwrap_or("").trim();
            assert_eq!(first_accept_media_type(accept), split, "{accept:?}");
            let m = accept.split(';').next().unwrap_or("").trim();
            assert_eq!(mime_type(accept), m, "{accept:?}");
        }
    }

    #[test]
    fn table_rule() {
        let txt = Bytes::from_static(b"aGk=");
        let c = convert(&txt, false, true, None).unwrap();
        assert_eq!(&c.bytes[..], b"hi");
        assert!(!c.is_text);
        let c = convert(&txt, false, true, Some(ContentHandling::ConvertToText)).unwrap();
        assert_eq!(&c.bytes[..], b"aGk=");
        let c = convert(&txt, true, false, Some(ContentHandling::ConvertToBinary)).unwrap();
        assert_eq!(&c.bytes[..], b"aGk=");
        let c = convert(&txt, true, true, Some(ContentHandling::ConvertToText)).unwrap();
        assert_eq!(&c.bytes[..], b"YUdrPQ==");
        assert!(convert(&Bytes::from_static(b"aGk"), false, true, None).is_err());
        assert!(convert(&Bytes::from_static(b"aGk=\n"), false, true, None).is_err());
        let bad = Bytes::from_static(b"a\xffb");
        assert_eq!(
            &convert(&bad, false, false, None).unwrap().bytes[..],
            "a\u{fffd}b".as_bytes()
        );
    }
}
