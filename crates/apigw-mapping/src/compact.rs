//! A single-pass JSON validator and compactor for `$input.json('$')` (SPEC §5.4): the body's
//! own text with insignificant whitespace removed, strings and numbers exactly as written, and
//! no DOM built. It is the hot path of large passthrough templates, so the fast path reads
//! eight bytes at a time (SWAR on `u64` words: string bodies, digits, indentation, the `, "`
//! and `": "` separators), matches keys met before as the sixteen bytes of `, "key": ` (see
//! `Keys`), takes the scalar members of an object and elements of an array in loops of their
//! own, and copies the runs between removed whitespace in whole 32-byte blocks; anything it
//! does not accept goes to a plain validator for the error and its offset.

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

/// What [`compact`] learned of the text's bytes, besides its validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compacted {
    /// The text holds a byte 0xF4 or above: in UTF-8, a character from U+100000 on (plane 16)
    /// or invalid UTF-8. Such bytes only occur inside strings (anywhere else the text is not
    /// JSON), where the string scan meets them anyway, so callers need not search for them.
    pub(crate) plane16: bool,
}

/// Validates `input` as one JSON value (surrounding whitespace allowed) and appends its compact
/// form to `out`.
///
/// The output is the input without its insignificant whitespace, so nothing is copied token by
/// token: the parser only validates and moves its cursor, and the runs between whitespace are
/// copied in bulk when whitespace interrupts them. Bytes above ASCII are copied as they are
/// (UTF-8 is the caller's to check).
pub(crate) fn compact(input: &[u8], out: &mut Vec<u8>) -> Result<Compacted, Invalid> {
    let base = out.len();
    if let Some(compacted) = fast(input, out) {
        return Ok(compacted);
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
    Ok(Compacted {
        plane16: out[base..].iter().any(|&c| c >= 0xF4),
    })
}

/// A 1 in every byte of a word (the SWAR constants derive from it).
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
const HIGH: u64 = ONES * 0x80;
/// The low seven bits of every byte.
const LOW7: u64 = ONES * 0x7f;

/// The longest input the fast path takes: its positions, at most a few bytes past the end,
/// fit in 32 bits (see [`pos32`]).
const FAST_MAX_LEN: usize = u32::MAX as usize - 64;

/// A position of the fast path as the `u32` it is (its input is at most [`FAST_MAX_LEN`]
/// long): adding a small constant to it cannot wrap, so a slice `p..p + n` is checked with one
/// compare (`p + n` against the length) instead of three.
#[inline(always)]
fn pos32(p: usize) -> usize {
    p as u32 as usize
}

/// Eight bytes of `b` from `p` (a position of the fast path, see [`pos32`]) as a little-endian
/// word; past the end the missing bytes read as 0, which no caller accepts (a NUL is neither
/// JSON text nor allowed raw in a string), so the end of the input stops every scan.
#[inline(always)]
fn load8(b: &[u8], p: usize) -> u64 {
    let p = pos32(p);
    match b.get(p..p + 8).and_then(|s| s.first_chunk::<8>()) {
        Some(&word) => u64::from_le_bytes(word),
        None => load8_tail(b, p),
    }
}

/// Sixteen bytes of `b` from `p` as two words, as [`load8`] reads them (one check of the end).
#[inline(always)]
fn load16(b: &[u8], p: usize) -> (u64, u64) {
    let p = pos32(p);
    match b.get(p..p + 16).and_then(|s| s.first_chunk::<16>()) {
        Some(bytes) => {
            let (x, y) = bytes.split_at(8);
            (
                x.try_into().map_or(0, u64::from_le_bytes),
                y.try_into().map_or(0, u64::from_le_bytes),
            )
        }
        None => load16_tail(b, p),
    }
}

/// [`load16`] near the end of the input.
#[cold]
#[inline(never)]
fn load16_tail(b: &[u8], p: usize) -> (u64, u64) {
    (load8(b, p), b.get(p + 8..).map_or(0, |rest| load8(rest, 0)))
}

#[cold]
#[inline(never)]
fn load8_tail(b: &[u8], p: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(rest) = b.get(p..) {
        word[..rest.len()].copy_from_slice(rest);
    }
    u64::from_le_bytes(word)
}

/// The byte at `p`, or 0 past the end.
#[inline(always)]
fn at(b: &[u8], p: usize) -> u8 {
    b.get(p).copied().unwrap_or(0)
}

/// The high bit of every byte of `x` that is not 0 (exact: no borrow crosses bytes).
#[inline(always)]
fn nonzero_bytes(x: u64) -> u64 {
    (((x & LOW7) + LOW7) | x) & HIGH
}

/// The index of the first `a` or `b` in `text`, eight bytes at a time.
pub(crate) fn find_either(text: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (ONES * u64::from(a), ONES * u64::from(b));
    let mut p = 0;
    while p < text.len() {
        let x = match text.get(p..).and_then(<[u8]>::first_chunk::<8>) {
            Some(&word) => u64::from_le_bytes(word),
            None => load8_tail(text, p),
        };
        // Exact flags: a byte is flagged when it equals `a` or `b`.
        let hits = !(nonzero_bytes(x ^ pa) & nonzero_bytes(x ^ pb)) & HIGH;
        if hits != 0 {
            // The padding past the end is NUL: a hit there is no hit.
            let i = p + first_flagged(hits);
            return (i < text.len()).then_some(i);
        }
        p += 8;
    }
    None
}

/// The index of the lowest byte flagged (high bit) in a non-zero `flags`.
#[inline(always)]
fn first_flagged(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The high bit of the first byte of `x` that is `"`, `\\` or a control character (and maybe
/// of bytes after it: only the lowest flag is exact).
#[inline(always)]
fn string_specials(x: u64) -> u64 {
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let q = x ^ QUOTES;
    let b = x ^ BACKSLASHES;
    ((q.wrapping_sub(ONES) & !q) | (b.wrapping_sub(ONES) & !b) | (x.wrapping_sub(ONES * 0x20) & !x))
        & HIGH
}

/// [`string_specials`] and every byte above ASCII too: the high bit of the first byte of `x`
/// that a string scan must look at (and maybe of bytes after it: only the lowest flag is
/// exact). A byte below 0x80 is flagged when `byte ^ 2` is below 0x21 (the control characters,
/// whose bit 1 it flips, and `"`, which becomes 0x20) or `byte ^ '\\'` is 0: the borrow of the
/// subtraction sets its high bit, and reaches no byte below it, which borrows nothing itself.
/// `| x` flags the bytes above ASCII (which borrow nothing).
#[inline(always)]
fn string_stops(x: u64) -> u64 {
    const TWOS: u64 = ONES * 2;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    ((x ^ TWOS).wrapping_sub(ONES * 0x21) | (x ^ BACKSLASHES).wrapping_sub(ONES) | x) & HIGH
}

/// The number of ASCII digits at `b[p..]`, eight bytes at a time.
#[inline(always)]
fn digits(b: &[u8], p: usize) -> usize {
    let mut n = 0;
    loop {
        let non_digits = non_digits(load8(b, p + n));
        if non_digits != 0 {
            return n + first_flagged(non_digits);
        }
        n += 8;
    }
}

/// `true` for JSON's insignificant whitespace.
#[inline(always)]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// The output side of the fast path: the runs of input between removed whitespace, staged in
/// a buffer on the stack in whole blocks (no capacity checks, no length updates of a `Vec`)
/// and appended to `out` (reserved once for the whole input) when it fills.
struct Sink<'o> {
    out: &'o mut Vec<u8>,
    /// The staging buffer: its first `len` bytes are output not yet appended to `out`.
    stage: &'o mut [u8; STAGE],
    len: usize,
    /// Where the run of input not yet copied starts.
    run: usize,
    /// The keys seen (see [`Keys`]).
    keys: &'o mut Keys,
}

/// The keys met, with their `": `: objects in an array mostly repeat the keys of the one
/// before, and a key equal to one checked before needs no check of its own.
///
/// A key of up to [`KEY_MAX`] bytes is held as the sixteen bytes of `, "key": ` (the commonest
/// separator before it, its quotes, `:` and ` `: `k + 6` bytes, then anything) in two words
/// masked to those bytes, with both masks and the key's length; words equal to them under the
/// masks hold the same bytes: `, ` and the same valid key, followed by `: `. It is also held as
/// what the output gets of it, `"key":`, in two words from its opening quote. A slot is chosen
/// by the key's first four bytes; an empty slot has a second word of 1 under a mask of 0,
/// which no word matches.
struct Keys {
    firsts: [u64; KEY_SLOTS],
    first_masks: [u64; KEY_SLOTS],
    seconds: [u64; KEY_SLOTS],
    second_masks: [u64; KEY_SLOTS],
    /// The key's sixteen bytes from its opening quote.
    outputs: [[u8; 16]; KEY_SLOTS],
    lens: [u8; KEY_SLOTS],
}

/// The number of slots of [`Keys`] (a power of two).
const KEY_SLOTS: usize = 32;

/// The longest key [`Keys`] holds: with `, ` before it, its quotes, `:` and ` `, sixteen
/// bytes.
const KEY_MAX: usize = 10;

/// `, ` as the low bytes of a word.
const COMMA_SPACE: u64 = 0x202c;

impl Keys {
    /// No key.
    fn new() -> Self {
        Keys {
            firsts: [0; KEY_SLOTS],
            first_masks: [0; KEY_SLOTS],
            seconds: [1; KEY_SLOTS],
            second_masks: [0; KEY_SLOTS],
            outputs: [[0; 16]; KEY_SLOTS],
            lens: [0; KEY_SLOTS],
        }
    }

    /// The slot of the key whose first word (from the `, ` before it) is `x`.
    #[inline(always)]
    fn slot(x: u64) -> usize {
        (((x >> 24) as u32).wrapping_mul(0x9e37_79b9) >> (32 - KEY_SLOTS.trailing_zeros())) as usize
            % KEY_SLOTS
    }

    /// The length of the key whose sixteen bytes from the `, ` before it are `x` and `y`, when
    /// it is in slot `slot`; `lead` masks out the bytes of `x` not to be compared (all of them
    /// are, or all but the `, `).
    #[inline(always)]
    fn find(&self, slot: usize, x: u64, y: u64, lead: u64) -> Option<usize> {
        ((x ^ self.firsts[slot]) & self.first_masks[slot] & lead == 0
            && y & self.second_masks[slot] == self.seconds[slot])
            .then(|| usize::from(self.lens[slot]))
    }

    /// Exchanges the keys of slots `a` and `b`.
    fn swap(&mut self, a: usize, b: usize) {
        self.firsts.swap(a, b);
        self.first_masks.swap(a, b);
        self.seconds.swap(a, b);
        self.second_masks.swap(a, b);
        self.outputs.swap(a, b);
        self.lens.swap(a, b);
    }

    /// Remembers the valid key of `k` bytes (at most [`KEY_MAX`]) followed by `: ` whose
    /// sixteen bytes from its opening quote are `x` and `y`. Slots come in pairs (the key's
    /// own and its neighbour, `slot ^ 1`, where [`key_scan`] looks too): the key goes to its
    /// own slot when that is empty, else to the other when that is, else the key in its own
    /// slot moves to the other, so that two keys of one pair stay found.
    #[inline(always)]
    fn insert(&mut self, x: u64, y: u64, k: usize) {
        let (first, second) = (x << 16 | COMMA_SPACE, y << 16 | x >> 48);
        let slot = Keys::slot(first);
        let other = slot ^ 1;
        let slot = if self.first_masks[slot] == 0 {
            slot
        } else if self.first_masks[other] == 0 {
            other
        } else {
            self.swap(slot, other);
            slot
        };
        let mask = |n: usize| {
            if n >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            }
        };
        let (m0, m1) = (mask(k + 6), mask((k + 6).saturating_sub(8)));
        self.firsts[slot] = first & m0;
        self.first_masks[slot] = m0;
        self.seconds[slot] = second & m1;
        self.second_masks[slot] = m1;
        self.outputs[slot] = (u128::from(y) << 64 | u128::from(x)).to_le_bytes();
        self.lens[slot] = k as u8;
    }
}

/// The size of the blocks runs are copied in: one block holds most runs between two
/// whitespace bytes (a member and its separator).
const BLOCK: usize = 32;

/// The size of the staging buffer: small enough that zeroing it is one short vector loop
/// (from 4 KiB on, glibc's memset turns to `rep stosb`, which callgrind counts per byte: 4,000
/// instructions per call, a small body's whole cost), large enough that spilling it is rare.
const STAGE: usize = 2048;

impl Sink<'_> {
    /// Copies the input run `b[self.run..end]`: a short one as one whole block (which may read
    /// and stage bytes past it, overwritten by the next run).
    #[inline(always)]
    fn flush(&mut self, b: &[u8], end: usize) {
        let start = self.run;
        let n = end.wrapping_sub(start);
        let len = self.len;
        if n <= BLOCK
            && len <= STAGE - BLOCK
            && let Some(block) = b.get(pos32(start)..pos32(start) + BLOCK)
        {
            self.stage[len..len + BLOCK].copy_from_slice(block);
            self.len = len + n;
        } else {
            spill(
                self.out,
                &self.stage[..len],
                b.get(start..end).unwrap_or_default(),
            );
            self.len = 0;
        }
    }

    /// [`Self::flush`] up to `end`, then stages the first `n` bytes (at most sixteen) of
    /// `bytes` after the run.
    #[inline(always)]
    fn flush_then(&mut self, b: &[u8], end: usize, bytes: &[u8; 16], n: usize) {
        let start = self.run;
        let run = end.wrapping_sub(start);
        let len = self.len;
        if run <= BLOCK
            && len <= STAGE - BLOCK - 16
            && let Some(block) = b.get(pos32(start)..pos32(start) + BLOCK)
        {
            self.stage[len..len + BLOCK].copy_from_slice(block);
            let at = len + run;
            self.stage[at..at + 16].copy_from_slice(bytes);
            self.len = at + n;
        } else {
            // Near the end of the staging buffer or of the input, or after a long run.
            self.flush(b, end);
            let (x, y) = bytes.split_at(8);
            let word = |half: &[u8]| half.try_into().map_or(0, u64::from_le_bytes);
            self.put_word(word(x), n.min(8));
            if n > 8 {
                self.put_word(word(y), n - 8);
            }
        }
    }

    /// Stages the first `n` bytes of `word` (at most eight), bytes the caller has in a
    /// register already (no copy from the input, no check of its end).
    #[inline(always)]
    fn put_word(&mut self, word: u64, n: usize) {
        let len = self.len;
        let bytes = word.to_le_bytes();
        if len <= STAGE - 8 {
            self.stage[len..len + 8].copy_from_slice(&bytes);
            self.len = len + n;
        } else {
            spill(
                self.out,
                &self.stage[..len],
                bytes.get(..n).unwrap_or_default(),
            );
            self.len = 0;
        }
    }

    /// Appends what is staged to `out`.
    #[inline(always)]
    fn finish(&mut self) {
        self.out.extend_from_slice(&self.stage[..self.len]);
        self.len = 0;
    }

    /// Skips the whitespace at `p` (none is common), copying the run before it; the position
    /// after it.
    #[inline(always)]
    fn skip_ws(&mut self, b: &[u8], p: usize) -> usize {
        if !is_ws(at(b, p)) {
            return p;
        }
        self.flush(b, p);
        let mut p = p + 1;
        if is_ws(at(b, p)) {
            p = ws_run_end(b, p);
        }
        self.run = p;
        p
    }
}

/// [`Sink::flush`] when the staging buffer is full or the run longer than a block (or near the
/// end of the input): the staged bytes and the run appended to `out`.
#[inline(never)]
fn spill(out: &mut Vec<u8>, staged: &[u8], run: &[u8]) {
    out.extend_from_slice(staged);
    out.extend_from_slice(run);
}

/// The end of the whitespace run at `p`: spaces (indentation) eight at a time.
#[inline(never)]
fn ws_run_end(b: &[u8], mut p: usize) -> usize {
    const SPACES: u64 = ONES * b' ' as u64;
    loop {
        match at(b, p) {
            b' ' => {
                let not_spaces = nonzero_bytes(load8(b, p) ^ SPACES);
                if not_spaces == 0 {
                    p += 8;
                } else {
                    p += first_flagged(not_spaces);
                }
            }
            b'\n' | b'\r' | b'\t' => p += 1,
            _ => return p,
        }
    }
}

/// The compaction as one loop over the tokens with the grammar in the control flow and the
/// open containers in a bit stack: valid JSON is appended to `out`; anything else (or nesting
/// past [`MAX_DEPTH`], counting empty containers, or a byte 0xF4 or above in a string, which
/// the validator counts) answers `None`, leaving `out` partly written for the caller to
/// truncate.
fn fast(b: &[u8], out: &mut Vec<u8>) -> Option<Compacted> {
    if b.len() > FAST_MAX_LEN {
        return None;
    }
    // Worked on as a local, so that the compiler keeps its length in a register: writes
    // through its buffer cannot change it.
    let mut buf = std::mem::take(out);
    let result = fast_in(b, &mut buf);
    *out = buf;
    result
}

/// [`fast`] on its own buffer.
#[inline(always)]
fn fast_in(b: &[u8], out: &mut Vec<u8>) -> Option<Compacted> {
    out.reserve(b.len());
    let mut stage = [0u8; STAGE];
    let mut keys = Keys::new();
    let mut sink = Sink {
        out,
        stage: &mut stage,
        len: 0,
        run: 0,
        keys: &mut keys,
    };
    // Bit `d` of the stack: the container at depth `d` is an object.
    let mut kinds = [0u64; MAX_DEPTH / 64];
    let mut depth = 0;
    let mut object = false;
    let mut pos = sink.skip_ws(b, 0);
    'value: loop {
        // A value starts at `pos` (whitespace skipped).
        match at(b, pos) {
            b'"' => pos = string_end(b, pos + 1)?,
            c @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                object = c == b'{';
                let bit = 1u64 << (depth % 64);
                let word = kinds.get_mut(depth / 64)?;
                *word = if object { *word | bit } else { *word & !bit };
                depth += 1;
                pos = sink.skip_ws(b, pos + 1);
                // `{`+2 is `}`, `[`+2 is `]`.
                if at(b, pos) != c + 2 {
                    let stop = if object {
                        pos = key::<false>(b, &mut sink, pos)?;
                        members(b, &mut sink, pos)?
                    } else {
                        elements(b, &mut sink, pos)?
                    };
                    match stop {
                        Stop::Value(p) => {
                            pos = p;
                            continue 'value;
                        }
                        // After a value: below.
                        Stop::After(p) => pos = p,
                    }
                }
                // Empty: closed below.
            }
            b'0'..=b'9' => pos = number_end(b, pos)?,
            b'-' => pos = number_end(b, pos + 1)?,
            b't' => pos = literal(b, pos, b"true")?,
            b'f' => pos = literal(b, pos, b"false")?,
            b'n' => pos = literal(b, pos, b"null")?,
            // More whitespace after a separator whose one space was skipped already.
            b' ' | b'\n' | b'\r' | b'\t' => {
                pos = sink.skip_ws(b, pos);
                continue 'value;
            }
            _ => return None,
        }
        // After a value: close containers or move to the next element.
        loop {
            let (word, next) = load16(b, pos);
            // A key seen before after `, ` (the commonest separator, one space), and its `: `:
            // no checks but the table's.
            if object && word & 0xffff == COMMA_SPACE {
                let slot = Keys::slot(word);
                if let Some(k) = sink.keys.find(slot, word, next, u64::MAX) {
                    let key = sink.keys.outputs[slot];
                    sink.flush_then(b, pos + 1, &key, k + 3);
                    pos += k + 6;
                    sink.run = pos;
                    match members(b, &mut sink, pos)? {
                        Stop::Value(p) => {
                            pos = p;
                            continue 'value;
                        }
                        Stop::After(p) => pos = p,
                    }
                    continue;
                }
            }
            // The next element after `, ` (the common separator, one space): no whitespace
            // checks (`object` implies a depth above 0; the value's match skips any more
            // whitespace).
            if word & 0xffff == u64::from(u16::from_le_bytes(*b", ")) {
                if object {
                    if (word >> 16) as u8 == b'"' {
                        pos = key::<true>(b, &mut sink, pos + 2)?;
                        continue 'value;
                    }
                } else if depth != 0 {
                    sink.flush(b, pos + 1);
                    sink.run = pos + 2;
                    pos += 2;
                    continue 'value;
                }
            }
            let mut c = word as u8;
            // `}` closes an object, `]` an array (`object` is false at depth 0).
            let close = if object { b'}' } else { b']' };
            // Right after the value (the common case), or else after whitespace.
            if c != close || depth == 0 {
                if is_ws(c) {
                    pos = sink.skip_ws(b, pos);
                    c = at(b, pos);
                }
                if depth == 0 {
                    if pos != b.len() {
                        return None;
                    }
                    sink.flush(b, pos);
                    sink.finish();
                    return Some(Compacted { plane16: false });
                }
                if c == b',' {
                    pos = sink.skip_ws(b, pos + 1);
                    if object {
                        pos = key::<false>(b, &mut sink, pos)?;
                    }
                    continue 'value;
                }
                if c != close {
                    return None;
                }
            }
            pos += 1;
            depth -= 1;
            object = depth > 0 && is_object(&kinds, depth - 1);
        }
    }
}

/// Where [`members`] and [`elements`] stop: at a value they leave to the value's match, or
/// after one.
enum Stop {
    Value(usize),
    After(usize),
}

/// Where the string, number or literal at `pos` ends (`Some(None)`: no scalar starts there;
/// `None`: a malformed one).
#[inline(always)]
fn scalar_end(b: &[u8], pos: usize) -> Option<Option<usize>> {
    let c = at(b, pos);
    Some(Some(if c == b'"' {
        string_end(b, pos + 1)?
    } else if c.wrapping_sub(b'0') < 10 {
        number_end(b, pos)?
    } else if c == b'-' {
        number_end(b, pos + 1)?
    } else if c == b't' {
        literal(b, pos, b"true")?
    } else if c == b'n' {
        literal(b, pos, b"null")?
    } else if c == b'f' {
        literal(b, pos, b"false")?
    } else {
        return Some(None);
    }))
}

/// The members of an object from the value at `pos` (after its key), while their values are
/// strings, numbers or literals and their keys are known after `, `, in a loop of their own.
#[inline(always)]
fn members(b: &[u8], sink: &mut Sink<'_>, mut pos: usize) -> Option<Stop> {
    loop {
        pos = match scalar_end(b, pos)? {
            Some(end) => end,
            None => return Some(Stop::Value(pos)),
        };
        // `, ` and the key, compared by the table.
        let (word, next) = load16(b, pos);
        let slot = Keys::slot(word);
        let Some(k) = sink.keys.find(slot, word, next, u64::MAX) else {
            return Some(Stop::After(pos));
        };
        let key = sink.keys.outputs[slot];
        sink.flush_then(b, pos + 1, &key, k + 3);
        pos += k + 6;
        sink.run = pos;
    }
}

/// The elements of an array from its first, while they are strings, numbers or literals
/// followed by `, `, in a loop of their own.
#[inline(always)]
fn elements(b: &[u8], sink: &mut Sink<'_>, mut pos: usize) -> Option<Stop> {
    loop {
        pos = match scalar_end(b, pos)? {
            Some(end) => end,
            None => return Some(Stop::Value(pos)),
        };
        if load8(b, pos) & 0xffff != COMMA_SPACE {
            return Some(Stop::After(pos));
        }
        sink.flush(b, pos + 1);
        pos += 2;
        sink.run = pos;
    }
}

/// Whether the container at depth `d` (below [`MAX_DEPTH`]) of the bit stack `kinds` is an
/// object.
#[inline(always)]
fn is_object(kinds: &[u64; MAX_DEPTH / 64], d: usize) -> bool {
    kinds[d / 64 % (MAX_DEPTH / 64)] >> (d % 64) & 1 == 1
}

/// An object key at `q` (on its opening quote, or where one should be) and its colon: the
/// position after them and the one space after the colon, if any (the value's match skips
/// any more whitespace). `AFTER_COMMA` when `q` follows `, ` (checked by the caller, with the
/// quote at `q`, and the key not found in [`Keys`]), whose space is to be skipped: the run not
/// yet copied ends with the comma.
#[inline(always)]
fn key<const AFTER_COMMA: bool>(b: &[u8], sink: &mut Sink<'_>, q: usize) -> Option<usize> {
    if !AFTER_COMMA {
        // Whatever is before the key (`{` and maybe whitespace) left out of the comparison.
        let (x, y) = load16(b, q.wrapping_sub(2));
        let slot = Keys::slot(x);
        if let Some(k) = sink.keys.find(slot, x, y, !0xffff) {
            // A key seen before, and its `: `: its quotes and colon are `k + 3` bytes.
            sink.flush(b, q + k + 3);
            sink.run = q + k + 4;
            return Some(q + k + 4);
        }
    } else {
        sink.flush(b, q - 1);
        sink.run = q;
    }
    // Any other key, or a separator other than `: `.
    let mut p = key_scan(b, sink.keys, q)?;
    let word = load8(b, p);
    if word & 0xffff == u64::from(u16::from_le_bytes(*b": ")) {
        sink.flush(b, p + 1);
        sink.run = p + 2;
        return Some(p + 2);
    }
    if word as u8 != b':' {
        p = sink.skip_ws(b, p);
        if at(b, p) != b':' {
            return None;
        }
    }
    Some(sink.skip_ws(b, p + 1))
}

/// The position after the key at `q` (on its opening quote, or where one should be) that
/// [`key`] did not find in its slot of `keys`; a key of up to [`KEY_MAX`] bytes followed by
/// `: ` is remembered.
#[inline(never)]
fn key_scan(b: &[u8], keys: &mut Keys, q: usize) -> Option<usize> {
    // The other slot of the pair, comparing all but what is before the key.
    let (x, y) = load16(b, q.wrapping_sub(2));
    let slot = Keys::slot(x) ^ 1;
    if let Some(k) = keys.find(slot, x, y, !0xffff) {
        // Seen before, in the other slot of its pair: it moves to its own (found first next
        // time), the key there to the other.
        keys.swap(slot, slot ^ 1);
        return Some(q + k + 2);
    }
    if at(b, q) != b'"' {
        return None;
    }
    let p = string_end(b, q + 1)?;
    let k = p - 2 - q;
    if k <= KEY_MAX && load8(b, p) & 0xffff == u64::from(u16::from_le_bytes(*b": ")) {
        let (x, y) = load16(b, q);
        keys.insert(x, y, k);
    }
    Some(p)
}

/// `word` at `p`, and the position after it.
#[inline(always)]
fn literal(b: &[u8], p: usize, word: &[u8]) -> Option<usize> {
    let mut expected = [0u8; 8];
    expected[..word.len()].copy_from_slice(word);
    let mask = u64::MAX >> (64 - 8 * word.len());
    (load8(b, p) & mask == u64::from_le_bytes(expected)).then_some(p + word.len())
}

/// The position after the string whose contents start at `p` (after the opening quote); `None`
/// also for a byte 0xF4 or above (rare: the validator takes those texts, see [`fast`]).
#[inline(always)]
fn string_end(b: &[u8], mut p: usize) -> Option<usize> {
    loop {
        let x = load8(b, p);
        let flags = string_stops(x);
        if flags == 0 {
            p += 8;
            continue;
        }
        let k = first_flagged(flags);
        p += k;
        match (x >> (8 * k)) as u8 {
            b'"' => return Some(p + 1),
            b'\\' => p = escape_end(b, p)?,
            0x80.. => p = non_ascii_end(b, p)?,
            _ => return None,
        }
    }
}

/// The end of the run of bytes above ASCII at `p` (inside a string: copied as they are),
/// eight at a time; `None` when one of them is 0xF4 or above.
#[inline(never)]
fn non_ascii_end(b: &[u8], mut p: usize) -> Option<usize> {
    // 0xF4 and above: the high bit, and 0x74 or more in the low seven bits.
    const TO_F4: u64 = ONES * (0x80 - 0x74);
    loop {
        let x = load8(b, p);
        // The run's bytes: those before the first byte below 0x80 (exact flags).
        let n = first_flagged(!x & HIGH);
        let run = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        if ((x & LOW7) + TO_F4) & x & HIGH & run != 0 {
            return None;
        }
        p += n;
        if n < 8 {
            return Some(p);
        }
    }
}

/// The position after the escape sequence at `p` (on its backslash).
#[inline(never)]
fn escape_end(b: &[u8], p: usize) -> Option<usize> {
    match at(b, p + 1) {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(p + 2),
        b'u' if b.get(p + 2..p + 6)?.iter().all(u8::is_ascii_hexdigit) => Some(p + 6),
        _ => None,
    }
}

/// The high bit of every byte of `x` that is not an ASCII digit: exact for every byte that
/// does not follow a byte above ASCII (flagged itself), so for the first flagged byte, and for
/// the first flagged after a `.` and digits.
#[inline(always)]
fn non_digits(x: u64) -> u64 {
    // `x ^ '0'` maps the digits, and only them, to 0..=9; a byte is flagged when that is 10 or
    // more. The sum carries into the next byte only out of a byte of 0x8a or more after the
    // xor, which is above ASCII before it.
    const ZEROS: u64 = ONES * b'0' as u64;
    const TEN_UP: u64 = ONES * (0x80 - 10);
    let t = x ^ ZEROS;
    (t.wrapping_add(TEN_UP) | t) & HIGH
}

/// The position after the number whose integer part starts at `p` (after its `-`, if any),
/// checked against JSON's grammar: a number whose integer and fraction end within eight
/// bytes, without exponent, from one word.
#[inline(always)]
fn number_end(b: &[u8], p: usize) -> Option<usize> {
    let x = load8(b, p);
    let nd = non_digits(x);
    // The integer part: at least one digit, no leading zero.
    let n = first_flagged(nd);
    if n == 0 || (n > 1 && x as u8 == b'0') {
        return None;
    }
    if n < 7 {
        let after = (x >> (8 * n)) as u8;
        // A comma after the integer: the commonest end.
        if after == b',' {
            return Some(p + n);
        }
        if after == b'.' {
            // The flags past the point.
            let rest = nd & (u64::MAX << (8 * n + 8));
            let m = first_flagged(rest);
            if rest != 0 && (x >> (8 * m)) as u8 | 0x20 != b'e' {
                return (m > n + 1).then_some(p + m);
            }
        } else if after | 0x20 != b'e' {
            return Some(p + n);
        }
    }
    number_end_long(b, p)
}

/// [`number_end`] for any number (from its integer part), a part at a time.
#[inline(never)]
fn number_end_long(b: &[u8], mut p: usize) -> Option<usize> {
    match at(b, p) {
        b'0' => p += 1,
        b'1'..=b'9' => p += 1 + digits(b, p + 1),
        _ => return None,
    }
    if at(b, p) == b'.' {
        let n = digits(b, p + 1);
        if n == 0 {
            return None;
        }
        p += 1 + n;
    }
    if at(b, p) | 0x20 == b'e' {
        p += 1;
        if let b'+' | b'-' = at(b, p) {
            p += 1;
        }
        let n = digits(b, p);
        if n == 0 {
            return None;
        }
        p += n;
    }
    Some(p)
}

/// The length of the leading run of `s` that holds no `"`, no `\\` and no control character
/// (U+0000–U+001F): the bytes a JSON string copies as they are. Eight bytes at a time.
#[inline(always)]
pub(crate) fn string_run(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut chunks {
        let x = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        let flags = string_specials(x);
        if flags != 0 {
            return i + first_flagged(flags);
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
        let result = compact(s.as_bytes(), &mut out).map(|_| String::from_utf8(out).unwrap());
        // The fast path accepts exactly what the validator accepts (below its depth limit),
        // with the same output.
        let mut fast_out = Vec::new();
        match fast(s.as_bytes(), &mut fast_out) {
            Some(_) => assert_eq!(Ok(String::from_utf8(fast_out).unwrap()), result, "{s:?}"),
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

    /// `string_stops` flags first the first byte that is `"`, `\\`, a control character or
    /// above ASCII, whatever the bytes around it.
    #[test]
    fn string_stops_flag_the_first_byte_to_look_at() {
        let stops = |c: u8| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c);
        for at in 0..8 {
            for c in 0..=255u8 {
                for fill in [b'a', b' ', b'!', b'#', b'[', b']', b'~', 0x7f] {
                    for after in [0u8, b'"', b'\\', 0x21, 0x80, 0xff, b'a'] {
                        let mut bytes = [fill; 8];
                        bytes[at] = c;
                        if at < 7 {
                            bytes[at + 1] = after;
                        }
                        let flags = string_stops(u64::from_le_bytes(bytes));
                        let expected = bytes.iter().position(|&b| stops(b));
                        let got = (flags != 0).then(|| first_flagged(flags));
                        assert_eq!(got, expected, "{bytes:?}");
                    }
                }
            }
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

#[cfg(test)]
mod find_tests {
    use super::find_either;

    #[test]
    fn finds_the_first_of_two_bytes_at_every_position() {
        for len in 0..40 {
            for at in 0..=len {
                for (first, other) in [(b',', b';'), (b';', b',')] {
                    let mut text = vec![b'a'; len];
                    if at < len {
                        text[at] = first;
                        for b in &mut text[at + 1..] {
                            *b = other;
                        }
                    }
                    let expected = (at < len).then_some(at);
                    assert_eq!(find_either(&text, b',', b';'), expected, "{len} {at}");
                }
            }
        }
        // Bytes one bit away from the needles, high bytes, and NUL needles (the padding).
        assert_eq!(find_either(b"-+:<\xff\x80\xac,", b',', b';'), Some(7));
        assert_eq!(find_either(b"abc", 0, b';'), None);
        assert_eq!(find_either(b"ab\0c", 0, b';'), Some(2));
    }
}

/// The fast path against the validator and a byte-by-byte reference, at every position of the
/// eight- and sixteen-byte blocks it reads and copies.
#[cfg(test)]
mod block_tests {
    use super::*;
    use proptest::prelude::*;

    /// The validator alone (the fast path's fallback).
    fn slow(input: &[u8]) -> Result<Vec<u8>, Invalid> {
        let mut out = Vec::new();
        let mut p = Parser {
            input,
            pos: 0,
            run_start: 0,
            out: &mut out,
        };
        p.skip_ws();
        p.value()?;
        p.skip_ws();
        if p.pos != input.len() {
            return Err(p.err("trailing characters"));
        }
        p.flush();
        Ok(out)
    }

    /// The input without whitespace outside strings, one byte at a time (no validation).
    fn naive(input: &[u8]) -> Vec<u8> {
        let (mut in_string, mut escaped) = (false, false);
        let mut out = Vec::new();
        for &c in input {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_string = false;
                }
            } else if c == b'"' {
                in_string = true;
            } else if is_ws(c) {
                continue;
            }
            out.push(c);
        }
        out
    }

    /// Checks one input: the fast path accepts exactly what the validator accepts (nesting
    /// within the limit), with the validator's output, which is the naive compaction. Answers
    /// whether it is JSON.
    fn check(input: &[u8]) -> bool {
        let expected = slow(input);
        let mut fast_out = b"prefix".to_vec();
        let fast_result = fast(input, &mut fast_out);
        let mut out = b"prefix".to_vec();
        let result = compact(input, &mut out);
        match &expected {
            Ok(text) => {
                assert_eq!(*text, naive(input), "{:?}", String::from_utf8_lossy(input));
                if fast_result.is_some() {
                    assert_eq!(
                        fast_out[6..],
                        text[..],
                        "{:?}",
                        String::from_utf8_lossy(input)
                    );
                }
                let plane16 = text.iter().any(|&c| c >= 0xF4);
                assert_eq!(
                    fast_result,
                    (!plane16).then_some(Compacted { plane16 }),
                    "{:?}",
                    String::from_utf8_lossy(input)
                );
                assert_eq!(result, Ok(Compacted { plane16 }));
                assert_eq!(out[6..], text[..]);
            }
            Err(e) => {
                assert!(
                    fast_result.is_none(),
                    "{:?}",
                    String::from_utf8_lossy(input)
                );
                assert_eq!(result.as_ref(), Err(e));
            }
        }
        expected.is_ok()
    }

    fn ok(input: &str) {
        assert!(check(input.as_bytes()), "{input:?} must be accepted");
        if !input.contains("\\u") {
            assert!(
                serde_json::from_str::<serde_json::Value>(input).is_ok(),
                "{input:?}"
            );
        }
    }

    fn bad(input: &[u8]) {
        assert!(
            !check(input),
            "{:?} must be rejected",
            String::from_utf8_lossy(input)
        );
    }

    #[test]
    fn escapes_at_every_place_in_a_block() {
        for escape in [
            "\\n",
            "\\\"",
            "\\\\",
            "\\/",
            "\\u00e9",
            "\\uD83D\\uDE00",
            "\\t\\r",
        ] {
            for before in 0..24 {
                for after in [0, 1, 7, 8, 9, 17] {
                    let s = format!("\"{}{escape}{}\"", "a".repeat(before), "b".repeat(after));
                    ok(&s);
                    ok(&format!("{{{s}: [{s}, {s}]}}"));
                }
            }
        }
    }

    #[test]
    fn multibyte_utf8_at_every_place_in_a_block() {
        for ch in ["é", "東", "😀", "\u{7f}", "\u{80}"] {
            for before in 0..20 {
                let s = format!("\"{}{ch}{ch}x\"", "a".repeat(before));
                ok(&s);
                ok(&format!(" [ {s} , {{ {s} : {s} }} ] "));
            }
        }
    }

    #[test]
    fn invalid_bytes_at_every_place_in_a_block() {
        let base = br#"["abcdefghijklmnopqrstuvwxyz", 1234567890123456789, {"k": true}]"#;
        assert!(check(base));
        for at in 0..base.len() {
            for byte in [0u8, 0x01, 0x1f, b'"', b'\\', b'x', b'}', b',', 0x80, 0xff] {
                let mut s = base.to_vec();
                s[at] = byte;
                check(&s);
            }
            // Controls inside strings, and the end of the input anywhere but the end.
            let mut s = base.to_vec();
            if (2..28).contains(&at) {
                s[at] = b'\n';
                bad(&s);
            }
            bad(&base[..at]);
        }
        // Raw control characters in a string, at every place of a block.
        for c in (0u8..0x20).chain([b'"']) {
            for at in 1..18 {
                let mut s = vec![b'"'; 1];
                s.extend(std::iter::repeat_n(b'a', 20));
                s.push(b'"');
                s[at] = c;
                bad(&s);
            }
        }
        // Invalid escapes.
        for e in ["\\x", "\\u12g4", "\\u12", "\\U0041", "\\", "\\ "] {
            for before in 0..10 {
                bad(format!("\"{}{e}\"", "a".repeat(before)).as_bytes());
            }
        }
    }

    #[test]
    fn separators_with_keys_of_every_length() {
        for n in 0..12 {
            let k = format!("\"{}\"", "k".repeat(n));
            for colon in [": ", ":", " : ", ":  ", ":\n", ": \t", "\t:"] {
                for comma in [", ", ",", " , ", ",  ", ",\n", ", \r\n"] {
                    for v in ["1", "\"v\"", "[]", "{}", "true", "-0.5"] {
                        ok(&format!("{{{k}{colon}{v}{comma}{k}{colon}{v}}}"));
                        ok(&format!("[{{{k}{colon}{v}}}{comma}{v}]"));
                    }
                }
                // A key then the end of the input, or no value.
                bad(format!("{{{k}{colon}").as_bytes());
                bad(format!("{{{k}{colon}}}").as_bytes());
                bad(format!("{{{k}{colon}1, }}").as_bytes());
                bad(format!("{{{k}{colon}1, {k}}}").as_bytes());
                bad(format!("[1, {k}{colon}2]").as_bytes());
            }
        }
    }

    #[test]
    fn whitespace_runs_of_every_length() {
        for n in 0..40 {
            for unit in [" ", "\n", "\t", "\r", "\r\n  ", " \t"] {
                let w = unit.repeat(n);
                ok(&format!(
                    "{w}{{{w}\"a b\"{w}:{w}[{w}1{w},{w}\"x\"{w},{w}true{w}]{w},{w}\"c\"{w}:{w}{{{w}}}{w}}}{w}"
                ));
            }
        }
        // Whitespace JSON does not allow.
        for w in ["\u{b}", "\u{c}", "\u{a0}", "\u{2028}"] {
            bad(format!("[1,{w}2]").as_bytes());
        }
    }

    #[test]
    fn numbers_and_literals_at_every_length() {
        for n in 1..24 {
            let d = "7".repeat(n);
            // Exponents serde_json can hold (it rejects overflowing numbers, which we copy).
            let e = "7".repeat(n.min(2));
            for good in [
                d.clone(),
                format!("-{d}"),
                format!("0.{d}"),
                format!("-{d}.{d}e+{e}"),
                format!("{d}E{e}"),
                format!("{d}e-0"),
                format!("{d}e-{d}"),
            ] {
                ok(&good);
                ok(&format!("[{good},{good} , {good}]"));
            }
            for wrong in [
                format!("0{d}"),
                format!("{d}."),
                format!(".{d}"),
                format!("{d}e"),
                format!("{d}e+"),
                format!("-.{d}"),
                format!("+{d}"),
                format!("{d}x"),
                format!("{d}.{d}.{d}"),
                format!("[{d}-1]"),
            ] {
                bad(wrong.as_bytes());
            }
        }
        for good in ["true", "false", "null", "[true,false,null]", "{\"a\":null}"] {
            ok(good);
        }
        for wrong in [
            "tru", "nul", "fals", "[true", "truex", "nulll", "[falsy]", "True", "t",
        ] {
            bad(wrong.as_bytes());
        }
    }

    #[test]
    fn nesting_limit() {
        for open in ["[", "{\"k\":"] {
            let close = if open == "[" { "]" } else { "}" };
            let ok_depth = open.repeat(MAX_DEPTH - 1) + "1" + &close.repeat(MAX_DEPTH - 1);
            let mut out = Vec::new();
            assert!(fast(ok_depth.as_bytes(), &mut out).is_some());
            let deep = open.repeat(MAX_DEPTH + 1) + "1" + &close.repeat(MAX_DEPTH + 1);
            let mut out = Vec::new();
            assert!(fast(deep.as_bytes(), &mut out).is_none());
            assert!(compact(deep.as_bytes(), &mut out).is_err());
        }
    }

    #[test]
    fn the_w3_workload_takes_the_fast_path() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../benches/workloads/w3_passthrough.body.json"
        );
        let body = std::fs::read(path).expect("the W3 workload");
        let mut out = Vec::new();
        assert!(fast(body.trim_ascii(), &mut out).is_some());
        assert_eq!(out.len(), 921_916);
        assert_eq!(out, naive(&body));
        assert!(check(&body));
    }

    /// `from` replaced by `to` at each place it occurs in `text`, one place at a time: the
    /// compaction accepts each changed text exactly when serde_json does.
    fn replaced_everywhere_agrees(text: &str, from: &str, to: &str) {
        for (at, _) in text.match_indices(from) {
            let changed = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
            let accepted = check(changed.as_bytes());
            agrees_with_serde_json(changed.as_bytes(), accepted);
        }
    }

    /// Our verdict against `serde_json`'s on the same text, its invalid UTF-8 replaced (we copy
    /// string bytes as they are and leave UTF-8 to the caller; a replaced byte outside a string
    /// is invalid for both), except where the two differ by design: `\u` escapes of lone
    /// surrogates (copied as written), numbers beyond `f64` (copied as written) and nesting
    /// past `serde_json`'s 128.
    fn agrees_with_serde_json(input: &[u8], accepted: bool) {
        let text = String::from_utf8_lossy(input);
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => assert!(accepted, "{text:?}"),
            Err(e) => {
                let e = e.to_string();
                let by_design = e.contains("out of range")
                    || e.contains("recursion limit")
                    || (e.contains("surrogate") || e.contains("escape")) && text.contains("\\u");
                assert!(!accepted || by_design, "{text:?}: {e}");
            }
        }
    }

    /// Values of every kind, valid and not: number shapes, escapes, bytes above ASCII (valid
    /// UTF-8, plane 16, and invalid UTF-8 in and outside strings), literals, containers.
    const VALUES: &[&[u8]] = &[
        // Numbers.
        b"0",
        b"-0",
        b"7",
        b"-7",
        b"1e5",
        b"1E+5",
        b"1e-5",
        b"0.5e-3",
        b"-0.5E+30",
        b"123456789.123456789e123",
        b"12345678901234567890123456789",
        b"1.0",
        b"-12.5",
        b"0e0",
        b"01",
        b"-01",
        b"00",
        b"-",
        b"--1",
        b"+1",
        b"1.",
        b".5",
        b"-.5",
        b"1e",
        b"1e+",
        b"1E-",
        b"1.e5",
        b"1.5.5",
        b"1e5e5",
        b"0x10",
        b"1_000",
        b"Infinity",
        b"NaN",
        b"1e400",
        // Strings.
        b"\"\"",
        b"\"a\"",
        b"\"cm\"",
        b"\"SKU-48314192\"",
        b"\"november charlie echo\"",
        b"\"with \\\"quotes\\\" and \\\\ and \\/\"",
        b"\"\\b\\f\\n\\r\\t\"",
        b"\"\\u00e9\\u6771\\ud83d\\ude00\"",
        b"\"\\ud800\"",
        b"\"\\u12g4\"",
        b"\"\\u12\"",
        b"\"\\x41\"",
        b"\"\\U0041\"",
        b"\"\\\"",
        b"\"a\\",
        b"\"unterminated",
        b"\"tab\there\"",
        b"\"nl\nhere\"",
        b"\"nul\0here\"",
        b"\"del\x7fhere\"",
        "\"caf\u{e9} \u{6771}\u{4eac} \u{1f600}\"".as_bytes(),
        "\"\u{100000} plane 16 \u{10ffff}\"".as_bytes(),
        "\"\u{fffff}\u{10000}\"".as_bytes(),
        b"\"lone \x80 continuation\"",
        b"\"overlong \xc0\xaf\"",
        b"\"surrogate \xed\xa0\x80\"",
        b"\"too high \xf4\x90\x80\x80\"",
        b"\"\xf5\xff\xfe\"",
        b"\"truncated \xe6\x9d\"",
        b"\"\xe6\x9d",
        // Bytes above ASCII outside strings.
        b"\xc3\xa9",
        b"\xff",
        b"1\x80",
        // Literals.
        b"true",
        b"false",
        b"null",
        b"tru",
        b"fals",
        b"nul",
        b"truex",
        b"nulll",
        b"True",
        b"t",
        // Containers.
        b"[]",
        b"{}",
        b"[1,2]",
        b"[1 ,2 ]",
        b"[1,]",
        b"[,1]",
        b"[1 2]",
        b"{\"a\":1}",
        b"{\"a\" : 1 , \"b\" : [true , null]}",
        b"{\"a\":1,}",
        b"{\"a\"}",
        b"{\"a\":}",
        b"{1:2}",
        b"{\"a\":1 \"b\":2}",
        b"[[[[[]]]]]",
        b"[{\"k\": [{}]}]",
        b"[",
        b"]",
        b"{",
        b"}",
        b"[}",
        b"{]",
    ];

    /// Every value in every place (the root, an array, an object member with keys of every
    /// length, the last member or not), at every offset of the eight-byte words and the
    /// blocks (leading whitespace of 0 to 16 bytes), against the validator, the naive
    /// compaction and `serde_json`.
    #[test]
    fn every_value_in_every_place_at_every_offset() {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for &v in VALUES {
            let v = String::from_utf8_lossy(v).into_owned();
            let raw = |s: String| s.into_bytes();
            texts.push(v.as_bytes().to_vec());
            for key_len in 0..10 {
                let k = "k".repeat(key_len);
                for (colon, comma) in [(": ", ", "), (":", ","), (" : ", " , "), (":\n", ",\n  ")] {
                    texts.push(raw(format!("{{\"{k}\"{colon}{v}}}")));
                    texts.push(raw(format!("{{\"{k}\"{colon}{v}{comma}\"z\"{colon}1}}")));
                    texts.push(raw(format!(
                        "{{\"a\"{colon}1{comma}\"{k}\"{colon}{v}{comma}\"{k}\"{colon}{v}}}"
                    )));
                    texts.push(raw(format!("[{v}{comma}\"{k}\"{comma}{v}]")));
                }
            }
        }
        // The same texts with the raw bytes (the lossy decoding above replaced them).
        for &v in VALUES {
            for (open, close) in [(&b""[..], &b""[..]), (b"[", b"]"), (b"{\"key\": ", b"}")] {
                for after in [&b""[..], b", \"z\": 1", b", 2"] {
                    let mut t = open.to_vec();
                    t.extend_from_slice(v);
                    t.extend_from_slice(after);
                    t.extend_from_slice(close);
                    texts.push(t);
                }
            }
        }
        let (mut valid, mut invalid) = (0, 0);
        for text in &texts {
            for shift in 0..=16 {
                for pad in [" ", "\n", "\t"] {
                    let mut t = pad.repeat(shift).into_bytes();
                    t.extend_from_slice(text);
                    let accepted = check(&t);
                    agrees_with_serde_json(&t, accepted);
                    if accepted {
                        valid += 1;
                    } else {
                        invalid += 1;
                    }
                }
            }
        }
        // Both kinds, in numbers.
        assert!(
            valid > 20_000 && invalid > 20_000,
            "{valid} valid, {invalid} invalid"
        );
    }

    /// Every truncation and every one-byte change of texts like the W3 workload's, with runs of
    /// all the lengths the blocks copy.
    #[test]
    fn every_cut_and_changed_byte() {
        let texts = [
            &br#"{"id": 0, "sku": "SKU-48314192", "name": "november charlie echo", "price": 159.08, "qty": 96, "active": true, "discount": 0.482, "tags": ["foxtrot", "echo"], "dims": {"w": 87, "h": 5, "unit": "cm"}, "note": "He said \"ok\"\\ then left\n(caf\u00e9)"}"#[..],
            "[{\"k\":\"\u{e9}\u{6771}\u{1f600}\",\"l\" : [ -0.5e-3 , 1E+5 , null , false ]},{}]"
                .as_bytes(),
            b"{\"abcdefghijklmnopqrstuvwxyz0123456789\": \"abcdefghijklmnopqrstuvwxyz0123456789abcdef\", \"b\": [[], {}, [[1]]]}",
        ];
        let bytes = [
            0u8, b' ', b'\n', b'"', b'\\', b',', b':', b'{', b'}', b'[', b']', b'0', b'-', b'.',
            b'e', b'x', 0x1f, 0x7f, 0x80, 0xc3, 0xe6, 0xed, 0xf4, 0xf5, 0xff,
        ];
        for text in texts {
            assert!(check(text));
            for at in 0..text.len() {
                let cut = &text[..at];
                let accepted = check(cut);
                agrees_with_serde_json(cut, accepted);
                for &byte in &bytes {
                    let mut changed = text.to_vec();
                    changed[at] = byte;
                    let accepted = check(&changed);
                    agrees_with_serde_json(&changed, accepted);
                    // And the byte inserted.
                    let mut inserted = text.to_vec();
                    inserted.insert(at, byte);
                    let accepted = check(&inserted);
                    agrees_with_serde_json(&inserted, accepted);
                }
            }
        }
    }

    /// Keys remembered by [`Keys`]: keys each in a pair of slots of its own, keys of one pair
    /// (four, so that they push each other out) and keys equal in their first bytes (one
    /// slot), of every length the table holds and past it, repeated in objects in several
    /// orders with values of every kind, with `, ` and other separators after their values and
    /// one space or more after their colons; then every member changed in every place. Each is
    /// judged and copied as the validator does, whichever path and slot its key takes.
    #[test]
    fn keys_sharing_slots_in_every_order() {
        const VALUES: [&str; 11] = [
            "1",
            "\"v\"",
            "-0.5",
            "[2, 3]",
            "12.25",
            "{\"in\": 4}",
            "-7",
            "\"a \\\" b\"",
            "true",
            "null",
            "false",
        ];
        let mut pairs: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
        for i in 0..400 {
            let key = format!("k{i}");
            let mut bytes = format!(", \"{key}\": ").into_bytes();
            bytes.resize(8, 0);
            let x = u64::from_le_bytes(bytes.try_into().unwrap());
            pairs.entry(Keys::slot(x) / 2).or_default().push(key);
        }
        let crowded = pairs.values().find(|keys| keys.len() >= 4).unwrap();
        // Keys of pairs of their own (all found in their slots), and those of one pair.
        let spread: Vec<String> = pairs.values().take(9).map(|keys| keys[0].clone()).collect();
        let mut groups = vec![spread, crowded[..4].to_vec()];
        // One slot: the same first four bytes, told apart by the rest (or by the length).
        groups.push((0..=14).map(|n| format!("abcd{}", "e".repeat(n))).collect());
        groups.push(
            (0..=14)
                .map(|n| format!("abcd{}f", "e".repeat(n)))
                .collect(),
        );
        groups.push(
            (0..=9)
                .map(|n| format!("abcd{}{n}", "x".repeat(n)))
                .collect(),
        );
        for keys in &groups {
            let orders: Vec<Vec<&String>> = vec![
                keys.iter().collect(),
                keys.iter().rev().collect(),
                keys.iter()
                    .step_by(2)
                    .chain(keys.iter().skip(1).step_by(2))
                    .collect(),
                keys.iter().chain(keys.iter()).collect(),
            ];
            for after_colon in [" ", "  ", " \t", " \n ", ""] {
                for comma in [", ", ",", " , ", ",  "] {
                    let mut objects = Vec::new();
                    for (i, order) in orders.iter().enumerate() {
                        let members: Vec<String> = order
                            .iter()
                            .enumerate()
                            .map(|(j, k)| {
                                let v = VALUES[(i + j) % VALUES.len()];
                                format!("\"{k}\":{after_colon}{v}")
                            })
                            .collect();
                        objects.push(format!("{{{}}}", members.join(comma)));
                    }
                    let text = format!("[{}]", objects.join(", "));
                    assert!(check(text.as_bytes()), "{text}");
                    let doubled = format!("[{}]", [&text[1..text.len() - 1]; 3].join(comma));
                    assert!(check(doubled.as_bytes()), "{doubled}");
                    // A member changed after the keys are known (in every place): its opening
                    // quote, its colon, the space after it, or its separator.
                    for (from, to) in [
                        ("\": ", "\" "),
                        ("\": ", "\"; "),
                        ("\": ", "\":1"),
                        ("\": ", "\":x"),
                        ("\": ", "\":\t"),
                        ("\", \"", "\" \""),
                        (", \"", ", ]"),
                        (", \"", ", x"),
                        (", \"", "; \""),
                        (", \"", "  \""),
                        ("{\"", "{x"),
                        ("{\"", "{ \""),
                        ("-", "--"),
                        ("-", "- "),
                        (".", ".."),
                        ("true", "tru"),
                        ("null", "nul"),
                        ("false", "falsy"),
                    ] {
                        replaced_everywhere_agrees(&text, from, to);
                    }
                }
            }
        }
    }

    /// Arrays of scalars of every kind (the elements loop), with every separator, in objects
    /// and arrays, then with each separator and each scalar broken in every place.
    #[test]
    fn arrays_of_scalars() {
        let scalars = [
            "1",
            "-2.5",
            "\"a\"",
            "true",
            "null",
            "false",
            "\"\\u0041\"",
            "0",
            "12e3",
        ];
        for comma in [", ", ",", " , ", ",  ", ",\n"] {
            for n in 1..=scalars.len() {
                let array = format!("[{}]", scalars[..n].join(comma));
                for text in [
                    array.clone(),
                    format!("{{\"k\": {array}, \"j\": {array}}}"),
                    format!("[{array}, {array}]"),
                ] {
                    assert!(check(text.as_bytes()), "{text}");
                    for (from, to) in [
                        (", ", "; "),
                        (", ", ",, "),
                        (", ", ", ]"),
                        ("true", "trux"),
                        ("null", "nulx"),
                        ("false", "falsy"),
                        ("-2.5", "-.5"),
                        ("\"a\"", "\"a"),
                    ] {
                        replaced_everywhere_agrees(&text, from, to);
                    }
                }
            }
        }
    }

    /// `, ` between array elements and after a value at the root (not JSON), with more
    /// whitespace after it, or no element.
    #[test]
    fn elements_after_comma_and_space() {
        for text in [
            "[1, 2]",
            "[1, 2, 3]",
            "[1,  2]",
            "[1, \t2]",
            "[1, \n]",
            "[1, ]",
            "[[1], [2]]",
            "[{}, {}]",
            "[\"a\", \"b\"]",
            "[\"a\", \"b\": 1]",
            "1, 2",
            "\"a\", \"b\"",
            "\"a\", \"b\": 1",
            "{\"a\": 1, 2}",
            "{\"a\": [1, 2], \"b\": 3}",
            "[1, 2, ",
            "[1, 2,",
            "[true, false, null]",
            "[1, \"k\": 2]",
        ] {
            let accepted = check(text.as_bytes());
            agrees_with_serde_json(text.as_bytes(), accepted);
        }
    }

    /// Keys met again (the fast path remembers keys of up to twelve bytes) with every separator and every
    /// byte after them, and keys sharing their first bytes, in every order.
    #[test]
    fn repeated_keys_with_every_separator() {
        for n in 0..15 {
            for key in [
                "k".repeat(n),
                format!("ab{}", "c".repeat(n)),
                format!("ab{}", "d".repeat(n)),
            ] {
                let members: Vec<String> = [
                    "\": 1",
                    "\":1",
                    "\" : 1",
                    "\":  1",
                    "\":\t1",
                    "\": \"v\"",
                    "\": [1]",
                    "\": {}",
                    "\"x: 1",
                    "\"; 1",
                    "\":: 1",
                    "\": ,",
                    "\": ",
                    "\":",
                    "\"",
                    "x\": 1",
                    "\\\": 1",
                    "\\\"\": 1",
                    "\\u0041\": 1",
                ]
                .iter()
                .map(|rest| format!("\"{key}{rest}"))
                .collect();
                for a in &members {
                    for b in &members {
                        for text in [
                            format!("[{{{a}}}, {{{b}}}]"),
                            format!("{{{a}, {b}}}"),
                            format!("[{{\"z\": {{{a}}}}}, {{{b}}}]"),
                            format!("{{{a},{b}, {a}}}"),
                        ] {
                            let accepted = check(text.as_bytes());
                            agrees_with_serde_json(text.as_bytes(), accepted);
                        }
                    }
                }
            }
        }
    }

    /// Nesting up to the fast path's limit, with whitespace and members in between, and past
    /// it (the validator decides).
    #[test]
    fn deep_nesting_of_both_kinds() {
        for depth in [
            1,
            2,
            63,
            64,
            65,
            127,
            128,
            129,
            MAX_DEPTH - 2,
            MAX_DEPTH - 1,
        ] {
            for (open, close) in [("[", "]"), ("{\"k\": ", "}"), (" [ {\"k\" :", "} ] ")] {
                // The mixed opening holds two levels.
                let levels = if open.contains('[') && open.contains('{') {
                    (depth / 2).max(1)
                } else {
                    depth
                };
                let text = open.repeat(levels) + "1" + &close.repeat(levels);
                assert!(check(text.as_bytes()), "{depth} {open}");
                // Unbalanced: one closing bracket short, one too many, the wrong kind.
                assert!(!check(
                    (open.repeat(levels) + "1" + &close.repeat(levels - 1)).as_bytes()
                ));
                assert!(!check((text.clone() + close).as_bytes()));
                let wrong = text.replacen(']', "}", 1);
                if wrong != text {
                    assert!(!check(wrong.as_bytes()));
                }
            }
        }
        // Past the limit: the validator's verdict, through `compact`.
        for depth in [MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5] {
            let text = "[".repeat(depth) + "1" + &"]".repeat(depth);
            let mut out = Vec::new();
            assert_eq!(
                compact(text.as_bytes(), &mut out).is_ok(),
                slow(text.as_bytes()).is_ok()
            );
        }
    }

    /// Whitespace of every kind, up to ten bytes.
    fn ws() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[ \t\n\r]{0,10}").expect("regex")
    }

    /// A string literal with escapes and multi-byte characters.
    fn string() -> impl Strategy<Value = String> {
        proptest::string::string_regex(r#""([a-z é東😀]|\\[nrt"\\/bf]|\\u00[0-9a-fA-F]{2}){0,30}""#)
            .expect("regex")
    }

    /// JSON text with whitespace of every kind and length between tokens.
    fn json_text() -> impl Strategy<Value = String> {
        let number = proptest::string::string_regex(
            r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?",
        )
        .expect("regex");
        let leaf = prop_oneof![
            string(),
            number,
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            let item = (ws(), inner.clone(), ws()).prop_map(|(a, v, b)| a + &v + &b);
            let member = (ws(), string(), ws(), ws(), inner, ws())
                .prop_map(|(a, k, b, c, v, d)| format!("{a}{k}{b}:{c}{v}{d}"));
            prop_oneof![
                (proptest::collection::vec(item, 0..8), ws())
                    .prop_map(|(items, w)| format!("[{w}{}]", items.join(","))),
                (proptest::collection::vec(member, 0..8), ws())
                    .prop_map(|(members, w)| format!("{{{w}{}}}", members.join(","))),
            ]
        })
        .prop_flat_map(|v| (ws(), Just(v), ws()))
        .prop_map(|(a, v, b)| a + &v + &b)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn valid_text_compacts_as_written(text in json_text()) {
            prop_assert!(check(text.as_bytes()), "{:?}", text);
            let ours: serde_json::Value = serde_json::from_slice(&{
                let mut out = Vec::new();
                compact(text.as_bytes(), &mut out).expect("valid");
                out
            }).expect("our output is JSON");
            let theirs: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads it");
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn a_changed_byte_is_judged_as_the_validator_judges_it(
            text in json_text(),
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![any::<u8>(), prop::sample::select(b"\"\\{}[],: \n0-.eE".to_vec())],
            cut in any::<bool>(),
        ) {
            let mut bytes = text.into_bytes();
            let i = at.index(bytes.len());
            if cut {
                bytes.truncate(i);
            } else {
                bytes[i] = byte;
            }
            let accepted = check(&bytes);
            // serde_json agrees, except on what is not checked here: UTF-8 (the caller does),
            // lone surrogates in `\u` escapes and numbers out of `f64`'s range (copied as
            // written).
            if let Ok(s) = std::str::from_utf8(&bytes) {
                match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(_) => prop_assert!(accepted, "{:?}", s),
                    Err(e) if e.to_string().contains("out of range") => {}
                    Err(_) if s.contains("\\u") => {}
                    Err(e) => prop_assert!(!accepted, "{:?}: {}", s, e),
                }
            }
        }
    }
}
