//! A single-pass JSON validator and compactor for `$input.json('$')` (SPEC §5.4): the body's
//! own text with insignificant whitespace removed, strings and numbers exactly as written, and
//! no DOM built. It is the hot path of large passthrough templates, so it works on byte runs:
//! string contents are copied in bulk between quotes and escapes.

/// Nesting deeper than this is rejected (as `serde_json` does at 128).
const MAX_DEPTH: usize = 512;

/// Why a text is not JSON, with the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) offset: usize,
    pub(crate) what: &'static str,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// Validates `input` as one JSON value (surrounding whitespace allowed) and appends its compact
/// form to `out`.
pub(crate) fn compact(input: &[u8], out: &mut Vec<u8>) -> Result<(), Invalid> {
    out.reserve(input.len());
    let mut p = Parser { input, pos: 0, out };
    p.value()?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(())
}

struct Parser<'a, 'o> {
    input: &'a [u8],
    pos: usize,
    out: &'o mut Vec<u8>,
}

/// What the parser expects after a value inside a container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Array,
    Object,
}

impl Parser<'_, '_> {
    fn err(&self, what: &'static str) -> Invalid {
        Invalid {
            offset: self.pos,
            what,
        }
    }

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

    /// Parses one value, iteratively (containers are tracked on an explicit stack).
    fn value(&mut self) -> Result<(), Invalid> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // Parse a value (or open a container).
            self.skip_ws();
            match self.peek() {
                Some(b'{') => {
                    self.out.push(b'{');
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.out.push(b'}');
                        self.pos += 1;
                    } else {
                        if stack.len() >= MAX_DEPTH {
                            return Err(self.err("nesting too deep"));
                        }
                        stack.push(Frame::Object);
                        self.key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.out.push(b'[');
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.out.push(b']');
                        self.pos += 1;
                    } else {
                        if stack.len() >= MAX_DEPTH {
                            return Err(self.err("nesting too deep"));
                        }
                        stack.push(Frame::Array);
                        continue;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(_) => return Err(self.err("expected a value")),
                None => return Err(self.err("unexpected end of input")),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&frame) = stack.last() else {
                    return Ok(());
                };
                self.skip_ws();
                match (frame, self.peek()) {
                    (_, Some(b',')) => {
                        self.out.push(b',');
                        self.pos += 1;
                        if frame == Frame::Object {
                            self.skip_ws();
                            self.key()?;
                        }
                        break;
                    }
                    (Frame::Array, Some(b']')) | (Frame::Object, Some(b'}')) => {
                        self.out.push(self.input[self.pos]);
                        self.pos += 1;
                        stack.pop();
                    }
                    (_, None) => return Err(self.err("unexpected end of input")),
                    _ => return Err(self.err("expected ',' or a closing bracket")),
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<(), Invalid> {
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a string key"));
        }
        self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.err("expected ':'"));
        }
        self.out.push(b':');
        self.pos += 1;
        Ok(())
    }

    /// A string, copied as written: runs between escapes are validated and copied in bulk.
    fn string(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        self.pos += 1;
        loop {
            let rest = &self.input[self.pos..];
            let Some(i) = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            else {
                self.pos = self.input.len();
                return Err(self.err("unterminated string"));
            };
            self.pos += i;
            match self.input[self.pos] {
                b'"' => {
                    self.pos += 1;
                    self.out.extend_from_slice(&self.input[start..self.pos]);
                    return Ok(());
                }
                b'\\' => {
                    let esc = self.input.get(self.pos + 1).copied();
                    match esc {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 2;
                        }
                        Some(b'u') => {
                            let hex = self.input.get(self.pos + 2..self.pos + 6);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.err("invalid \\u escape"));
                            }
                            self.pos += 6;
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                _ => return Err(self.err("control character in string")),
            }
        }
    }

    /// A number, validated against JSON's grammar and copied as written.
    fn number(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        self.out.extend_from_slice(&self.input[start..self.pos]);
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Invalid> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            self.out.extend_from_slice(word);
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Result<String, Invalid> {
        let mut out = Vec::new();
        compact(s.as_bytes(), &mut out).map(|()| String::from_utf8(out).unwrap())
    }

    #[test]
    fn compacts() {
        assert_eq!(
            c(" { \"a\" : [ 1.50 , -0, 2E+3, true, null ] ,\n\"b\\\"\": \"x  y\\u00e9\" } ")
                .unwrap(),
            r#"{"a":[1.50,-0,2E+3,true,null],"b\"":"x  y\u00e9"}"#
        );
        assert_eq!(c("[]").unwrap(), "[]");
        assert_eq!(c("{}").unwrap(), "{}");
        assert_eq!(c("[[],{}]").unwrap(), "[[],{}]");
        assert_eq!(c("\"é\"").unwrap(), "\"é\"");
        assert_eq!(c("12").unwrap(), "12");
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            "-",
            "1e",
            "[1 2]",
            "\"\\x\"",
            "\"a\nb\"",
            "tru",
            "{\"a\" 1}",
            "[1]]",
            "{\"a\":1}x",
            "\"\\u12g4\"",
            "[,1]",
        ] {
            assert!(c(bad).is_err(), "{bad:?} must be rejected");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err());
        }
    }

    #[test]
    fn agrees_with_serde_json_on_values() {
        for good in [
            r#"{"a": {"b": [1, 2, {"c": "d"}]}, "e": -1.5e-3}"#,
            "[\"\\ud83d\\ude00\", \"\\/\"]",
            " 0 ",
        ] {
            let ours: serde_json::Value = serde_json::from_str(&c(good).unwrap()).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(good).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn depth_is_bounded() {
        // The innermost empty container takes no stack slot.
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(c(&deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(c(&ok).is_ok());
    }
}
