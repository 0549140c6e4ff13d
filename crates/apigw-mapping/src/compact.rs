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
///
/// The output is the input without its insignificant whitespace, so nothing is copied token by
/// token: the parser only validates and moves its cursor, and the runs between whitespace are
/// copied in bulk when whitespace interrupts them.
pub(crate) fn compact(input: &[u8], out: &mut Vec<u8>) -> Result<(), Invalid> {
    let base = out.len();
    if fast(input, out).is_some() {
        return Ok(());
    }
    // Invalid (or nested past the fast path's limit): the validator below decides, with its
    // error and its offset.
    out.truncate(base);
    out.reserve(input.len());
    let mut p = Parser {
        input,
        pos: 0,
        run_start: 0,
        out,
    };
    p.skip_ws();
    p.value()?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("trailing characters"));
    }
    p.flush();
    Ok(())
}

/// What the fast path expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (after `:`, after `,` in an array, or at the start).
    Value,
    /// A value or `]` (after `[`).
    ValueOrClose,
    /// A key or `}` (after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or the container's closing bracket, or the end of the text.
    After,
}

/// The compaction as one loop over the bytes with the grammar state in locals: valid JSON is
/// appended to `out`; anything else (or nesting past [`MAX_DEPTH`], counting empty
/// containers) answers `None`, leaving `out` partly written for the caller to truncate.
fn fast(b: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.reserve(b.len());
    // `true` for an object.
    let mut stack: Vec<bool> = Vec::new();
    let mut pos = 0;
    let mut run = 0;
    let mut expect = Expect::Value;
    loop {
        let Some(&c) = b.get(pos) else {
            if expect == Expect::After && stack.is_empty() {
                out.extend_from_slice(&b[run..]);
                return Some(());
            }
            return None;
        };
        if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            out.extend_from_slice(&b[run..pos]);
            pos += 1;
            while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(pos) {
                pos += 1;
            }
            run = pos;
            continue;
        }
        match expect {
            Expect::Value | Expect::ValueOrClose => {
                match c {
                    b'"' => pos = string_end(b, pos + 1)?,
                    b'-' | b'0'..=b'9' => pos = number_end(b, pos)?,
                    b'{' | b'[' => {
                        if stack.len() >= MAX_DEPTH {
                            return None;
                        }
                        stack.push(c == b'{');
                        pos += 1;
                        expect = if c == b'{' {
                            Expect::KeyOrClose
                        } else {
                            Expect::ValueOrClose
                        };
                        continue;
                    }
                    b']' if expect == Expect::ValueOrClose => {
                        stack.pop();
                        pos += 1;
                    }
                    b't' | b'f' | b'n' => {
                        let word: &[u8] = match c {
                            b't' => b"true",
                            b'f' => b"false",
                            _ => b"null",
                        };
                        if !b[pos..].starts_with(word) {
                            return None;
                        }
                        pos += word.len();
                    }
                    _ => return None,
                }
                expect = Expect::After;
            }
            Expect::KeyOrClose | Expect::Key => match c {
                b'"' => {
                    pos = string_end(b, pos + 1)?;
                    expect = Expect::Colon;
                }
                b'}' if expect == Expect::KeyOrClose => {
                    stack.pop();
                    pos += 1;
                    expect = Expect::After;
                }
                _ => return None,
            },
            Expect::Colon => {
                if c != b':' {
                    return None;
                }
                pos += 1;
                expect = Expect::Value;
            }
            Expect::After => match (c, stack.last()) {
                (b',', Some(&object)) => {
                    pos += 1;
                    expect = if object { Expect::Key } else { Expect::Value };
                }
                (b'}', Some(true)) | (b']', Some(false)) => {
                    stack.pop();
                    pos += 1;
                }
                _ => return None,
            },
        }
    }
}

/// The position after the string whose contents start at `p` (after the opening quote).
#[inline(always)]
fn string_end(b: &[u8], mut p: usize) -> Option<usize> {
    loop {
        p += string_run(b.get(p..)?);
        match *b.get(p)? {
            b'"' => return Some(p + 1),
            b'\\' => match *b.get(p + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => p += 2,
                b'u' => {
                    if !b.get(p + 2..p + 6)?.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    p += 6;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The position after the number starting at `p`, checked against JSON's grammar.
#[inline]
fn number_end(b: &[u8], mut p: usize) -> Option<usize> {
    let digits = |p: &mut usize| {
        let s = *p;
        while b.get(*p).is_some_and(u8::is_ascii_digit) {
            *p += 1;
        }
        *p - s
    };
    if b[p] == b'-' {
        p += 1;
    }
    match *b.get(p)? {
        b'0' => p += 1,
        b'1'..=b'9' => {
            digits(&mut p);
        }
        _ => return None,
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        if digits(&mut p) == 0 {
            return None;
        }
    }
    if let Some(b'e' | b'E') = b.get(p) {
        p += 1;
        if let Some(b'+' | b'-') = b.get(p) {
            p += 1;
        }
        if digits(&mut p) == 0 {
            return None;
        }
    }
    Some(p)
}

/// The length of the leading run of `s` that holds no `"`, no `\\` and no control character
/// (U+0000–U+001F): the bytes a JSON string copies as they are. Eight bytes at a time.
#[inline(always)]
pub(crate) fn string_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let q = x ^ QUOTES;
        let b = x ^ BACKSLASHES;
        // Each term flags (high bit) the bytes equal to `"`, to `\\`, or below 0x20; the lowest
        // flag is exact (borrows only run upwards from a flagged byte).
        let flags = ((q.wrapping_sub(ONES) & !q)
            | (b.wrapping_sub(ONES) & !b)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(chunks.remainder().len())
}

struct Parser<'a, 'o> {
    input: &'a [u8],
    pos: usize,
    /// Where the run of input not yet copied to `out` starts.
    run_start: usize,
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

    /// Copies the pending run.
    fn flush(&mut self) {
        self.out
            .extend_from_slice(&self.input[self.run_start..self.pos]);
        self.run_start = self.pos;
    }

    /// Skips whitespace; the run before it is copied, the whitespace is not.
    #[inline]
    fn skip_ws(&mut self) {
        if let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.flush();
            self.pos += 1;
            while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
                self.pos += 1;
            }
            self.run_start = self.pos;
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
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
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
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
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
                        self.pos += 1;
                        if frame == Frame::Object {
                            self.skip_ws();
                            self.key()?;
                        }
                        break;
                    }
                    (Frame::Array, Some(b']')) | (Frame::Object, Some(b'}')) => {
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
        self.pos += 1;
        Ok(())
    }

    /// A string, copied as written: runs between escapes are validated in bulk.
    fn string(&mut self) -> Result<(), Invalid> {
        self.pos += 1;
        loop {
            self.pos += string_run(&self.input[self.pos..]);
            match self.input.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
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
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    /// A number, validated against JSON's grammar (copied as written with its run).
    fn number(&mut self) -> Result<(), Invalid> {
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
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Invalid> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
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
        let result = compact(s.as_bytes(), &mut out).map(|()| String::from_utf8(out).unwrap());
        // The fast path accepts exactly what the validator accepts (below its depth limit),
        // with the same output.
        let mut fast_out = Vec::new();
        match fast(s.as_bytes(), &mut fast_out) {
            Some(()) => assert_eq!(Ok(String::from_utf8(fast_out).unwrap()), result, "{s:?}"),
            None => assert!(result.is_err() || s.len() > 2 * MAX_DEPTH, "{s:?}"),
        }
        result
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
    fn string_runs_stop_at_the_first_special_byte() {
        let naive = |s: &[u8]| {
            s.iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(s.len())
        };
        let base = "abcdéfgh东京ijklmnopqrstuvwxyz0123456789"
            .as_bytes()
            .to_vec();
        for special in [b'"', b'\\', 0u8, 0x1f, b'\n'] {
            for at in 0..base.len() {
                let mut s = base.clone();
                s[at] = special;
                assert_eq!(string_run(&s), naive(&s), "{special} at {at}");
            }
        }
        assert_eq!(string_run(&base), base.len());
        assert_eq!(string_run(b""), 0);
        // Bytes next to the thresholds are plain.
        assert_eq!(string_run(b"\x20\x21\x23\x5b\x5d\x7f\x80\xa0\xff\x20"), 10);
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
