//! JSON documents read lazily into template values.
//!
//! [`Value::from_json`](crate::Value::from_json) validates the text in one pass and records a
//! flat tape of nodes (no allocation per value). Objects and arrays then stay on the tape:
//! `$doc.key`, `$doc.list[0]`, `#foreach($x in $doc.list)` and printing a member read the tape
//! directly, and strings are decoded only when read. Any other use of a container (a method
//! call, `#set($doc.k = …)`, equality, printing the container itself) *materializes* it once —
//! a real `LinkedHashMap`-like map, or the caller's array object — kept on the tape under
//! the reading (one `$input.path(…)` call), so every later use of that reading, fast or not,
//! sees that one object and its changes (Java identity), and no other reading does.
//! Materialization is shallow: the members of a materialized container stay on the tape.
//!
//! The reader is partial by design: whatever it cannot settle exactly as a `serde_json`-based
//! reader would (invalid JSON, numbers beyond the exactly computable range, lone surrogates,
//! nesting deeper than [`MAX_DEPTH`], texts over 4 GiB) makes it answer `None`, and the caller
//! falls back to its own reader.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use crate::value::{V, Value};

#[cfg(test)]
#[path = "json_reference.rs"]
mod reference;

/// Containers nested deeper than this make the reader answer `None`.
pub(crate) const MAX_DEPTH: u32 = 100;

/// Builds the array object a caller wants JSON arrays materialized as.
type ArrayFn = fn(Vec<Value>) -> Value;

/// A checked JSON text and its tape, shared by every reading of it, with what the readings
/// materialized (released when the last [`JsonText`] handle goes).
pub(crate) struct Tape {
    nodes: Vec<Node>,
    /// The text (a copy: strings are then read without checking UTF-8 again).
    text: String,
    /// The [`JsonText`] handles on this tape.
    handles: Cell<usize>,
    /// The readings made so far: the next one's number.
    readings: Cell<u64>,
    /// The array builder of reading 0 and of every later one until `other_arrays` says
    /// otherwise (a caller passes the same builder every time, so that is the common case).
    first_array: Cell<Option<ArrayFn>>,
    /// Where the array builder changed: from which reading on, which builder.
    other_arrays: RefCell<Vec<(u64, ArrayFn)>>,
    /// The containers materialized so far, by reading and node. Emptied (its capacity kept,
    /// within bounds) when the last handle goes, and kept with the tape for the thread's
    /// next text.
    made: RefCell<HashMap<(u64, u32), Value, BuildHasherDefault<NodeHasher>>>,
    /// Whether `made` may hold anything: while not, every container is on the tape, told
    /// without a look at `made`.
    any_made: Cell<bool>,
    /// Members and elements of the containers kept in `made` for readings after the first
    /// (bounded by [`Tape::MAX_LATER_MADE`]).
    later_made: Cell<usize>,
}

/// One reading of a tape (the values a template gets from one `$input.path(…)` call): the
/// tape and the reading's number, under which its materialized containers are kept in the
/// tape, so two readings never share mutable objects, and a reading costs no allocation.
#[derive(Clone)]
pub(crate) struct Doc {
    tape: Rc<Tape>,
    reading: u64,
}

/// JSON text checked and laid out on a tape once, read any number of times: each reading
/// ([`JsonText::value`], [`JsonText::value_at`]) gives fresh template values, as if the text
/// were parsed again (without an allocation: a reading is a number on the tape).
///
/// Keep the `JsonText` (or a clone) as long as its values are in use, typically for one
/// render: a materialized container holds its members' handles on the tape, which holds the
/// container, and dropping the last `JsonText` handle releases those links (otherwise they
/// would keep each other alive). Values used after that still read correctly, but a
/// container materialized then is a new object, not the one materialized before (and,
/// nothing releasing it any more, a container with containers inside keeps itself and the
/// tape alive: materialize while a handle lives).
///
/// # Example
///
/// ```
/// use apigw_vtl::{JsonStep, JsonText, Value};
/// let text = JsonText::parse(br#"{"a": {"b": [1, 123456789012345678901234]}}"#).unwrap();
/// let big = text.value_at(&[JsonStep::Key("a"), JsonStep::Key("b"), JsonStep::Index(-1)], Value::list);
/// assert_eq!(big.unwrap().to_string(), "123456789012345678901234");
/// assert!(text.value_at(&[JsonStep::Key("x")], Value::list).is_none());
/// assert_eq!(text.value(Value::list).to_string(), "{a={b=[1, 123456789012345678901234]}}");
/// ```
pub struct JsonText(
    /// Always `Some` but while the last handle is dropped (its tape may then be kept whole
    /// for the thread's next text, see [`SPARE_TAPE`]).
    Option<Rc<Tape>>,
);

impl JsonText {
    /// The shared tape.
    #[inline(always)]
    fn rc(&self) -> &Rc<Tape> {
        self.0
            .as_ref()
            .expect("a JsonText holds its tape until dropped")
    }

    /// A handle on `text` laid out on a tape: the thread's spare tape refilled when there is
    /// one (no allocation at all for a small text), else a new one.
    fn laid_out(text: &str) -> Option<JsonText> {
        let mut spare = SPARE_TAPE.try_with(Cell::take).ok().flatten();
        if let Some(tape) = spare.as_mut().and_then(Rc::get_mut) {
            if lay_out(text, &mut tape.nodes, &mut tape.text) {
                tape.handles.set(1);
                return Some(JsonText(spare));
            }
            tape.nodes.clear();
            tape.text.clear();
            let _ = SPARE_TAPE.try_with(|s| s.set(spare));
            return None;
        }
        tape_str(text).map(|t| JsonText(Some(Rc::new(t))))
    }
}

thread_local! {
    /// The tape of the last small text whose handles and readings were all dropped on this
    /// thread, emptied (its buffers' capacity kept), for the next text: a service reads one
    /// body after another, so most texts then cost no allocation.
    static SPARE_TAPE: Cell<Option<Rc<Tape>>> = const { Cell::new(None) };
}

impl Clone for JsonText {
    fn clone(&self) -> Self {
        let rc = self.rc();
        rc.handles.set(rc.handles.get() + 1);
        JsonText(Some(rc.clone()))
    }
}

impl Drop for JsonText {
    fn drop(&mut self) {
        let tape = &**self.rc();
        let handles = tape.handles.get() - 1;
        tape.handles.set(handles);
        if handles > 0 {
            return;
        }
        // The last handle: the readings' containers are released.
        if tape.any_made.get() {
            tape.release_made();
        }
        // No value left either: the tape is kept whole for the thread's next text, its
        // readings forgotten.
        let mut rc = self.0.take();
        if let Some(tape) = rc.as_mut().and_then(Rc::get_mut)
            && tape.text.capacity() <= Spare::MAX_TEXT
            && tape.nodes.capacity() <= Spare::MAX_TEXT / 4 + 8
        {
            tape.nodes.clear();
            tape.text.clear();
            tape.readings.set(0);
            tape.first_array.set(None);
            let others = tape.other_arrays.get_mut();
            if others.capacity() > Tape::MAX_KEPT {
                *others = Vec::new();
            }
            others.clear();
            // During thread teardown the spare is gone: the tape is then simply freed.
            let _ = SPARE_TAPE.try_with(|spare| spare.set(rc));
        }
    }
}

/// A value found by [`JsonText::scalar_at`].
#[derive(Clone, Debug, PartialEq)]
pub enum JsonScalar<'a> {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer within the `long` range.
    Int(i64),
    /// An integer beyond the `long` range, as written (up to 38 digits).
    BigInt(&'a str),
    /// Any other number.
    Double(f64),
    /// A string, decoded.
    Str(std::borrow::Cow<'a, str>),
    /// An object or an array.
    Container,
}

/// One step of a definite JSON path (see [`JsonText::value_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonStep<'a> {
    /// An object member.
    Key(&'a str),
    /// An array element; a negative index counts from the end (Jayway's `length + index`).
    Index(i32),
}

impl JsonText {
    /// Checks and lays out `text` (one JSON value, optionally surrounded by whitespace);
    /// `None` when the reader cannot settle it exactly (see [`Value::from_json`]).
    pub fn parse(text: &[u8]) -> Option<JsonText> {
        JsonText::laid_out(std::str::from_utf8(text).ok()?)
    }

    /// [`JsonText::parse`] of a text already known to be UTF-8 (a caller that has checked
    /// the bytes spares the second check).
    ///
    /// ```
    /// use apigw_vtl::{JsonText, Value};
    /// let text = JsonText::parse_str(r#"{"a": ["é", 1.5]}"#).unwrap();
    /// assert_eq!(text.value(Value::list).to_string(), "{a=[é, 1.5]}");
    /// assert!(JsonText::parse_str("[1,]").is_none());
    /// ```
    pub fn parse_str(text: &str) -> Option<JsonText> {
        JsonText::laid_out(text)
    }

    /// The whole document as a template value; arrays materialize as `array(elements)`.
    pub fn value(&self, array: fn(Vec<Value>) -> Value) -> Value {
        self.reading(array).value_at(0)
    }

    /// The value at a definite path, as Jayway JsonPath finds it: a missing member, an
    /// index out of range, a member step on a non-object or an index step on a non-array
    /// mean no value (`None`).
    pub fn value_at(
        &self,
        steps: &[JsonStep<'_>],
        array: fn(Vec<Value>) -> Value,
    ) -> Option<Value> {
        let node = self.find(steps)?;
        // A scalar needs no reading (nothing of it can be materialized).
        if !matches!(
            self.rc().nodes[node as usize],
            Node::Object { .. } | Node::Array { .. }
        ) {
            return Some(self.rc().scalar_value(node));
        }
        Some(self.reading(array).value_at(node))
    }

    /// The scalar at a definite path (same walk as [`JsonText::value_at`]), without making
    /// a template value: strings decoded, numbers as read, containers only reported.
    ///
    /// ```
    /// use apigw_vtl::{JsonScalar, JsonStep, JsonText};
    /// let text = JsonText::parse(br#"{"a": "x\u00e9", "n": [7, 1.5, {}]}"#).unwrap();
    /// let at = |steps: &[JsonStep<'_>]| text.scalar_at(steps);
    /// assert_eq!(at(&[JsonStep::Key("a")]), Some(JsonScalar::Str("xé".into())));
    /// assert_eq!(at(&[JsonStep::Key("n"), JsonStep::Index(0)]), Some(JsonScalar::Int(7)));
    /// assert_eq!(at(&[JsonStep::Key("n"), JsonStep::Index(1)]), Some(JsonScalar::Double(1.5)));
    /// assert_eq!(at(&[JsonStep::Key("n"), JsonStep::Index(2)]), Some(JsonScalar::Container));
    /// assert_eq!(at(&[JsonStep::Key("z")]), None);
    /// ```
    pub fn scalar_at(&self, steps: &[JsonStep<'_>]) -> Option<JsonScalar<'_>> {
        let node = self.find(steps)?;
        let tape = &**self.rc();
        Some(match tape.nodes[node as usize] {
            Node::Object { .. } | Node::Array { .. } => JsonScalar::Container,
            Node::Str { .. } => match tape.raw_str(node) {
                Some((raw, false)) => JsonScalar::Str(std::borrow::Cow::Borrowed(raw)),
                Some((raw, true)) => {
                    let mut s = String::with_capacity(raw.len());
                    unescape(raw, &mut s);
                    JsonScalar::Str(std::borrow::Cow::Owned(s))
                }
                None => JsonScalar::Null,
            },
            Node::Int(x) => JsonScalar::Int(i64::from(x)),
            Node::Long(x) => JsonScalar::Int(x),
            Node::Big { .. } => JsonScalar::BigInt(tape.raw_str(node).map_or("", |(d, _)| d)),
            Node::Double(d) => JsonScalar::Double(d),
            Node::Bool(b) => JsonScalar::Bool(b),
            Node::Null => JsonScalar::Null,
        })
    }

    /// The node at a definite path.
    fn find(&self, steps: &[JsonStep<'_>]) -> Option<u32> {
        let tape = &**self.rc();
        let mut node = 0u32;
        for step in steps {
            node = match (*step, tape.nodes[node as usize]) {
                (JsonStep::Key(k), Node::Object { .. }) => tape.member(node, k)?,
                (JsonStep::Index(i), Node::Array { len, .. }) => {
                    let i = if i < 0 {
                        i64::from(len) + i64::from(i)
                    } else {
                        i64::from(i)
                    };
                    tape.element(node, i)?
                }
                _ => return None,
            };
        }
        Some(node)
    }

    /// A new reading: a number on the tape (its materialized containers are kept under it).
    #[inline]
    fn reading(&self, array: ArrayFn) -> Doc {
        let tape = self.rc();
        let reading = tape.readings.get();
        tape.readings.set(reading + 1);
        tape.note_array(reading, array);
        Doc {
            tape: tape.clone(),
            reading,
        }
    }

    /// The whole document built in full (no tape references inside): for values that may
    /// outlive any `JsonText`.
    pub(crate) fn value_built(&self, array: ArrayFn) -> Value {
        self.rc().built(0, array)
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "JsonText({} bytes, {} nodes)",
            self.rc().text.len(),
            self.rc().nodes.len()
        )
    }
}

/// One node of the tape. Containers are followed by their members (objects: key, value, key,
/// value…) and record where they end, so a member is skipped in O(1).
#[derive(Clone, Copy, Debug)]
enum Node {
    /// `unique`: no key repeats (checked with a 64-bit filter, so `false` may also mean
    /// "not known"); a lookup may then stop at the first match.
    Object {
        end: u32,
        unique: bool,
    },
    Array {
        end: u32,
        len: u32,
    },
    /// A string's bytes between its quotes, with `escaped` when it holds a backslash.
    Str {
        start: u32,
        end: u32,
        escaped: bool,
    },
    Int(i32),
    Long(i64),
    /// An integer beyond the `long` range (within 38 digits): its digits, read as a
    /// `BigInteger` (json-smart's type for them) when used.
    Big {
        start: u32,
        end: u32,
    },
    Double(f64),
    Bool(bool),
    Null,
}

/// Reading and node numbers are already well spread: the hash mixes them with a multiply.
#[derive(Default)]
pub(crate) struct NodeHasher(u64);

impl Hasher for NodeHasher {
    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = self.0.rotate_left(32) ^ u64::from(n);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }
}

/// Reads `text` (one JSON value, optionally surrounded by whitespace); `None` when the caller's
/// reader must decide (see the module documentation).
pub(crate) fn read(text: &[u8], array: fn(Vec<Value>) -> Value) -> Option<Value> {
    JsonText::parse(text).map(|t| t.value_built(array))
}

/// Checks `text` and lays it out on a new tape (the differential tests compare tapes).
#[cfg(test)]
fn tape(text: &[u8]) -> Option<Tape> {
    tape_str(std::str::from_utf8(text).ok()?)
}

/// Lays a text known to be UTF-8 out on a new tape (validated once: strings are then sliced
/// at quotes, ASCII, so on character boundaries).
#[inline]
fn tape_str(checked: &str) -> Option<Tape> {
    let (mut nodes, mut text) = Spare::take();
    if !lay_out(checked, &mut nodes, &mut text) {
        Spare::give(nodes, text);
        return None;
    }
    Some(Tape {
        nodes,
        text,
        handles: Cell::new(1),
        readings: Cell::new(0),
        first_array: Cell::new(None),
        other_arrays: RefCell::default(),
        made: RefCell::default(),
        any_made: Cell::new(false),
        later_made: Cell::new(0),
    })
}

/// Lays `checked` out into the empty `nodes` and `text`: `false` when the reader cannot
/// settle it (the buffers are then left to be emptied by the caller).
#[inline]
fn lay_out(checked: &str, nodes: &mut Vec<Node>, text: &mut String) -> bool {
    if u32::try_from(checked.len()).is_err() {
        return false;
    }
    text.push_str(checked);
    let bytes = text.as_bytes();
    nodes.reserve(bytes.len() / 4 + 8);
    let end = MEMO.with(|memo| match memo.try_borrow_mut() {
        Ok(mut memo) => value(bytes, ws(bytes, 0), nodes, 0, &mut memo),
        // Only when reading JSON while reading JSON (not done today): a memo of its own.
        Err(_) => {
            let mut fresh = Memo::EMPTY;
            value(bytes, ws(bytes, 0), nodes, 0, &mut fresh)
        }
    });
    end.is_some_and(|p| ws(bytes, p) == bytes.len())
}

impl Drop for Tape {
    fn drop(&mut self) {
        Spare::give(
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.text),
        );
    }
}

/// The buffers of the last small tape dropped on this thread, for the next one: a service
/// reads one body after another, so most tapes then cost no allocation for their nodes and
/// text.
struct Spare;

thread_local! {
    static SPARE: Cell<Option<(Vec<Node>, String)>> = const { Cell::new(None) };
}

impl Spare {
    /// Buffers kept only up to this capacity in text bytes (nodes in proportion), so a
    /// thread never holds on to the memory of a large document.
    const MAX_TEXT: usize = 16 * 1024;

    /// Empty buffers: the spare ones if any, else new ones.
    fn take() -> (Vec<Node>, String) {
        SPARE
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps `nodes` and `text` (emptied) for the next tape, when they are small.
    fn give(mut nodes: Vec<Node>, mut text: String) {
        if text.capacity() > Spare::MAX_TEXT || nodes.capacity() > Spare::MAX_TEXT / 4 + 8 {
            return;
        }
        nodes.clear();
        text.clear();
        // During thread teardown the spare is gone: the buffers are then simply freed.
        let _ = SPARE.try_with(|spare| spare.set(Some((nodes, text))));
    }
}

/// Slots of each table of the per-thread memo (a power of two).
const MEMO_SLOTS: usize = 32;

/// Short keys, strings and decimals seen in recent documents: the same API sends the same
/// keys in every object of a list and every response, and often the same short values. Each
/// table is direct-mapped by the value's first bytes. A hit gives exactly what reading the
/// bytes again would (the pattern covers every byte that decided it).
struct Memo {
    keys: [Seen; MEMO_SLOTS],
    strings: [Seen; MEMO_SLOTS],
    /// Short decimals (`bit`: the value's bits).
    numbers: [Seen; MEMO_SLOTS],
}

impl Memo {
    const EMPTY: Memo = Memo {
        keys: [Seen::EMPTY; MEMO_SLOTS],
        strings: [Seen::EMPTY; MEMO_SLOTS],
        numbers: [Seen::EMPTY; MEMO_SLOTS],
    };
}

/// A short string seen before: up to eight bytes from its opening quote (`mask` keeps the
/// quotes, the string, and for a key the colon and a space after it when they fit), the
/// string's length, the bytes the pattern covers, and for a key its bit in an object's key
/// filter and whether the pattern holds the colon.
#[derive(Clone, Copy)]
struct Seen {
    word: u64,
    mask: u64,
    len: u32,
    covered: u32,
    bit: u64,
    colon: bool,
}

impl Seen {
    /// Matches no text (`word & 0` is never 1).
    const EMPTY: Seen = Seen {
        word: 1,
        mask: 0,
        len: 0,
        covered: 0,
        bit: 0,
        colon: false,
    };
}

thread_local! {
    static MEMO: RefCell<Memo> = const { RefCell::new(Memo::EMPTY) };
}

/// The memo slot of the eight bytes `x` from a string's opening quote (by the three bytes
/// after the quote).
#[inline(always)]
fn memo_slot(x: u64) -> usize {
    (((x >> 8) as u32 & 0x00FF_FFFF).wrapping_mul(0x9E37_79B1) >> 27) as usize
}

/// The memo slot of the eight bytes `x` from a number's first byte (by its first four).
#[inline(always)]
fn number_slot(x: u64) -> usize {
    ((x as u32).wrapping_mul(0x9E37_79B1) >> 27) as usize
}

/// The eight bytes from `p` as a little-endian word, when there are eight.
#[inline(always)]
fn word_at(b: &[u8], p: usize) -> Option<u64> {
    let w = b.get(p..p.wrapping_add(8))?;
    Some(u64::from_le_bytes(w.try_into().ok()?))
}

/// The mask of the first `n` (at most 8) bytes of a word.
#[inline(always)]
fn low_bytes(n: usize) -> u64 {
    u64::MAX >> (8 * (8 - n))
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Bytes that need no attention inside a string (not `"`, `\` or a control character).
const PLAIN: [bool; 256] = {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = false;
        i += 1;
    }
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t
};

/// The position of the first non-whitespace byte from `p`: inline when there is none (the
/// commonest case), else [`ws_run`].
#[inline(always)]
fn ws(b: &[u8], p: usize) -> usize {
    match b.get(p) {
        Some(&c) if c > b' ' => p,
        _ => ws_run(b, p),
    }
}

/// [`ws`] past at least one byte of possible whitespace; one space or newline before a
/// value (`"a": 1`, `, "b"`) is checked first.
#[inline]
fn ws_run(b: &[u8], mut p: usize) -> usize {
    if let Some(&[b' ' | b'\n', c]) = b.get(p..p + 2)
        && c > b' '
    {
        return p + 1;
    }
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(p) {
        p += 1;
    }
    p
}

/// The JSON value at `p` (not whitespace), inside `depth` containers; returns the position
/// after it. Containers recurse, at most [`MAX_DEPTH`] deep.
#[inline(always)]
fn value(b: &[u8], p: usize, nodes: &mut Vec<Node>, depth: u32, memo: &mut Memo) -> Option<usize> {
    let c = *b.get(p)?;
    // The commonest first, without a jump table.
    if c == b'"' {
        return string(b, p, nodes, memo);
    }
    if c.is_ascii_digit() {
        return number(b, p, false, nodes, memo);
    }
    if c == b'-' {
        return number(b, p, true, nodes, memo);
    }
    match c {
        b'{' => object(b, p, nodes, depth, memo),
        b'[' => array(b, p, nodes, depth, memo),
        b't' => literal(b, p, b"true", Node::Bool(true), nodes),
        b'f' => literal(b, p, b"false", Node::Bool(false), nodes),
        b'n' => literal(b, p, b"null", Node::Null, nodes),
        _ => None,
    }
}

/// An object (`p` on its `{`): keys and values, with a 64-bit filter of the keys seen to tell
/// whether a key may repeat.
#[inline(never)]
fn object(b: &[u8], p: usize, nodes: &mut Vec<Node>, depth: u32, memo: &mut Memo) -> Option<usize> {
    object_inline(b, p, nodes, depth, memo)
}

/// [`object`], inline: an array's elements that are objects are read without a call.
#[inline(always)]
fn object_inline(
    b: &[u8],
    p: usize,
    nodes: &mut Vec<Node>,
    depth: u32,
    memo: &mut Memo,
) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let at = nodes.len();
    nodes.push(Node::Null);
    let mut p = ws(b, p + 1);
    let mut filter = 0u64;
    let mut may_repeat = false;
    if *b.get(p)? != b'}' {
        loop {
            let (after, bit) = key(b, p, nodes, memo)?;
            may_repeat |= filter & bit != 0;
            filter |= bit;
            p = ws(b, value(b, ws(b, after), nodes, depth + 1, memo)?);
            match *b.get(p)? {
                // Commonly `, "` (the next key).
                b',' => match b.get(p + 1..p + 3) {
                    Some(b" \"") => p += 2,
                    _ => p = ws(b, p + 1),
                },
                b'}' => break,
                _ => return None,
            }
        }
    }
    // The tape has at most one node per byte of a text under 4 GiB.
    nodes[at] = Node::Object {
        end: nodes.len() as u32,
        unique: !may_repeat,
    };
    Some(p + 1)
}

/// An array (`p` on its `[`).
fn array(b: &[u8], p: usize, nodes: &mut Vec<Node>, depth: u32, memo: &mut Memo) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let at = nodes.len();
    nodes.push(Node::Null);
    let mut p = ws(b, p + 1);
    let mut len = 0u32;
    if *b.get(p)? != b']' {
        loop {
            let after = if *b.get(p)? == b'{' {
                object_inline(b, p, nodes, depth + 1, memo)
            } else {
                value(b, p, nodes, depth + 1, memo)
            };
            p = ws(b, after?);
            len += 1;
            match *b.get(p)? {
                // Commonly `, ` and the next value.
                b',' => match b.get(p + 1..p + 3) {
                    Some(&[b' ', c]) if c > b' ' => p += 2,
                    _ => p = ws(b, p + 1),
                },
                b']' => break,
                _ => return None,
            }
        }
    }
    nodes[at] = Node::Array {
        end: nodes.len() as u32,
        len,
    };
    Some(p + 1)
}

/// An object key and its colon (`p` on the key's opening quote, or fails); returns the
/// position after the colon and the key's bit in an object's 64-bit key filter (from its
/// length and its first and last bytes: equal keys always get the same bit).
#[inline(always)]
fn key(b: &[u8], p: usize, nodes: &mut Vec<Node>, memo: &mut Memo) -> Option<(usize, u64)> {
    let start = p + 1;
    let x = word_at(b, p);
    if let Some(x) = x {
        let seen = &memo.keys[memo_slot(x)];
        // A key seen before: its quotes and bytes match (so it holds no escape).
        if x & seen.mask == seen.word {
            nodes.push(Node::Str {
                start: start as u32,
                end: start as u32 + seen.len,
                escaped: false,
            });
            let after = p + seen.covered as usize;
            if seen.colon {
                return Some((after, seen.bit));
            }
            return Some((colon(b, after)?, seen.bit));
        }
    }
    key_scan(b, p, x, nodes, memo)
}

/// [`key`] for a key not in the memo (`x`: the eight bytes from `p`, when there are eight):
/// scanned, then remembered when short and unescaped.
#[inline(never)]
fn key_scan(
    b: &[u8],
    p: usize,
    x: Option<u64>,
    nodes: &mut Vec<Node>,
    memo: &mut Memo,
) -> Option<(usize, u64)> {
    let start = p + 1;
    if *b.get(p)? != b'"' {
        return None;
    }
    let (stop, escaped) = string_body(b, start)?;
    nodes.push(Node::Str {
        start: start as u32,
        end: stop as u32,
        escaped,
    });
    // From the key's text as written: equal texts get equal bits; an escaped key (which could
    // equal another written differently) sets every bit.
    let bit = if escaped {
        u64::MAX
    } else if stop > start {
        let (f, l) = (b[start], b[stop - 1]);
        1u64 << (((stop - start) as u64 * 7 + u64::from(f) * 3 + u64::from(l)) & 63)
    } else {
        1
    };
    let after = colon(b, stop + 1)?;
    let len = stop - start;
    if let Some(x) = x
        && !escaped
        && len <= 6
    {
        // The quotes and the key, then the colon and one space when they follow at once.
        let mut covered = len + 2;
        let colon = covered < 8 && after == stop + 2;
        if colon {
            covered += 1;
            if covered < 8 && b.get(after) == Some(&b' ') {
                covered += 1;
            }
        }
        let mask = low_bytes(covered);
        memo.keys[memo_slot(x)] = Seen {
            word: x & mask,
            mask,
            len: len as u32,
            covered: covered as u32,
            bit,
            colon,
        };
    }
    Some((after, bit))
}

/// The position after the colon that follows a key (`p` after its closing quote), or fails.
#[inline(always)]
fn colon(b: &[u8], mut p: usize) -> Option<usize> {
    if b.get(p) != Some(&b':') {
        p = ws(b, p);
        if *b.get(p)? != b':' {
            return None;
        }
    }
    Some(p + 1)
}

#[inline(always)]
fn literal(b: &[u8], p: usize, word: &[u8], node: Node, nodes: &mut Vec<Node>) -> Option<usize> {
    if b.get(p..p + word.len())? == word {
        nodes.push(node);
        Some(p + word.len())
    } else {
        None
    }
}

/// A string (`p` on its opening quote), checked: escapes well formed, surrogates paired, no
/// control characters. Returns the position after the closing quote.
#[inline(always)]
fn string(b: &[u8], p: usize, nodes: &mut Vec<Node>, memo: &mut Memo) -> Option<usize> {
    let start = p + 1;
    let x = word_at(b, p);
    if let Some(x) = x {
        let seen = &memo.strings[memo_slot(x)];
        // A string seen before: its quotes and bytes match (so it holds no escape).
        if x & seen.mask == seen.word {
            nodes.push(Node::Str {
                start: start as u32,
                end: start as u32 + seen.len,
                escaped: false,
            });
            return Some(p + seen.covered as usize);
        }
    }
    string_scan(b, p, x, nodes, memo)
}

/// [`string`] for a string not in the memo (`x`: the eight bytes from `p`, when there are
/// eight): scanned, then remembered when short and unescaped.
#[inline(never)]
fn string_scan(
    b: &[u8],
    p: usize,
    x: Option<u64>,
    nodes: &mut Vec<Node>,
    memo: &mut Memo,
) -> Option<usize> {
    let start = p + 1;
    let (end, escaped) = string_body(b, start)?;
    nodes.push(Node::Str {
        start: start as u32,
        end: end as u32,
        escaped,
    });
    let len = end - start;
    if let Some(x) = x
        && !escaped
        && len <= 6
    {
        let mask = low_bytes(len + 2);
        memo.strings[memo_slot(x)] = Seen {
            word: x & mask,
            mask,
            len: len as u32,
            covered: len as u32 + 2,
            bit: 0,
            colon: false,
        };
    }
    Some(end + 1)
}

/// The body of a string from `start` (after its opening quote), checked: the position of its
/// closing quote and whether it holds an escape.
#[inline(always)]
fn string_body(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut q = start + plain_run(b, start);
    let mut escaped = false;
    loop {
        match *b.get(q)? {
            b'"' => return Some((q, escaped)),
            b'\\' => {
                escaped = true;
                q = escape_end(b, q)?;
                q += plain_run(b, q);
            }
            // A control character: the caller's reader reports it.
            _ => return None,
        }
    }
}

/// The high bit set in each byte of `x` that is `"`, `\` or a control character (below
/// 0x20); bytes above the lowest flagged one may be flagged wrongly (a borrow only runs
/// upwards), so only the lowest flag is exact.
#[inline(always)]
fn special_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let q = x ^ QUOTES;
    let bs = x ^ BACKSLASHES;
    ((q.wrapping_sub(ONES) & !q)
        | (bs.wrapping_sub(ONES) & !bs)
        | (x.wrapping_sub(ONES * 0x20) & !x))
        & HIGH
}

/// How many bytes from `p` need no attention inside a string: the length of the run before
/// the first `"`, `\` or control character (or the end). Eight bytes at a time.
#[inline(always)]
fn plain_run(b: &[u8], p: usize) -> usize {
    let mut q = p;
    while let Some(word) = word_at(b, q) {
        let flags = special_bytes(word);
        if flags != 0 {
            return q - p + (flags.trailing_zeros() / 8) as usize;
        }
        q += 8;
    }
    while let Some(&c) = b.get(q) {
        if !PLAIN[usize::from(c)] {
            break;
        }
        q += 1;
    }
    q - p
}

/// A number as `serde_json` reads it (then as templates see it): integers as
/// `Integer`/`Long`, `-0` and anything with a fraction or an exponent as `Double`. Integers
/// of up to 9 digits and decimals of up to 15 digits without an exponent are read here;
/// anything else by [`number_slow`]. `negative`: whether it starts with `-` (the caller has
/// read that byte). Returns the position after it.
#[inline(always)]
fn number(
    b: &[u8],
    start: usize,
    negative: bool,
    nodes: &mut Vec<Node>,
    memo: &mut Memo,
) -> Option<usize> {
    // A decimal seen before: its bytes and the one after match (only decimals are
    // remembered, so an integer never matches).
    let x = word_at(b, start);
    if let Some(x) = x {
        let seen = &memo.numbers[number_slot(x)];
        if x & seen.mask == seen.word {
            nodes.push(Node::Double(f64::from_bits(seen.bit)));
            return Some(start + seen.len as usize);
        }
    }
    let int_start = start + usize::from(negative);
    let mut p = int_start;
    let mut significand: u64 = 0;
    while let Some(&d @ b'0'..=b'9') = b.get(p) {
        significand = significand * 10 + u64::from(d - b'0');
        p += 1;
        if p - int_start > 9 {
            return number_slow(b, start, nodes);
        }
    }
    let int_digits = p - int_start;
    // No digit, or a leading zero followed by digits (`01`, refused).
    if int_digits == 0 || (int_digits > 1 && b[int_start] == b'0') {
        return number_slow(b, start, nodes);
    }
    match b.get(p) {
        Some(b'.') => {
            let frac_start = p + 1;
            p = frac_start;
            while let Some(&d @ b'0'..=b'9') = b.get(p) {
                significand = significand * 10 + u64::from(d - b'0');
                p += 1;
                if int_digits + (p - frac_start) > 15 {
                    return number_slow(b, start, nodes);
                }
            }
            let frac_digits = p - frac_start;
            if frac_digits == 0 || matches!(b.get(p), Some(b'e' | b'E')) {
                return number_slow(b, start, nodes);
            }
            // Below 2^53 and an exact power of ten: one correctly rounded division (the
            // significand converted exactly, as a signed integer: one instruction).
            let f = significand as i64 as f64 / POW10[frac_digits];
            let f = if negative { -f } else { f };
            nodes.push(Node::Double(f));
            let len = p - start;
            if let Some(x) = x
                && len < 8
            {
                // The pattern holds the byte after the number: that byte ended it.
                let mask = low_bytes(len + 1);
                memo.numbers[number_slot(x)] = Seen {
                    word: x & mask,
                    mask,
                    len: len as u32,
                    covered: len as u32 + 1,
                    bit: f.to_bits(),
                    colon: false,
                };
            }
            Some(p)
        }
        Some(b'e' | b'E') => number_slow(b, start, nodes),
        _ => {
            // At most 9 digits: an `Integer`.
            let v = significand as i32;
            nodes.push(if !negative {
                Node::Int(v)
            } else if v == 0 {
                Node::Double(-0.0)
            } else {
                Node::Int(-v)
            });
            Some(p)
        }
    }
}

/// The numbers [`number`] leaves: only the exactly computable cases are handled (at most 18
/// integer digits; significands below 2^53 with a decimal exponent within ±22, where one
/// correctly rounded operation gives the value whichever algorithm `serde_json` was built
/// with), and integers beyond the `long` range kept as digits. Returns the position after it.
#[inline(never)]
fn number_slow(b: &[u8], mut p: usize, nodes: &mut Vec<Node>) -> Option<usize> {
    let start = p;
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
    let next = b.get(p).copied();
    if int_digits > 18 {
        // A long integer: json-smart reads it as a `Long` when it fits, else as a
        // `BigInteger` (kept as digits here, up to 38 of them).
        if int_digits > 38 || matches!(next, Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let text = std::str::from_utf8(&b[start..p]).ok()?;
        let v: i128 = text.parse().ok()?;
        nodes.push(match i64::try_from(v) {
            Ok(l) => Node::Long(l),
            Err(_) => Node::Big {
                start: start as u32,
                end: p as u32,
            },
        });
        return Some(p);
    }
    if !matches!(next, Some(b'.' | b'e' | b'E' | b'0'..=b'9')) {
        // An integer (the commonest case): at most 18 digits fit an i64.
        let v = significand as i64;
        nodes.push(if negative {
            if v == 0 {
                Node::Double(-0.0)
            } else {
                i32::try_from(-v).map_or(Node::Long(-v), Node::Int)
            }
        } else {
            i32::try_from(v).map_or(Node::Long(v), Node::Int)
        });
        return Some(p);
    }
    let mut digits = int_digits;
    let mut exponent: i64 = 0;
    if next == Some(b'.') {
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
    if digits > 15 || !(-22..=22).contains(&exponent) {
        return None;
    }
    let pow = POW10[exponent.unsigned_abs() as usize];
    let f = significand as f64;
    let f = if exponent >= 0 { f * pow } else { f / pow };
    nodes.push(Node::Double(if negative { -f } else { f }));
    Some(p)
}

/// The position after the escape at `p` (a backslash), checked: a known escape, four hex
/// digits after `\u`, and a high surrogate followed by a low one.
fn escape_end(b: &[u8], p: usize) -> Option<usize> {
    match *b.get(p + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(p + 2),
        b'u' => {
            let hi = hex4(b.get(p + 2..p + 6)?)?;
            match hi {
                0xD800..0xDC00 => {
                    if b.get(p + 6..p + 8)? != b"\\u" {
                        return None;
                    }
                    let lo = hex4(b.get(p + 8..p + 12)?)?;
                    (0xDC00..0xE000).contains(&lo).then_some(p + 12)
                }
                0xDC00..0xE000 => None,
                _ => Some(p + 6),
            }
        }
        _ => None,
    }
}

fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &b in h {
        v = v * 16 + char::from(b).to_digit(16)?;
    }
    Some(v)
}

/// Decodes the checked escapes of a string body into `out`.
fn unescape(body: &str, out: &mut String) {
    let b = body.as_bytes();
    let mut p = 0;
    while p < b.len() {
        let run = b[p..]
            .iter()
            .position(|&c| c == b'\\')
            .unwrap_or(b.len() - p);
        out.push_str(&body[p..p + run]);
        p += run;
        if p >= b.len() {
            break;
        }
        let c = match b[p + 1] {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(&b[p + 2..p + 6]).unwrap_or(0xFFFD);
                if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex4(&b[p + 8..p + 12]).unwrap_or(0xDC00);
                    p += 6;
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        .unwrap_or('\u{FFFD}')
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            other => char::from(other),
        };
        out.push(c);
        p += if b[p + 1] == b'u' { 6 } else { 2 };
    }
}

/// Strings up to this length are looked up in the per-thread string cache.
const MAX_INTERNED_LEN: usize = 24;
/// Slots of the per-thread string cache (a power of two).
const CACHE_SLOTS: usize = 256;

thread_local! {
    /// Short strings seen in recent documents (keys, enum-like values), shared across
    /// documents: the same API sends the same strings in every response, so they cost no
    /// allocation. Java strings are immutable, so sharing is invisible to templates.
    /// Direct-mapped (a colliding string replaces the slot's), so it stays bounded.
    static STRINGS: RefCell<Vec<(u32, Arc<str>)>> = const { RefCell::new(Vec::new()) };
}

/// A shared string for `s`, from the per-thread cache when it holds it.
fn intern(s: &str) -> Arc<str> {
    let b = s.as_bytes();
    if b.len() > MAX_INTERNED_LEN {
        return Arc::from(s);
    }
    let mut h: u32 = 0x811c_9dc5;
    for &c in b {
        h = (h ^ u32::from(c)).wrapping_mul(0x0100_0193);
    }
    STRINGS.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return Arc::from(s);
        };
        if cache.is_empty() {
            cache.resize(CACHE_SLOTS, (0, Arc::from("")));
        }
        let slot = &mut cache[(h as usize) & (CACHE_SLOTS - 1)];
        if slot.0 == h && *slot.1 == *s {
            return slot.1.clone();
        }
        let v: Arc<str> = Arc::from(s);
        *slot = (h, v.clone());
        v
    })
}

impl Tape {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The node after `i` and everything inside it.
    #[inline]
    fn after(&self, i: u32) -> u32 {
        match self.nodes[i as usize] {
            Node::Object { end, .. } | Node::Array { end, .. } => end,
            _ => i + 1,
        }
    }

    /// The raw text of string or big-integer node `i` (escapes still in), or `None` for
    /// other nodes.
    #[inline]
    fn raw_str(&self, i: u32) -> Option<(&str, bool)> {
        match self.nodes[i as usize] {
            Node::Str {
                start,
                end,
                escaped,
            } => {
                // Quotes are ASCII: the slice is on character boundaries.
                let s = self.text.get(start as usize..end as usize)?;
                Some((s, escaped))
            }
            Node::Big { start, end } => Some((self.text.get(start as usize..end as usize)?, false)),
            _ => None,
        }
    }

    /// Appends the decoded text of string node `i`.
    #[inline]
    fn push_str(&self, i: u32, out: &mut String) {
        if let Some((raw, escaped)) = self.raw_str(i) {
            if escaped {
                unescape(raw, out);
            } else {
                out.push_str(raw);
            }
        }
    }

    fn string_at(&self, i: u32) -> Arc<str> {
        match self.raw_str(i) {
            Some((raw, false)) => intern(raw),
            Some((raw, true)) => {
                let mut s = String::with_capacity(raw.len());
                unescape(raw, &mut s);
                if s.len() <= MAX_INTERNED_LEN {
                    intern(&s)
                } else {
                    Arc::from(s)
                }
            }
            None => Arc::from(""),
        }
    }

    /// Whether key node `k` spells `key`.
    #[inline]
    fn key_is(&self, k: u32, key: &str) -> bool {
        if let Node::Str {
            start,
            end,
            escaped: false,
        } = self.nodes[k as usize]
        {
            // Lengths first: most keys differ there.
            return (end - start) as usize == key.len()
                && self
                    .bytes()
                    .get(start as usize..end as usize)
                    .is_some_and(|k| crate::value::short_bytes_eq(k, key.as_bytes()));
        }
        match self.raw_str(k) {
            Some((raw, false)) => raw == key,
            Some((raw, true)) => {
                let mut s = String::new();
                unescape(raw, &mut s);
                s == key
            }
            None => false,
        }
    }

    /// The value node of `key` in object `obj` (the last one when the key repeats, as a map
    /// built from the members keeps it); `None` when absent or `obj` is no object.
    #[inline]
    fn member(&self, obj: u32, key: &str) -> Option<u32> {
        match self.unique_member(obj, key) {
            Some(found) => found,
            None => self.member_any(obj, key),
        }
    }

    /// [`Tape::member`] in the common case of a tight loop: an object without repeated keys,
    /// whose keys are unescaped, compared as bytes (lengths first). `None` for any other
    /// node (`member_any` then answers).
    #[inline(always)]
    fn unique_member(&self, obj: u32, key: &str) -> Option<Option<u32>> {
        let nodes = &self.nodes[..];
        let Some(&Node::Object { end, unique: true }) = nodes.get(obj as usize) else {
            return None;
        };
        let text = self.bytes();
        let want = key.as_bytes();
        let mut k = obj as usize + 1;
        while k < end as usize {
            let Some(&Node::Str {
                start,
                end,
                escaped: false,
            }) = nodes.get(k)
            else {
                return None;
            };
            let v = k + 1;
            if (end.wrapping_sub(start)) as usize == want.len()
                && text
                    .get(start as usize..end as usize)
                    .is_some_and(|k| crate::value::short_bytes_eq(k, want))
            {
                return Some(Some(v as u32));
            }
            k = match nodes.get(v) {
                Some(Node::Object { end, .. } | Node::Array { end, .. }) => *end as usize,
                _ => v + 1,
            };
        }
        Some(None)
    }

    /// [`Tape::member`] for any object.
    #[inline(never)]
    fn member_any(&self, obj: u32, key: &str) -> Option<u32> {
        let Node::Object { end, unique } = self.nodes[obj as usize] else {
            return None;
        };
        let mut k = obj + 1;
        let mut found = None;
        while k < end {
            let v = k + 1;
            if self.key_is(k, key) {
                if unique {
                    return Some(v);
                }
                found = Some(v);
            }
            k = self.after(v);
        }
        found
    }

    /// Element `i` of array `arr`; `None` when out of range or `arr` is no array.
    fn element(&self, arr: u32, i: i64) -> Option<u32> {
        let Node::Array { end, len } = self.nodes[arr as usize] else {
            return None;
        };
        if i < 0 || i >= i64::from(len) {
            return None;
        }
        let mut e = arr + 1;
        for _ in 0..i {
            e = self.after(e);
        }
        (e < end).then_some(e)
    }
}

impl Tape {
    /// The template value of scalar node `i` (`null` for a container).
    #[inline]
    fn scalar_value(&self, i: u32) -> Value {
        Value(match self.nodes[i as usize] {
            Node::Str { .. } => V::Str(self.string_at(i)),
            Node::Int(x) => V::Int(x),
            Node::Long(x) => V::Long(x),
            Node::Big { .. } => self
                .raw_str(i)
                .and_then(|(digits, _)| digits.parse::<i128>().ok())
                .map_or(V::Null, V::BigInt),
            Node::Double(x) => V::Double(x),
            Node::Bool(x) => V::Bool(x),
            Node::Null | Node::Object { .. } | Node::Array { .. } => V::Null,
        })
    }
}

impl Tape {
    /// Capacity (in entries) of the materialized containers' map and of the array builders'
    /// changes kept with a tape for the thread's next text; larger ones are freed.
    const MAX_KEPT: usize = 64;

    /// How many members and elements the containers materialized by readings after the
    /// first may hold in all, kept for the rest of the render (the first reading's are
    /// always kept). Beyond it a later reading's container is made anew at each use: a
    /// template that reads the text again and again (`$input.path('$')` in a loop) and uses
    /// its containers as objects holds at most this many values (a few MiB), at
    /// the price of Java identity for those containers (a change made through one use is
    /// not seen by the next; COMPATIBILITY.md).
    pub(crate) const MAX_LATER_MADE: usize = 1 << 17;

    /// Records `array` as the array builder of reading `reading` (the newest).
    #[inline]
    fn note_array(&self, reading: u64, array: ArrayFn) {
        let Some(first) = self.first_array.get() else {
            self.first_array.set(Some(array));
            return;
        };
        let mut others = self.other_arrays.borrow_mut();
        let current = others.last().map_or(first, |&(_, f)| f);
        // (Compared as addresses: two builders at one address are the same code.)
        if current as usize != array as usize {
            others.push((reading, array));
        }
    }

    /// The array builder of reading `reading`.
    fn array_of(&self, reading: u64) -> ArrayFn {
        let others = self.other_arrays.borrow();
        match others.iter().rev().find(|&&(from, _)| from <= reading) {
            Some(&(_, f)) => f,
            None => self.first_array.get().unwrap_or(Value::list),
        }
    }

    /// Releases the containers materialized so far (they hold handles on this tape: a
    /// cycle), keeping the map's buffer when small. The map is taken out first: dropping the
    /// containers may drop other documents.
    #[inline(never)]
    fn release_made(&self) {
        let mut made = self.made.take();
        made.clear();
        self.any_made.set(false);
        self.later_made.set(0);
        let mut slot = self.made.borrow_mut();
        if slot.is_empty() && slot.capacity() == 0 && made.capacity() <= Tape::MAX_KEPT {
            *slot = made;
        } else if !slot.is_empty() {
            // (Something materialized while the containers were dropped.)
            self.any_made.set(true);
        }
    }

    /// Node `i` built in full: containers as maps and arrays (`array`) whose members are
    /// built too.
    fn built(&self, i: u32, array: ArrayFn) -> Value {
        match self.nodes[i as usize] {
            Node::Object { end, .. } => {
                let mut entries = Vec::new();
                let mut k = i + 1;
                while k < end {
                    entries.push((Value(V::Str(self.string_at(k))), self.built(k + 1, array)));
                    k = self.after(k + 1);
                }
                Value::map_with_keys(entries)
            }
            Node::Array { end, len } => {
                let mut items = Vec::with_capacity(len as usize);
                let mut e = i + 1;
                while e < end {
                    items.push(self.built(e, array));
                    e = self.after(e);
                }
                array(items)
            }
            _ => self.scalar_value(i),
        }
    }
}

impl Doc {
    /// The template value of node `i`: scalars as values, containers as tape references.
    #[inline]
    pub(crate) fn value_at(&self, i: u32) -> Value {
        match self.tape.nodes[i as usize] {
            Node::Object { .. } | Node::Array { .. } => Value(V::Json(self.clone(), i)),
            _ => self.tape.scalar_value(i),
        }
    }

    /// The value node of `key` in object `obj`, unless `obj` has been materialized or is no
    /// object.
    #[inline]
    pub(crate) fn member(&self, obj: u32, key: &str) -> Lookup {
        if !matches!(self.tape.nodes[obj as usize], Node::Object { .. }) || self.is_made(obj) {
            return Lookup::Materialize;
        }
        self.tape
            .member(obj, key)
            .map_or(Lookup::Absent, Lookup::Found)
    }

    /// Element `i` of array `arr`, unless `arr` has been materialized, is no array, or `i`
    /// is out of range.
    pub(crate) fn element(&self, arr: u32, i: i64) -> Option<u32> {
        if self.is_made(arr) {
            return None;
        }
        self.tape.element(arr, i)
    }

    /// The elements of array `arr`, unless it has been materialized or is no array.
    pub(crate) fn elements(&self, arr: u32) -> Option<Vec<Value>> {
        let Node::Array { end, len } = self.tape.nodes[arr as usize] else {
            return None;
        };
        if self.is_made(arr) {
            return None;
        }
        let mut items = Vec::with_capacity(len as usize);
        let mut e = arr + 1;
        while e < end {
            items.push(self.value_at(e));
            e = self.tape.after(e);
        }
        Some(items)
    }

    /// The first element node and the length of array `arr`, unless it has been
    /// materialized or is no array (a loop then walks the tape with
    /// [`Doc::container_and_next`]).
    #[inline]
    pub(crate) fn array_items(&self, arr: u32) -> Option<(u32, u32)> {
        let Node::Array { len, .. } = self.tape.nodes[arr as usize] else {
            return None;
        };
        if self.is_made(arr) {
            return None;
        }
        Some((arr + 1, len))
    }

    /// Whether node `i` is a container (read as a reference to this document, `V::Json`),
    /// and the node after it and everything inside it.
    #[inline]
    pub(crate) fn container_and_next(&self, i: u32) -> (bool, u32) {
        match self.tape.nodes[i as usize] {
            Node::Object { end, .. } | Node::Array { end, .. } => (true, end),
            _ => (false, i + 1),
        }
    }

    /// Prints member `key` of object `obj` when it is a scalar and the object is still on
    /// the tape: `true` when printed.
    #[inline(always)]
    pub(crate) fn print_member(&self, obj: u32, key: &str, out: &mut String) -> bool {
        let tape = &*self.tape;
        let v = match tape.unique_member(obj, key) {
            Some(Some(v)) if !self.is_made(obj) => v,
            Some(_) => return false,
            None => match self.member(obj, key) {
                Lookup::Found(v) => v,
                _ => return false,
            },
        };
        self.print_node(v, out)
    }

    /// Prints node `v` when it is a scalar other than `null`: `true` when printed.
    #[inline(always)]
    pub(crate) fn print_node(&self, v: u32, out: &mut String) -> bool {
        let tape = &*self.tape;
        match tape.nodes[v as usize] {
            Node::Str {
                start,
                end,
                escaped: false,
            } => {
                // (Two one-sided slices: each checks one character boundary in line.)
                if let Some(s) = tape
                    .text
                    .get(..end as usize)
                    .and_then(|t| t.get(start as usize..))
                {
                    crate::value::push_short(out, s);
                }
            }
            Node::Str { .. } | Node::Big { .. } => tape.push_str(v, out),
            Node::Int(x) => crate::value::write_int(i64::from(x), out),
            Node::Long(x) => crate::value::write_int(x, out),
            Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Node::Double(d) => Value(V::Double(d)).write_java(out),
            Node::Object { .. } | Node::Array { .. } | Node::Null => return false,
        }
        true
    }

    /// The text of node `v` when it is a string without escapes (as written between its
    /// quotes).
    #[inline]
    pub(crate) fn plain_str(&self, v: u32) -> Option<&str> {
        match self.tape.nodes[v as usize] {
            Node::Str {
                start,
                end,
                escaped: false,
            } => self.tape.text.get(start as usize..end as usize),
            _ => None,
        }
    }

    /// Whether container node `i` has been materialized in this reading.
    #[inline(always)]
    pub(crate) fn is_made(&self, i: u32) -> bool {
        self.tape.any_made.get() && self.tape.made.borrow().contains_key(&(self.reading, i))
    }

    /// Whether `other` is this same reading of the same tape.
    #[inline(always)]
    pub(crate) fn same(&self, other: &Doc) -> bool {
        self.reading == other.reading && Rc::ptr_eq(&self.tape, &other.tape)
    }

    /// The materialized container of node `i` (made on first use, then always the same).
    pub(crate) fn materialize(&self, i: u32) -> Value {
        if let Some(v) = self.tape.made.borrow().get(&(self.reading, i)) {
            return v.clone();
        }
        let tape = &*self.tape;
        // The value, and how many values it holds.
        let (v, size) = match tape.nodes[i as usize] {
            Node::Object { end, .. } => {
                let mut entries = Vec::new();
                let mut k = i + 1;
                while k < end {
                    entries.push((Value(V::Str(tape.string_at(k))), self.value_at(k + 1)));
                    k = tape.after(k + 1);
                }
                let size = entries.len();
                (Value::map_with_keys(entries), size)
            }
            Node::Array { len, .. } => (
                (tape.array_of(self.reading))(self.elements(i).unwrap_or_default()),
                len as usize,
            ),
            _ => return self.value_at(i),
        };
        if self.reading != 0 {
            // A later reading's container counts against the bound (its members or
            // elements, and itself).
            let kept = tape.later_made.get().saturating_add(size + 1);
            if kept > Tape::MAX_LATER_MADE {
                return v;
            }
            tape.later_made.set(kept);
        }
        tape.made.borrow_mut().insert((self.reading, i), v.clone());
        tape.any_made.set(true);
        v
    }
}

/// What [`Doc::member`] found.
pub(crate) enum Lookup {
    Found(u32),
    Absent,
    /// The object was materialized (or is no object): ask the materialized value.
    Materialize,
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "JsonDoc({} nodes, reading {})",
            self.tape.nodes.len(),
            self.reading
        )
    }
}

#[cfg(test)]
mod spare_tests {
    use super::*;

    /// The text capacity the thread keeps for its next text: a whole spare tape's, else
    /// spare buffers'.
    fn spare_capacity() -> Option<usize> {
        let whole = SPARE_TAPE.with(|spare| {
            let kept = spare.take();
            let capacity = kept.as_ref().map(|tape| tape.text.capacity());
            spare.set(kept);
            capacity
        });
        whole.or_else(|| {
            SPARE.with(|spare| {
                let kept = spare.take();
                let capacity = kept.as_ref().map(|(_, text)| text.capacity());
                spare.set(kept);
                capacity
            })
        })
    }

    #[test]
    fn a_text_whose_values_are_all_dropped_leaves_its_tape_for_the_next() {
        let spare_ptr = || {
            SPARE_TAPE.with(|spare| {
                let kept = spare.take();
                let ptr = kept.as_ref().map(Rc::as_ptr);
                spare.set(kept);
                ptr
            })
        };
        let text = JsonText::parse(br#"{"a": [1, {"b": "x"}]}"#).unwrap();
        let value = text.value(Value::list);
        let copy = text.clone();
        drop(text);
        // A handle, then a reading, still alive: the tape is not kept yet.
        assert!(spare_ptr().is_none_or(|p| p != Rc::as_ptr(copy.rc())));
        let tape = Rc::as_ptr(copy.rc());
        drop(copy);
        assert_ne!(spare_ptr(), Some(tape));
        drop(value);
        // (The reading held the tape: dropped after the last handle, the tape was freed.)
        let text = JsonText::parse(br#"[true]"#).unwrap();
        let tape = Rc::as_ptr(text.rc());
        drop(text);
        assert_eq!(spare_ptr(), Some(tape));
        // The next text is laid out on it and reads its own values; a refused text leaves it
        // empty for the one after.
        let next = JsonText::parse(br#"{"z": [null, "y"]}"#).unwrap();
        assert_eq!(Rc::as_ptr(next.rc()), tape);
        assert_eq!(next.value(Value::list).to_string(), "{z=[null, y]}");
        let other = JsonText::parse(br#"[2]"#).unwrap();
        assert_eq!(other.value(Value::list).to_string(), "[2]");
        drop((next, other));
        assert!(JsonText::parse(br#"{"a": [1, }"#).is_none());
        let again = JsonText::parse(br#""s""#).unwrap();
        assert_eq!(again.value(Value::list).to_string(), "s");
        assert_eq!(again.rc().text, "\"s\"");
    }

    #[test]
    fn small_tapes_hand_their_buffers_on_and_large_ones_do_not() {
        let small = br#"{"a": [1, "x\u00e9", {"b": null}], "c": 2.5}"#;
        drop(JsonText::parse(small).unwrap());
        assert!(spare_capacity().is_some_and(|c| c >= small.len()));
        // Two documents alive at once: the second gets new buffers, each reads its own text.
        let one = JsonText::parse(small).unwrap();
        let two = JsonText::parse(br#"["other", 7]"#).unwrap();
        assert_eq!(
            one.value(Value::list).to_string(),
            "{a=[1, xé, {b=null}], c=2.5}"
        );
        assert_eq!(two.value(Value::list).to_string(), "[other, 7]");
        drop((one, two));
        // A refused text gives its buffers back too, and the next document reads right.
        assert!(JsonText::parse(br#"{"a": [1, }"#).is_none());
        assert!(spare_capacity().is_some());
        let again = JsonText::parse(br#"{"z": true}"#).unwrap();
        assert_eq!(again.value(Value::list).to_string(), "{z=true}");
        drop(again);
        // A large document's buffers are freed, not kept for the thread.
        let large = format!("[{}\"end\"]", "\"0123456789\",".repeat(3000));
        let text = JsonText::parse(large.as_bytes()).unwrap();
        drop(text);
        assert!(spare_capacity().is_none_or(|c| c <= Spare::MAX_TEXT));
    }
}

#[cfg(test)]
mod reading_tests {
    use super::*;
    use crate::{Context, Options, Template};

    /// `template` rendered with the values `vars` (named `a`, `b`, … in order). (Velocity
    /// drops the spaces before a `#set` on its line.)
    fn render(template: &str, vars: &[&Value]) -> String {
        let mut ctx = Context::new();
        for (name, v) in ["a", "b", "c"].iter().zip(vars) {
            ctx.insert(*name, (*v).clone());
        }
        let t = Template::compile(template, &Options::default()).unwrap();
        let mut out = String::new();
        t.render(&ctx, &mut out).unwrap();
        out
    }

    fn reversed(mut items: Vec<Value>) -> Value {
        items.reverse();
        Value::list(items)
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_tape_reference_keeps_template_values_at_32_bytes() {
        assert_eq!(std::mem::size_of::<V>(), 32);
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn each_reading_has_its_own_containers_and_keeps_them() {
        let text = JsonText::parse(br#"{"list": [1, 2], "obj": {"x": 1}}"#).unwrap();
        let (a, b) = (text.value(Value::list), text.value(Value::list));
        let c = text
            .value_at(&[JsonStep::Key("list")], Value::list)
            .unwrap();
        // A change through one reading's container shows in every later use of that
        // reading's container (one object), and in no other reading.
        assert_eq!(
            render(
                "#set($l = $a.list)#set($_ = $l.add(9))#set($_ = $a.obj.put('k', 2))\
                 $a.list $b.list $c $a.obj $b.obj #foreach($x in $a.list)$x#end",
                &[&a, &b, &c]
            ),
            "[1, 2, 9] [1, 2] [1, 2] {x=1, k=2} {x=1} 129"
        );
        assert_eq!(
            render("#set($_ = $c.add(3))$c $b.list $a.list", &[&a, &b, &c]),
            "[1, 2, 3] [1, 2] [1, 2, 9]"
        );
    }

    /// Readings after the first keep at most `Tape::MAX_LATER_MADE` values in their
    /// materialized containers; beyond, their containers are made anew at each use. The first
    /// reading always keeps its own.
    #[test]
    fn later_readings_keep_a_bounded_number_of_materialized_values() {
        let n = 1000;
        let body = format!("[{}]", vec!["0"; n].join(","));
        let text = JsonText::parse(body.as_bytes()).unwrap();
        let first = text.value(Value::list);
        let kept_readings = Tape::MAX_LATER_MADE / (n + 1);
        for r in 0..kept_readings + 20 {
            let later = text.value(Value::list);
            let expected = if r < kept_readings { n + 1 } else { n };
            assert_eq!(
                render("#set($_ = $a.add(1))$a.size()", &[&later]),
                expected.to_string(),
                "reading {r}"
            );
        }
        assert!(text.rc().later_made.get() <= Tape::MAX_LATER_MADE);
        assert_eq!(text.rc().made.borrow().len(), kept_readings);
        // The first reading keeps its containers past the bound.
        assert_eq!(render("#set($_ = $a.add(1))", &[&first]), "");
        assert_eq!(render("$a.size()", &[&first]), (n + 1).to_string());
        // Released with the last handle: a new text starts from nothing.
        drop((first, text));
        let text = JsonText::parse(body.as_bytes()).unwrap();
        let (_first, later) = (text.value(Value::list), text.value(Value::list));
        assert_eq!(
            render("#set($_ = $a.add(1))$a.size()", &[&later]),
            (n + 1).to_string()
        );
    }

    #[test]
    fn many_readings_of_one_node_stay_apart() {
        let text = JsonText::parse(br#"[[0]]"#).unwrap();
        let readings: Vec<Value> = (0..200).map(|_| text.value(Value::list)).collect();
        for (i, r) in readings.iter().enumerate() {
            assert_eq!(
                render(&format!("#set($_ = $a[0].add({i})) $a[0]"), &[r]),
                format!(" [0, {i}]")
            );
        }
        for (i, r) in readings.iter().enumerate() {
            assert_eq!(render("$a[0]", &[r]), format!("[0, {i}]"));
        }
    }

    #[test]
    fn each_reading_materializes_arrays_with_its_own_builder() {
        let text = JsonText::parse(br#"{"l": [1, 2, 3]}"#).unwrap();
        let builders: [ArrayFn; 4] = [Value::list, reversed, reversed, Value::list];
        let values: Vec<Value> = builders.iter().map(|&f| text.value(f)).collect();
        let shown: Vec<String> = values.iter().map(|v| render("$a.l", &[v])).collect();
        assert_eq!(shown, ["[1, 2, 3]", "[3, 2, 1]", "[3, 2, 1]", "[1, 2, 3]"]);
        // (A whole array, read at a path, too.)
        let at = text.value_at(&[JsonStep::Key("l")], reversed).unwrap();
        assert_eq!(render("$a", &[&at]), "[3, 2, 1]");
    }

    #[test]
    fn values_kept_after_the_text_dropped_still_read_and_stay_apart() {
        let text = JsonText::parse(br#"{"list": [1, 2]}"#).unwrap();
        let (a, b) = (text.value(Value::list), text.value(Value::list));
        assert_eq!(render("#set($_ = $a.list.add(7))", &[&a]), "");
        drop(text);
        // The container materialized before the drop was released: the next one is new,
        // then the same for every later use of that reading.
        assert_eq!(
            render(
                "$a.list #set($l = $a.list)#set($_ = $l.add(9))$a.list $b.list",
                &[&a, &b]
            ),
            "[1, 2][1, 2, 9] [1, 2]"
        );
    }

    #[test]
    fn a_recycled_tape_forgets_the_containers_of_the_text_before() {
        let text = JsonText::parse(br#"{"list": [1, 2]}"#).unwrap();
        let tape = Rc::as_ptr(text.rc());
        let a = text.value(Value::list);
        assert_eq!(
            render("#set($_ = $a.list.add(9))$a.list", &[&a]),
            "[1, 2, 9]"
        );
        drop(a);
        drop(text);
        // The same layout on the same tape: reading 0, node 2 again.
        let next = JsonText::parse(br#"{"list": [3, 4]}"#).unwrap();
        assert_eq!(Rc::as_ptr(next.rc()), tape, "the tape is recycled");
        let (a, b) = (next.value(reversed), next.value(Value::list));
        assert_eq!(
            render(
                "$a.list #set($l = $a.list)#set($_ = $l.add(5))$a.list $b.list",
                &[&a, &b]
            ),
            "[4, 3][4, 3, 5] [3, 4]"
        );
    }
}
