//! The tape builder as it was before it was made faster (recursion, eight bytes at a time,
//! inline numbers), kept for the differential test: both must build the same tape, or both
//! refuse the text. Numbers and escapes use the live reader's full (slow-path) functions, so
//! the test compares the new builder's structure, string scanning and inline number paths.

use std::cell::RefCell;

use super::{MAX_DEPTH, Node, PLAIN, escape_end};

/// Checks `text` and lays it out on a tape: the nodes and the text.
pub(super) fn tape(text: &[u8]) -> Option<(Vec<Node>, Box<str>)> {
    u32::try_from(text.len()).ok()?;
    // Validated once: strings are then sliced at quotes (ASCII, so on character boundaries).
    let text: Box<str> = std::str::from_utf8(text).ok()?.into();
    let bytes = text.as_bytes();
    let mut nodes = Vec::with_capacity(bytes.len() / 4 + 8);
    let end = ws(bytes, build(bytes, 0, &mut nodes)?);
    if end != bytes.len() {
        return None;
    }
    Some((nodes, text))
}

/// The position of the first non-whitespace byte from `p`.
#[inline(always)]
fn ws(b: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(p) {
        p += 1;
    }
    p
}

/// Builds the tape of the one JSON value at `p` (after whitespace), without recursion:
/// `open` holds the containers not yet closed (tape position, commas seen, whether an
/// object). Returns the position after the value.
fn build(b: &[u8], p: usize, nodes: &mut Vec<Node>) -> Option<usize> {
    // The stack of open containers is kept per thread between documents (no allocation per
    // document once warm).
    OPEN_REFERENCE.with(|open| match open.try_borrow_mut() {
        Ok(mut open) => {
            open.clear();
            build_with(b, p, nodes, &mut open)
        }
        Err(_) => build_with(b, p, nodes, &mut Vec::new()),
    })
}

/// An open container: tape position, commas seen, whether an object, its key filter, and
/// whether a key may repeat.
type Frame = (usize, u32, bool, u64, bool);

thread_local! {
    static OPEN_REFERENCE: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

fn build_with(
    b: &[u8],
    mut p: usize,
    nodes: &mut Vec<Node>,
    open: &mut Vec<Frame>,
) -> Option<usize> {
    loop {
        // A value is expected at `p` (after whitespace).
        p = ws(b, p);
        match *b.get(p)? {
            b'"' => p = string(b, p, nodes)?,
            b'-' | b'0'..=b'9' => p = number(b, p, nodes)?,
            c @ (b'{' | b'[') => {
                if open.len() >= MAX_DEPTH as usize {
                    return None;
                }
                let object = c == b'{';
                let at = nodes.len();
                nodes.push(Node::Null);
                p = ws(b, p + 1);
                let close = if object { b'}' } else { b']' };
                if *b.get(p)? != close {
                    let mut filter = 0;
                    if object {
                        let (after, bit) = key(b, p, nodes)?;
                        p = after;
                        filter = bit;
                    }
                    open.push((at, 0, object, filter, false));
                    continue;
                }
                open.push((at, 0, object, 0, false));
                // An empty container: closed below.
            }
            b't' => p = literal(b, p, b"true", Node::Bool(true), nodes)?,
            b'f' => p = literal(b, p, b"false", Node::Bool(false), nodes)?,
            b'n' => p = literal(b, p, b"null", Node::Null, nodes)?,
            _ => return None,
        }
        // After a value (or at an empty container's closing bracket): a comma, or closes.
        loop {
            let Some(top) = open.last_mut() else {
                return Some(p);
            };
            p = ws(b, p);
            let c = *b.get(p)?;
            // A comma only after a value (not straight after the opening bracket).
            if c == b',' && nodes.len() > top.0 + 1 {
                top.1 += 1;
                p += 1;
                if top.2 {
                    let (after, bit) = key(b, ws(b, p), nodes)?;
                    p = after;
                    top.4 |= top.3 & bit != 0;
                    top.3 |= bit;
                }
                break;
            }
            if c != if top.2 { b'}' } else { b']' } {
                return None;
            }
            p += 1;
            let (at, commas, object, _, may_repeat) = *top;
            open.pop();
            // The tape has at most one node per byte of a text under 4 GiB.
            let end = nodes.len() as u32;
            nodes[at] = if object {
                Node::Object {
                    end,
                    unique: !may_repeat,
                }
            } else {
                let empty = nodes.len() == at + 1;
                Node::Array {
                    end,
                    len: if empty { 0 } else { commas + 1 },
                }
            };
        }
    }
}

/// An object key and its colon (`p` on the key's opening quote, or fails); returns the
/// position after the colon and the key's bit in an object's 64-bit key filter (from its
/// length and its first and last bytes: equal keys always get the same bit).
#[inline(always)]
fn key(b: &[u8], p: usize, nodes: &mut Vec<Node>) -> Option<(usize, u64)> {
    if *b.get(p)? != b'"' {
        return None;
    }
    let end = string(b, p, nodes)?;
    // From the key's text as written: equal texts get equal bits; an escaped key (which could
    // equal another written differently) sets every bit.
    let bit = match nodes.last() {
        Some(&Node::Str {
            start,
            end: stop,
            escaped: false,
        }) if stop > start => {
            let (f, l) = (b[start as usize], b[stop as usize - 1]);
            1u64 << ((u64::from(stop - start) * 7 + u64::from(f) * 3 + u64::from(l)) & 63)
        }
        Some(&Node::Str { escaped: false, .. }) => 1,
        _ => u64::MAX,
    };
    let p = ws(b, end);
    if *b.get(p)? != b':' {
        return None;
    }
    Some((p + 1, bit))
}

fn literal(b: &[u8], p: usize, word: &[u8], node: Node, nodes: &mut Vec<Node>) -> Option<usize> {
    if b[p..].starts_with(word) {
        nodes.push(node);
        Some(p + word.len())
    } else {
        None
    }
}

/// A string (`p` on its opening quote), checked: escapes well formed, surrogates paired, no
/// control characters. Returns the position after the closing quote.
#[inline(always)]
fn string(b: &[u8], p: usize, nodes: &mut Vec<Node>) -> Option<usize> {
    let start = p + 1;
    let mut q = start;
    // Short strings byte by byte, long ones eight bytes at a time.
    while let Some(&c) = b.get(q) {
        if !PLAIN[usize::from(c)] {
            break;
        }
        q += 1;
        if q - start == 16 {
            q += string_run(&b[q..]);
            break;
        }
    }
    let mut escaped = false;
    loop {
        match *b.get(q)? {
            b'"' => break,
            b'\\' => {
                escaped = true;
                q = escape_end(b, q)?;
                q += string_run(b.get(q..)?);
            }
            // A control character: the caller's reader reports it.
            _ => return None,
        }
    }
    nodes.push(Node::Str {
        start: start as u32,
        end: q as u32,
        escaped,
    });
    Some(q + 1)
}

/// A number: the live builder's full reader (its inline fast paths for short integers and
/// decimals are what the differential test compares against it).
fn number(b: &[u8], p: usize, nodes: &mut Vec<Node>) -> Option<usize> {
    super::number_slow(b, p, nodes)
}

/// How many bytes from the start of `s` need no attention inside a string: the length of the
/// run before the first `"`, `\` or control character (or all of `s`). Eight bytes at a time.
fn string_run(s: &[u8]) -> usize {
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
        let bs = x ^ BACKSLASHES;
        // High bit set in the bytes equal to `"`, to `\`, or below 0x20; the lowest flagged
        // byte is exact (a borrow only runs upwards from a flagged byte).
        let flags = ((q.wrapping_sub(ONES) & !q)
            | (bs.wrapping_sub(ONES) & !bs)
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
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(chunks.remainder().len())
}

#[cfg(test)]
mod tests {
    use super::super::Node;

    /// A node as comparable numbers (doubles by their bits, so `-0.0` differs from `0.0`).
    fn key(n: &Node) -> (u8, u64, u64, u64) {
        match *n {
            Node::Object { end, unique } => (0, end.into(), unique.into(), 0),
            Node::Array { end, len } => (1, end.into(), len.into(), 0),
            Node::Str {
                start,
                end,
                escaped,
            } => (2, start.into(), end.into(), escaped.into()),
            Node::Int(x) => (3, x as u64, 0, 0),
            Node::Long(x) => (4, x as u64, 0, 0),
            Node::Big { start, end } => (5, start.into(), end.into(), 0),
            Node::Double(d) => (6, d.to_bits(), 0, 0),
            Node::Bool(b) => (7, b.into(), 0, 0),
            Node::Null => (8, 0, 0, 0),
        }
    }

    type Built = Option<(Vec<(u8, u64, u64, u64)>, String)>;

    fn new_builder(text: &[u8]) -> Built {
        super::super::tape(text).map(|t| (t.nodes.iter().map(key).collect(), t.text.to_string()))
    }

    fn reference(text: &[u8]) -> Built {
        super::tape(text).map(|(nodes, text)| (nodes.iter().map(key).collect(), text.into()))
    }

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    fn ws(r: &mut Rng, out: &mut Vec<u8>) {
        let w = r.pick(&[
            "", "", "", " ", " ", "\n", "  ", "\t", "\r\n", " \n\t ", "\n    ",
        ]);
        out.extend_from_slice(w.as_bytes());
    }

    fn digits(r: &mut Rng, n: usize, out: &mut Vec<u8>) {
        for _ in 0..n {
            out.push(b'0' + r.below(10) as u8);
        }
    }

    fn number(r: &mut Rng, out: &mut Vec<u8>) {
        if r.below(4) == 0 {
            let special = r.pick(&[
                "-0",
                "0",
                "-0.0",
                "0.0",
                "0e5",
                "-0e-0",
                "1E+2",
                "2147483647",
                "2147483648",
                "-2147483648",
                "-2147483649",
                "999999999",
                "-999999999",
                "1000000000",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "99999999999999999999999999999999999999",
                "999999999999999999999999999999999999999",
                "123456789012345.5",
                "0.123456789012345",
                "12345678901234.5",
                "1.7976931348623157e308",
                "5e-324",
                "1e22",
                "1e23",
                "1e-22",
                "1e-23",
                "4.35",
                "0.1",
                "12.5",
                "-12.5",
                "1.",
                ".5",
                "-",
                "+1",
                "01",
                "-01",
                "00",
                "1e",
                "1e+",
                "1.e5",
                "0x10",
                "1.5e0001",
                "1.5e10000",
                "123456789",
                "1234567890",
                "-123456789",
                "-1234567890",
            ]);
            out.extend_from_slice(special.as_bytes());
            return;
        }
        if r.below(3) == 0 {
            out.push(b'-');
        }
        match r.below(6) {
            0 => out.push(b'0'),
            1 => {
                out.push(b'0');
                let n = 1 + r.below(3);
                digits(r, n, out);
            }
            _ => {
                out.push(b'1' + r.below(9) as u8);
                let n = r.pick(&[
                    "0", "1", "2", "5", "8", "9", "10", "17", "18", "19", "25", "37", "40",
                ]);
                digits(r, n.parse().unwrap_or(0), out);
            }
        }
        if r.below(2) == 0 {
            out.push(b'.');
            let n = r.below(18);
            digits(r, n, out);
        }
        if r.below(4) == 0 {
            out.push(if r.below(2) == 0 { b'e' } else { b'E' });
            out.extend_from_slice(r.pick(&["", "", "+", "-"]).as_bytes());
            let n = r.below(6);
            digits(r, n, out);
        }
    }

    fn string(r: &mut Rng, out: &mut Vec<u8>) {
        out.push(b'"');
        let long = r.below(4) == 0;
        let n = if long { r.below(60) } else { r.below(10) };
        for _ in 0..n {
            let piece = match r.below(12) {
                0 => r.pick(&[
                    "\\n",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\b",
                    "\\f",
                    "\\r",
                    "\\t",
                    "\\u00e9",
                    "\\u0041",
                    "\\uD83D\\uDE00",
                    "\\uDBFF\\uDFFF",
                    "\\uD800",
                    "\\uDC00",
                    "\\uD800\\u0041",
                    "\\uD800x",
                    "\\x",
                    "\\u12G4",
                    "\\u12",
                    "\\U0041",
                ]),
                1 => r.pick(&["é", "😀", "中", "\u{7f}", "\u{80}", "ÿ"]),
                2 => r.pick(&["\u{1}", "\t", "\n", "\u{1f}", " ", "\"", "\\"]),
                _ => r.pick(&[
                    "a", "b", "id", "type", "x y", "name", "0", "-", "{", "]", ",",
                ]),
            };
            out.extend_from_slice(piece.as_bytes());
        }
        out.push(b'"');
    }

    fn value(r: &mut Rng, depth: usize, out: &mut Vec<u8>) {
        let container = depth < 6 && r.below(3) == 0;
        if container {
            let object = r.below(2) == 0;
            out.push(if object { b'{' } else { b'[' });
            ws(r, out);
            let n = r.below(6);
            let keys = [
                "a", "b", "id", "ab", "ba", "x", "a\\u0062", "", "type", "price",
            ];
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                    ws(r, out);
                }
                if object {
                    if r.below(4) == 0 {
                        string(r, out);
                    } else {
                        out.push(b'"');
                        out.extend_from_slice(r.pick(&keys).as_bytes());
                        out.push(b'"');
                    }
                    ws(r, out);
                    out.push(b':');
                    ws(r, out);
                }
                value(r, depth + 1, out);
                ws(r, out);
            }
            out.push(if object { b'}' } else { b']' });
            return;
        }
        match r.below(8) {
            0..=2 => number(r, out),
            3..=5 => string(r, out),
            _ => out.extend_from_slice(r.pick(&["true", "false", "null", "tru", "nul"]).as_bytes()),
        }
    }

    /// Nesting around the limit: `depth` containers around a value.
    fn deep(r: &mut Rng, depth: usize, out: &mut Vec<u8>) {
        let mut closes = Vec::new();
        for _ in 0..depth {
            if r.below(2) == 0 {
                out.extend_from_slice(b"{\"k\":");
                closes.push(b'}');
            } else {
                out.push(b'[');
                closes.push(b']');
            }
            ws(r, out);
        }
        value(r, 5, out);
        while let Some(c) = closes.pop() {
            out.push(c);
        }
    }

    fn text(r: &mut Rng) -> Vec<u8> {
        let mut out = Vec::new();
        ws(r, &mut out);
        if r.below(20) == 0 {
            let depth = 95 + r.below(11);
            deep(r, depth, &mut out);
        } else {
            value(r, 0, &mut out);
        }
        ws(r, &mut out);
        // Damage a third of the texts.
        if !out.is_empty() {
            match r.below(12) {
                0 => out.truncate(r.below(out.len())),
                1 => {
                    let i = r.below(out.len());
                    out[i] = r.next() as u8;
                }
                2 => {
                    let i = r.below(out.len() + 1);
                    let c = *b"\"\\{}[],:0-e. \xff\x00".get(r.below(16)).unwrap_or(&b'x');
                    out.insert(i, c);
                }
                3 => {
                    out.remove(r.below(out.len()));
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn same_tapes_as_the_reference_builder() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for i in 0..20_000 {
            let t = text(&mut r);
            let ours = new_builder(&t);
            let theirs = reference(&t);
            assert_eq!(ours, theirs, "text {i}: {:?}", String::from_utf8_lossy(&t));
            if let Ok(s) = std::str::from_utf8(&t) {
                let from_str = super::super::tape_str(s)
                    .map(|t| (t.nodes.iter().map(key).collect(), t.text.to_string()));
                assert_eq!(from_str, ours, "text {i} as str: {s:?}");
            }
            accepted += usize::from(ours.is_some());
        }
        // Both sides of the comparison are exercised.
        assert!((5_000..15_000).contains(&accepted), "{accepted} accepted");
    }

    #[test]
    fn same_tapes_for_edge_texts() {
        let texts: &[&[u8]] = &[
            b"",
            b" ",
            b"0",
            b"-0",
            b"-",
            b"1 ",
            b" 1",
            b"[]",
            b"{}",
            b"[1,]",
            b"{\"a\"}",
            b"{\"a\":}",
            b"[1 2]",
            b"\"abc",
            b"\"abcdefghijklmnop",
            b"\"abcdefgh\"",
            b"\"abcdefg\"",
            b"\"\\",
            b"\"\\u",
            b"\"\\uD800\\",
            b"nul",
            b"true false",
            b"\xef\xbb\xbf{}",
            b"\"\xff\"",
            b"[1.5e3, -0.0, 1e-7]",
            // Decimals remembered, then numbers sharing their first bytes.
            b"[12.5, 12, 12.5e3, 12.55, -12.5, 12.5, 125, 12.5]",
            b"[0.5,0.5 ,0.5]0",
            b"[1.25, 1.250, 1.2, 1.25]",
            b"[-1.5, -1.5e1, -1.50, -1.5]",
        ];
        for t in texts {
            assert_eq!(
                new_builder(t),
                reference(t),
                "{:?}",
                String::from_utf8_lossy(t)
            );
        }
    }
}
