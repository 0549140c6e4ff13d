//! A direct JSON-to-template-value reader for `$input.path('$')`, the commonest read of the
//! body: one pass over the bytes, no `serde` machinery, object keys and short strings interned
//! through a small hash table.
//!
//! It is deliberately partial: whatever it does not handle exactly as the `serde_json` path
//! does (invalid JSON, numbers beyond the exactly representable range, lone surrogates, deep
//! nesting) makes it answer `None`, and the caller falls back to the `serde_json` reader, which
//! then produces the same value or the same error as before. So `Some(v)` is always the value
//! the `serde_json` path would have built.

use apigw_vtl::Value;

/// Containers nested deeper than this go to the fallback (which enforces `serde_json`'s own
/// recursion limit and its error).
const MAX_DEPTH: u32 = 100;

/// Reads `input` (one JSON value with optional surrounding whitespace) into template values,
/// or `None` when the fallback must decide.
pub(crate) fn read(input: &[u8]) -> Option<Value> {
    // Validated once: strings are then sliced at quotes (ASCII, so on character boundaries).
    let text = std::str::from_utf8(input).ok()?;
    let mut r = Reader {
        text,
        input,
        pos: 0,
        strings: STRINGS.with(std::cell::RefCell::take),
    };
    let v = r.value(0);
    r.skip_ws();
    let complete = r.pos == input.len();
    STRINGS.with(|cache| *cache.borrow_mut() = r.strings);
    v.filter(|_| complete)
}

struct Reader<'a> {
    text: &'a str,
    input: &'a [u8],
    pos: usize,
    /// The per-thread string cache, held for the length of one document.
    strings: Vec<(u32, Value)>,
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

impl Reader<'_> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.skip_ws();
                let mut entries = Vec::new();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(Value::map_with_keys(entries));
                }
                entries.reserve(4);
                loop {
                    self.skip_ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    entries.push((key, v));
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(Value::map_with_keys(entries));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.skip_ws();
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(crate::render::json_array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(crate::render::json_array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true", Value::bool(true)),
            b'f' => self.literal(b"false", Value::bool(false)),
            b'n' => self.literal(b"null", Value::null()),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(v)
        } else {
            None
        }
    }

    /// A string (the cursor on its opening quote), unescaped and interned.
    fn string(&mut self) -> Option<Value> {
        let start = self.pos + 1;
        let end = start + crate::compact::string_run(&self.input[start..]);
        match *self.input.get(end)? {
            b'"' => {
                self.pos = end + 1;
                let s = self.text.get(start..end)?;
                Some(intern(&mut self.strings, s))
            }
            b'\\' => {
                let mut buf = String::with_capacity(end - start + 16);
                buf.push_str(self.text.get(start..end)?);
                self.pos = end;
                loop {
                    // At a backslash.
                    let esc = *self.input.get(self.pos + 1)?;
                    self.pos += 2;
                    match esc {
                        b'"' => buf.push('"'),
                        b'\\' => buf.push('\\'),
                        b'/' => buf.push('/'),
                        b'b' => buf.push('\u{8}'),
                        b'f' => buf.push('\u{c}'),
                        b'n' => buf.push('\n'),
                        b'r' => buf.push('\r'),
                        b't' => buf.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair, or the fallback's error.
                                if self.input.get(self.pos..self.pos + 2)? != b"\\u" {
                                    return None;
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                            } else {
                                char::from_u32(hi)?
                            };
                            buf.push(c);
                        }
                        _ => return None,
                    }
                    let run = crate::compact::string_run(&self.input[self.pos..]);
                    buf.push_str(self.text.get(self.pos..self.pos + run)?);
                    self.pos += run;
                    match *self.input.get(self.pos)? {
                        b'"' => {
                            self.pos += 1;
                            return Some(if buf.len() <= MAX_INTERNED_LEN {
                                intern(&mut self.strings, &buf)
                            } else {
                                Value::string(buf)
                            });
                        }
                        b'\\' => {}
                        _ => return None,
                    }
                }
            }
            // A control character: the fallback reports it.
            _ => None,
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.input.get(self.pos..self.pos + 4)?;
        let mut v = 0u32;
        for &b in h {
            v = v * 16 + char::from(b).to_digit(16)?;
        }
        self.pos += 4;
        Some(v)
    }

    /// A number, as `serde_json` reads it (then as the template sees it): integers as
    /// `Integer`/`Long`, `-0` and anything with a fraction or an exponent as `Double`. Only the
    /// exactly computable cases are handled here (at most 18 integer digits; significands
    /// below 2^53 with a decimal exponent within ±22, where one correctly rounded operation
    /// gives the value whichever algorithm `serde_json` was built with).
    fn number(&mut self) -> Option<Value> {
        let b = self.input;
        let mut p = self.pos;
        let negative = b[p] == b'-';
        if negative {
            p += 1;
        }
        let int_start = p;
        let mut significand: u64 = 0;
        match *b.get(p)? {
            b'0' => p += 1,
            b'1'..=b'9' => {
                while let Some(&d @ b'0'..=b'9') = b.get(p) {
                    significand = significand
                        .wrapping_mul(10)
                        .wrapping_add(u64::from(d - b'0'));
                    p += 1;
                }
            }
            _ => return None,
        }
        let int_digits = p - int_start;
        if int_digits > 18 {
            return None;
        }
        let mut digits = int_digits;
        let mut exponent: i64 = 0;
        let mut is_float = false;
        if b.get(p) == Some(&b'.') {
            is_float = true;
            p += 1;
            let frac_start = p;
            while let Some(&d @ b'0'..=b'9') = b.get(p) {
                if digits >= 15 {
                    return None;
                }
                significand = significand * 10 + u64::from(d - b'0');
                digits += 1;
                p += 1;
            }
            if p == frac_start {
                return None;
            }
            exponent = -((p - frac_start) as i64);
        }
        if let Some(b'e' | b'E') = b.get(p) {
            is_float = true;
            p += 1;
            let exp_negative = match b.get(p) {
                Some(b'-') => {
                    p += 1;
                    true
                }
                Some(b'+') => {
                    p += 1;
                    false
                }
                _ => false,
            };
            let exp_start = p;
            let mut e: i64 = 0;
            while let Some(&d @ b'0'..=b'9') = b.get(p) {
                if p - exp_start >= 4 {
                    return None;
                }
                e = e * 10 + i64::from(d - b'0');
                p += 1;
            }
            if p == exp_start {
                return None;
            }
            exponent += if exp_negative { -e } else { e };
        }
        // JSON forbids a digit straight after a leading zero (`01`).
        if b.get(p).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        self.pos = p;
        if !is_float {
            // At most 18 digits: fits an i64.
            let v = significand as i64;
            return Some(if negative {
                if v == 0 {
                    Value::double(-0.0)
                } else {
                    i32::try_from(-v).map_or_else(|_| Value::long(-v), Value::int)
                }
            } else {
                i32::try_from(v).map_or_else(|_| Value::long(v), Value::int)
            });
        }
        if digits > 15 || !(-22..=22).contains(&exponent) {
            return None;
        }
        let pow = POW10[exponent.unsigned_abs() as usize];
        let f = significand as f64;
        let f = if exponent >= 0 { f * pow } else { f / pow };
        Some(Value::double(if negative { -f } else { f }))
    }
}

/// Strings up to this length are looked up in the per-thread string cache.
const MAX_INTERNED_LEN: usize = 24;

/// Slots of the per-thread string cache (a power of two).
const CACHE_SLOTS: usize = 256;

thread_local! {
    /// Short strings seen in recent bodies (object keys, enum-like values), shared across
    /// requests: the same API sends the same keys in every response, so a body's keys are
    /// usually found here and cost no allocation. Java strings are immutable, so sharing is
    /// invisible to templates. Direct-mapped (a colliding string replaces the slot's), so the
    /// cache stays bounded whatever the bodies hold.
    static STRINGS: std::cell::RefCell<Vec<(u32, Value)>> = const {
        std::cell::RefCell::new(Vec::new())
    };
}

/// A template string for `s`, shared with earlier occurrences when `cache` (the per-thread
/// string cache) holds it.
fn intern(cache: &mut Vec<(u32, Value)>, s: &str) -> Value {
    let b = s.as_bytes();
    if b.len() > MAX_INTERNED_LEN {
        return Value::string(s);
    }
    let mut h: u32 = 0x811c_9dc5;
    for &c in b {
        h = (h ^ u32::from(c)).wrapping_mul(0x0100_0193);
    }
    if cache.is_empty() {
        cache.resize(CACHE_SLOTS, (0, Value::null()));
    }
    let slot = &mut cache[(h as usize) & (CACHE_SLOTS - 1)];
    if slot.0 == h && slot.1.as_str() == Some(s) {
        return slot.1.clone();
    }
    let v = Value::string(s);
    *slot = (h, v.clone());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `serde_json` path this reader must agree with.
    fn slow(text: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let v = crate::render::to_vtl(&v);
        format!("{}|{}", v, debug_types(&v))
    }

    fn debug_types(v: &Value) -> String {
        format!("{v:?}")
    }

    fn fast(text: &str) -> Option<String> {
        read(text.as_bytes()).map(|v| format!("{}|{}", v, debug_types(&v)))
    }

    #[test]
    fn agrees_with_the_serde_path() {
        for text in [
            r#"{"id": 7, "name": "rex", "tags": ["a","b"]}"#,
            r#" [ {"a": 1.5, "b": -0, "c": -0.0, "d": 1e3, "e": 2E-2, "f": 0.1} ] "#,
            r#"{"big": 2147483648, "neg": -2147483649, "i": -2147483648, "l": 123456789012345678}"#,
            r#"{"s": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 end", "k\u0041": null, "t": true}"#,
            r#"{"dup": 1, "x": 2, "dup": 3}"#,
            r#"{"nested": {"a": [[], {}, [1, [2, [3]]]]}, "e": {}}"#,
            r#""top""#,
            "12",
            "-7",
            "0.000123",
            "123.456e-5",
            r#"{"é": "naïve 東京", "long": "abcdefghijklmnopqrstuvwxyz0123456789"}"#,
        ] {
            assert_eq!(fast(text).as_deref(), Some(slow(text).as_str()), "{text}");
        }
    }

    #[test]
    fn short_strings_are_shared_across_documents() {
        let first = |text: &str| match read(text.as_bytes()) {
            Some(v) => v.as_map().unwrap()[0].1.clone(),
            None => panic!("{text}"),
        };
        let a = first(r#"{"k": "shared value"}"#);
        let b = first(r#"{"k": "shared value", "other": 1}"#);
        assert_eq!(a.as_str(), Some("shared value"));
        assert_eq!(
            a.as_str().unwrap().as_ptr(),
            b.as_str().unwrap().as_ptr(),
            "one allocation for both"
        );
        let long = "x".repeat(MAX_INTERNED_LEN + 1);
        let c = first(&format!(r#"{{"k": "{long}"}}"#));
        let d = first(&format!(r#"{{"k": "{long}"}}"#));
        assert_eq!(c.as_str(), d.as_str());
        assert_ne!(c.as_str().unwrap().as_ptr(), d.as_str().unwrap().as_ptr());
    }

    #[test]
    fn leaves_the_hard_cases_to_the_fallback() {
        for text in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "\"\\ud800\"",
            "\"a\nb\"",
            "12345678901234567890",
            "1.2345678901234567",
            "1e400",
            "[1] x",
            "{\"a\" 1}",
            "tru",
        ] {
            assert!(read(text.as_bytes()).is_none(), "{text:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(read(deep.as_bytes()).is_none());
    }

    /// JSON text built from random pieces: numbers written many ways (signs, zeros,
    /// fractions, exponents, long digit runs), strings with escapes, surrogates and non-ASCII,
    /// nesting, random whitespace; sometimes cut short or with a byte changed.
    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let number = "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?";
        let string = prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 ]{1,8}",
                Just("\\\"".to_owned()),
                Just("\\\\".to_owned()),
                Just("\\n\\t\\/".to_owned()),
                "\\\\u[0-9a-fA-F]{4}",
                Just("\\ud83d\\ude00".to_owned()),
                Just("é東".to_owned()),
            ],
            0..5,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat()));
        let ws = prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t")];
        let leaf = prop_oneof![
            number.prop_map(|s| s),
            string.clone(),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ];
        let value = leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..6), ws.clone())
                    .prop_map(|(items, w)| format!("[{w}{}{w}]", items.join(&format!(",{w}")))),
                (
                    prop::collection::vec((string.clone(), inner), 0..6),
                    ws.clone()
                )
                    .prop_map(|(entries, w)| {
                        let body: Vec<String> = entries
                            .iter()
                            .map(|(k, v)| format!("{k}{w}:{w}{v}"))
                            .collect();
                        format!("{{{w}{}{w}}}", body.join(","))
                    }),
            ]
        });
        (value, any::<u8>(), any::<prop::sample::Index>(), 0..4u8).prop_map(
            |(text, byte, at, how)| {
                let mut bytes = text.into_bytes();
                match how {
                    0 if !bytes.is_empty() => {
                        let i = at.index(bytes.len());
                        bytes.truncate(i);
                    }
                    1 if !bytes.is_empty() => {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                    _ => {}
                }
                String::from_utf8_lossy(&bytes).into_owned()
            },
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// The claim the fallback design rests on: whenever the direct reader answers, it
        /// answers what the `serde_json` path builds; and it never accepts what `serde_json`
        /// refuses.
        #[test]
        fn answers_only_what_the_serde_path_builds(text in json_text()) {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
            match (fast(&text), parsed) {
                (Some(f), Ok(_)) => proptest::prop_assert_eq!(f, slow(&text), "{}", text),
                (Some(f), Err(e)) => proptest::prop_assert!(false, "{text:?} read as {f} but serde_json says {e}"),
                (None, _) => {}
            }
        }
    }
}
