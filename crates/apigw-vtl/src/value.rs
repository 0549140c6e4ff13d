//! Runtime values with Java semantics: reference-shared lists and maps
//! (`Rc<RefCell<…>>`, so `#set($b = $a)` aliases), insertion-ordered maps
//! (Velocity 1.7 map literals are `LinkedHashMap`s), Java number types and
//! Java's `toString` forms.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::Node;
use crate::host::Object;
use crate::json::Doc;

/// A value in a template: what references evaluate to and what the caller
/// puts in a [`Context`](crate::Context).
///
/// Values behave like the Java objects Velocity sees: `Value::int` is an
/// `Integer`, `Value::long` a `Long`, `Value::double` a `Double`, strings are
/// `String`s, `Value::list` an `ArrayList` and `Value::map` a
/// `LinkedHashMap`. Lists and maps are shared by reference: cloning a
/// `Value` clones the handle, not the contents.
///
/// # Example
///
/// ```
/// use apigw_vtl::Value;
/// let v = Value::map(vec![("a".into(), Value::int(1)), ("b".into(), Value::list(vec![Value::double(1.0)]))]);
/// assert_eq!(v.to_string(), "{a=1, b=[1.0]}");
/// ```
#[derive(Clone)]
pub struct Value(pub(crate) V);

#[derive(Clone)]
pub(crate) enum V {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    BigInt(i128),
    Double(f64),
    Float(f32),
    Char(u16),
    Str(Arc<str>),
    List(Rc<RefCell<Vec<Value>>>),
    /// A Java `String[]` (from `split`): list methods work, it prints as
    /// `[Ljava.lang.String;@…`.
    Array(Rc<RefCell<Vec<Value>>>),
    Map(Rc<RefCell<JMap>>),
    Entry(Rc<Entry>),
    /// A live `keySet()`/`values()`/`entrySet()` view of a map.
    MapView(Rc<RefCell<JMap>>, ViewKind),
    Object(Rc<dyn Object>),
    /// A `#define` block, rendered where referenced.
    Block(Arc<Vec<Node>>),
    /// `$foreach`.
    Loop(Rc<LoopScope>),
    /// A `java.lang.Class` (from `getClass()`), by Java name.
    Class(&'static str),
    /// A `java.util.Iterator` over a snapshot, with its position.
    Iter(Rc<RefCell<(Vec<Value>, usize)>>),
    /// An object or array still on a lazily read JSON document's tape (see `json.rs`):
    /// anything but the fast paths works on [`Value::resolved`].
    Json(Doc, u32),
}

/// Which view of a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ViewKind {
    Keys,
    Values,
    Entries,
}

/// A `Map.Entry`, live when it came from a map's `entrySet()`.
pub(crate) struct Entry {
    pub key: Value,
    pub value: RefCell<Value>,
    pub map: Option<Rc<RefCell<JMap>>>,
}

impl Entry {
    pub fn value(&self) -> Value {
        if let Some(m) = &self.map
            && let Ok(m) = m.try_borrow()
            && let Some(v) = m.get(&self.key)
        {
            return v.clone();
        }
        self.value.borrow().clone()
    }
}

/// The `$foreach` scope object.
#[derive(Debug)]
pub(crate) struct LoopScope {
    pub index: Cell<usize>,
    pub has_next: Cell<bool>,
    pub parent: Value,
}

/// An insertion-ordered map with Java key equality.
#[derive(Default, Clone)]
pub(crate) struct JMap {
    pub entries: Vec<(Value, Value)>,
    /// Structural modifications, for `ConcurrentModificationException`.
    pub modcount: u64,
}

impl JMap {
    pub fn find(&self, k: &Value) -> Option<usize> {
        // fast path for string keys
        if let V::Str(ks) = &k.0 {
            return self
                .entries
                .iter()
                .position(|(e, _)| matches!(&e.0, V::Str(s) if **s == **ks));
        }
        self.entries.iter().position(|(e, _)| java_equals(e, k))
    }

    pub fn get(&self, k: &Value) -> Option<&Value> {
        self.find(k).map(|i| &self.entries[i].1)
    }

    pub fn get_str(&self, k: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(e, _)| matches!(&e.0, V::Str(s) if short_str_eq(s, k)))
            .map(|(_, v)| v)
    }

    pub fn put(&mut self, k: Value, v: Value) -> Value {
        match self.find(&k) {
            Some(i) => std::mem::replace(&mut self.entries[i].1, v),
            None => {
                self.entries.push((k, v));
                self.modcount += 1;
                Value::null()
            }
        }
    }

    pub fn remove(&mut self, k: &Value) -> Value {
        match self.find(k) {
            Some(i) => {
                self.modcount += 1;
                self.entries.remove(i).1
            }
            None => Value::null(),
        }
    }
}

impl Value {
    /// Returns Java `null`.
    pub fn null() -> Value {
        Value(V::Null)
    }

    /// Returns a `Boolean`.
    pub fn bool(b: bool) -> Value {
        Value(V::Bool(b))
    }

    /// Returns an `Integer`.
    pub fn int(i: i32) -> Value {
        Value(V::Int(i))
    }

    /// Returns a `Long`.
    pub fn long(i: i64) -> Value {
        Value(V::Long(i))
    }

    /// Returns a `Double`.
    pub fn double(d: f64) -> Value {
        Value(V::Double(d))
    }

    /// Returns a `String`.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value(V::Str(s.into()))
    }

    /// Returns an `ArrayList` with these elements.
    pub fn list(items: Vec<Value>) -> Value {
        let l = Rc::new(RefCell::new(items));
        crate::cycles::note_list(&l);
        Value(V::List(l))
    }

    /// Returns a `LinkedHashMap` with these entries, in this order (a later
    /// duplicate key replaces the earlier value in place).
    pub fn map(entries: Vec<(String, Value)>) -> Value {
        let mut m = JMap {
            entries: Vec::with_capacity(entries.len()),
            modcount: 0,
        };
        for (k, v) in entries {
            m.put(Value::string(k), v);
        }
        Value::jmap(m)
    }

    /// Returns a `LinkedHashMap` whose keys are given as values (typically strings shared
    /// between many maps, so a host building thousands of maps with the same keys allocates
    /// each key once). A later duplicate key replaces the earlier value in place.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::Value;
    /// let id = Value::string("id");
    /// let a = Value::map_with_keys(vec![(id.clone(), Value::int(1))]);
    /// let b = Value::map_with_keys(vec![(id.clone(), Value::int(2)), (Value::string("x"), Value::null())]);
    /// assert_eq!(a.to_string(), "{id=1}");
    /// assert_eq!(b.to_string(), "{id=2, x=null}");
    /// // A repeated key keeps its first position and its last value, as `put` does.
    /// let c = Value::map_with_keys(vec![
    ///     (id.clone(), Value::int(1)),
    ///     (Value::string("y"), Value::int(2)),
    ///     (id, Value::int(3)),
    /// ]);
    /// assert_eq!(c.to_string(), "{id=3, y=2}");
    /// ```
    pub fn map_with_keys(entries: Vec<(Value, Value)>) -> Value {
        // The entries become the map's own storage (no second vector); duplicates, rare in
        // practice, are folded in place: the first position keeps the last value.
        let same_key = |a: &Value, b: &Value| match (&a.0, &b.0) {
            (V::Str(x), V::Str(y)) => Arc::ptr_eq(x, y) || x == y,
            _ => java_equals(a, b),
        };
        let has_duplicates = if entries.len() <= 16 {
            entries
                .iter()
                .enumerate()
                .any(|(i, (k, _))| entries[..i].iter().any(|(e, _)| same_key(e, k)))
        } else {
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            entries.iter().any(|(k, _)| match &k.0 {
                V::Str(key) => !seen.insert(key.clone()),
                _ => true,
            })
        };
        if has_duplicates {
            let mut m = JMap::default();
            for (k, v) in entries {
                m.put(k, v);
            }
            m.modcount = m.entries.len() as u64;
            return Value::jmap(m);
        }
        let m = JMap {
            modcount: entries.len() as u64,
            entries,
        };
        Value::jmap(m)
    }

    /// Returns a host object (see [`Object`]).
    pub fn object(o: Rc<dyn Object>) -> Value {
        Value(V::Object(o))
    }

    pub(crate) fn jmap(m: JMap) -> Value {
        let m = Rc::new(RefCell::new(m));
        crate::cycles::note_map(&m);
        Value(V::Map(m))
    }

    /// Reads JSON text into template values, built in full: objects as insertion-ordered
    /// maps (duplicate keys: the first position keeps the last value, as
    /// [`Value::map_with_keys`]), arrays as `array(elements)`, integers as `Integer`, `Long`
    /// or `BigInteger` (as json-smart reads them), other numbers as `Double`. For reading a
    /// document lazily (members, indexes and loops straight from a compact tape), see
    /// [`JsonText`](crate::JsonText).
    ///
    /// Answers `None` when the reader cannot settle the text exactly (invalid JSON, integers
    /// beyond 38 digits, fractions with more than 15 significant digits or an exponent beyond
    /// ±22, lone surrogates, nesting deeper than 100, texts of 4 GiB or more): the caller then
    /// reads it another way.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Context, Options, Template, Value};
    /// let doc = Value::from_json(br#"{"id": 7, "tags": ["a", "b"]}"#, Value::list).unwrap();
    /// let mut ctx = Context::new();
    /// ctx.insert("doc", doc);
    /// let t = Template::compile("$doc.id $doc.tags[1] $doc", &Options::default())?;
    /// let mut out = String::new();
    /// t.render(&ctx, &mut out)?;
    /// assert_eq!(out, "7 b {id=7, tags=[a, b]}");
    /// # Ok::<(), apigw_vtl::Error>(())
    /// ```
    pub fn from_json(text: &[u8], array: fn(Vec<Value>) -> Value) -> Option<Value> {
        crate::json::read(text, array)
    }

    /// This value with a lazily read JSON container (see [`Value::from_json`]) made into its
    /// template object (a map, or the caller's array object); other values as they are.
    /// Cheap: a clone of a handle.
    pub fn resolved(&self) -> Value {
        match &self.0 {
            V::Json(doc, i) => doc.materialize(*i),
            _ => self.clone(),
        }
    }

    /// Returns whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.0, V::Null)
    }

    /// Returns the string if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Returns the boolean if this is a `Boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Returns the value as `i64` if this is an `Integer` or `Long`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            V::Int(i) => Some(i64::from(i)),
            V::Long(i) => Some(i),
            _ => None,
        }
    }

    /// Returns the value as `f64` if this is any number.
    pub fn as_f64(&self) -> Option<f64> {
        match self.0 {
            V::Int(i) => Some(f64::from(i)),
            V::Long(i) => Some(i as f64),
            V::BigInt(i) => Some(i as f64),
            V::Double(d) => Some(d),
            V::Float(f) => Some(f64::from(f)),
            _ => None,
        }
    }

    /// Returns a copy of the elements if this is a list.
    pub fn as_list(&self) -> Option<Vec<Value>> {
        match &self.0 {
            V::List(l) | V::Array(l) => Some(l.borrow().clone()),
            _ => None,
        }
    }

    /// Returns a copy of the entries (keys printed as Java strings) if this
    /// is a map.
    pub fn as_map(&self) -> Option<Vec<(String, Value)>> {
        match &self.0 {
            V::Json(..) => self.resolved().as_map(),
            V::Map(m) => Some(
                m.borrow()
                    .entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Returns the host object if this is one.
    pub fn as_object(&self) -> Option<&Rc<dyn Object>> {
        match &self.0 {
            V::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Java class name, for `getClass()` and Velocity's mixed-type `==`.
    pub(crate) fn class_name(&self) -> &'static str {
        match &self.0 {
            V::Json(..) => self.resolved().class_name(),
            V::Null => "null",
            V::Bool(_) => "java.lang.Boolean",
            V::Int(_) => "java.lang.Integer",
            V::Long(_) => "java.lang.Long",
            V::BigInt(_) => "java.math.BigInteger",
            V::Double(_) => "java.lang.Double",
            V::Float(_) => "java.lang.Float",
            V::Char(_) => "java.lang.Character",
            V::Str(_) => "java.lang.String",
            V::List(_) => "java.util.ArrayList",
            V::Array(_) => "[Ljava.lang.String;",
            V::Map(_) => "java.util.LinkedHashMap",
            V::Entry(_) => "java.util.LinkedHashMap$Entry",
            V::MapView(_, ViewKind::Keys) => "java.util.LinkedHashMap$LinkedKeySet",
            V::MapView(_, ViewKind::Values) => "java.util.LinkedHashMap$LinkedValues",
            V::MapView(_, ViewKind::Entries) => "java.util.LinkedHashMap$LinkedEntrySet",
            V::Object(_) => "java.lang.Object",
            V::Block(_) => "org.apache.velocity.runtime.directive.Block$Reference",
            V::Loop(_) => "org.apache.velocity.runtime.directive.ForeachScope",
            V::Class(_) => "java.lang.Class",
            V::Iter(_) => "java.util.ArrayList$Itr",
        }
    }

    /// Appends Java's `toString()` of this value.
    pub(crate) fn write_java(&self, out: &mut String) {
        self.write_java_in(out, 0);
    }

    fn write_java_in(&self, out: &mut String, depth: usize) {
        if depth > 1000 {
            // Java would throw StackOverflowError on such a cycle.
            out.push_str("...");
            return;
        }
        match &self.0 {
            V::Json(..) => self.resolved().write_java_in(out, depth),
            V::Null => out.push_str("null"),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Int(i) => write_int(i64::from(*i), out),
            V::Long(i) => write_int(*i, out),
            V::BigInt(i) => {
                use fmt::Write;
                let _ = write!(out, "{i}");
            }
            V::Double(d) => write_double(*d, out),
            V::Float(f) => {
                if f.is_nan() || f.is_infinite() || *f == 0.0 {
                    write_double(f64::from(*f), out);
                } else {
                    crate::jdouble::write_float_finite(*f, out);
                }
            }
            V::Char(c) => out.push_str(&crate::value::from_utf16_java(&[*c])),
            V::Str(s) => out.push_str(s),
            V::List(l) => {
                let l_rc = l;
                let Ok(l) = l.try_borrow() else {
                    out.push_str("(this Collection)");
                    return;
                };
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match &v.0 {
                        V::List(x) if Rc::ptr_eq(x, l_rc) => out.push_str("(this Collection)"),
                        _ => v.write_java_in(out, depth + 1),
                    }
                }
                out.push(']');
            }
            V::Array(a) => {
                use fmt::Write;
                let _ = write!(
                    out,
                    "[Ljava.lang.String;@{:x}",
                    (Rc::as_ptr(a) as usize >> 4) & 0x7fff_ffff
                );
            }
            V::Map(m) => {
                let m_rc = m;
                let Ok(m) = m.try_borrow() else {
                    out.push_str("(this Map)");
                    return;
                };
                out.push('{');
                for (i, (k, v)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let this = |x: &Value| matches!(&x.0, V::Map(y) if Rc::ptr_eq(y, m_rc));
                    if this(k) {
                        out.push_str("(this Map)");
                    } else {
                        k.write_java_in(out, depth + 1);
                    }
                    out.push('=');
                    if this(v) {
                        out.push_str("(this Map)");
                    } else {
                        v.write_java_in(out, depth + 1);
                    }
                }
                out.push('}');
            }
            V::Entry(e) => {
                e.key.write_java_in(out, depth + 1);
                out.push('=');
                e.value().write_java_in(out, depth + 1);
            }
            V::MapView(m, kind) => {
                let Ok(m) = m.try_borrow() else {
                    return;
                };
                out.push('[');
                for (i, (k, v)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match kind {
                        ViewKind::Keys => k.write_java_in(out, depth + 1),
                        ViewKind::Values => v.write_java_in(out, depth + 1),
                        ViewKind::Entries => {
                            k.write_java_in(out, depth + 1);
                            out.push('=');
                            v.write_java_in(out, depth + 1);
                        }
                    }
                }
                out.push(']');
            }
            V::Object(o) => o.write_string(out),
            V::Block(_) => out.push_str("org.apache.velocity.runtime.directive.Block$Reference"),
            V::Loop(_) => out.push_str("org.apache.velocity.runtime.directive.ForeachScope"),
            V::Class(n) => {
                out.push_str("class ");
                out.push_str(n);
            }
            V::Iter(i) => {
                use fmt::Write;
                let _ = write!(
                    out,
                    "java.util.ArrayList$Itr@{:x}",
                    (Rc::as_ptr(i) as usize >> 4) & 0x7fff_ffff
                );
            }
        }
    }
}

impl fmt::Display for Value {
    /// Formats the value as Java's `toString()` would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_java(&mut s);
        fix_output(&mut s, 0);
        f.write_str(&s)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            V::Json(..) => write!(f, "{:?}", self.resolved()),
            V::Null => f.write_str("null"),
            V::Str(s) => write!(f, "{s:?}"),
            V::Object(o) => write!(f, "{o:?}"),
            _ => write!(f, "{}({self})", self.class_name()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::bool(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::int(i)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::long(i)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Value {
        Value::double(d)
    }
}

/// String equality that compares short strings (property names, map keys) in line rather
/// than through a `memcmp` call.
#[inline]
pub(crate) fn short_str_eq(a: &str, b: &str) -> bool {
    short_bytes_eq(a.as_bytes(), b.as_bytes())
}

/// Appends `s` to `out`; a string of up to 16 bytes is copied in line, with a copy of a
/// length known to the compiler (a call to `memcpy` costs more than such a copy).
#[inline(always)]
pub(crate) fn push_short(out: &mut String, s: &str) {
    macro_rules! arms {
        ($($n:literal)*) => {
            match s.len() {
                $($n => out.push_str(&s[..$n]),)*
                _ => out.push_str(s),
            }
        };
    }
    arms!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// Byte-string equality for short strings: at most two overlapping word compares up to 16
/// bytes (no loop, no `memcmp` call), `memcmp` beyond.
#[inline(always)]
pub(crate) fn short_bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        if n > 16 {
            return a == b;
        }
        // The first and the last eight bytes (overlapping when shorter than 16).
        return word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8);
    }
    if n >= 4 {
        return word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4);
    }
    if n == 0 {
        return true;
    }
    // One to three bytes: first, middle and last cover them all.
    a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]
}

#[inline(always)]
fn word8(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

#[inline(always)]
fn word4(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}

/// `"00"` to `"99"`, for printing integers two digits a step.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// [`DIGIT_PAIRS`] as text.
const DIGIT_PAIRS_STR: &str = match std::str::from_utf8(DIGIT_PAIRS) {
    Ok(s) => s,
    Err(_) => panic!("ASCII digits"),
};

/// Appends a decimal integer without the formatting machinery.
pub(crate) fn write_int(i: i64, out: &mut String) {
    let n = i.unsigned_abs();
    if n < 100 && i >= 0 {
        // One copy of a known length from the digit pairs (no character encoding).
        let d = n as usize * 2;
        if n < 10 {
            out.push_str(&DIGIT_PAIRS_STR[d + 1..d + 2]);
        } else {
            out.push_str(&DIGIT_PAIRS_STR[d..d + 2]);
        }
        return;
    }
    write_long(i, out);
}

/// [`write_int`] beyond `0..100` (out of line: the short path saves no registers).
#[inline(never)]
fn write_long(i: i64, out: &mut String) {
    let mut n = i.unsigned_abs();
    let mut buf = [0u8; 20];
    let mut p = buf.len();
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        p -= 2;
        buf[p] = DIGIT_PAIRS[d];
        buf[p + 1] = DIGIT_PAIRS[d + 1];
    }
    if n >= 10 {
        let d = n as usize * 2;
        p -= 2;
        buf[p] = DIGIT_PAIRS[d];
        buf[p + 1] = DIGIT_PAIRS[d + 1];
    } else {
        p -= 1;
        buf[p] = b'0' + n as u8;
    }
    let digits = &buf[p..];
    out.reserve(digits.len() + 1);
    if i < 0 {
        out.push('-');
    }
    // ASCII digits: pushed as characters (no UTF-8 validation of the buffer).
    for &b in digits {
        out.push(char::from(b));
    }
}

/// Strings are UTF-8, but Java strings can hold an unpaired surrogate (half
/// of an emoji from `substring`). Such a unit is kept as a stand-in
/// character `U+10F800 + (unit - 0xD800)` (the end of plane 16's private
/// use area), so later string operations still see one UTF-16 unit; output
/// turns stand-ins back into what Java writes (`?`, or the real character
/// when two halves meet again).
const STANDIN_BASE: u32 = 0x10_F800;

/// Decodes UTF-16 keeping unpaired surrogates as stand-ins.
pub(crate) fn from_utf16_java(u: &[u16]) -> String {
    char::decode_utf16(u.iter().copied())
        .map(|r| match r {
            Ok(c) => c,
            Err(e) => char::from_u32(STANDIN_BASE + u32::from(e.unpaired_surrogate()) - 0xD800)
                .unwrap_or('?'),
        })
        .collect()
}

/// Joins stand-in halves that became adjacent (Java's concatenation of two
/// halves is the real character again).
pub(crate) fn join_halves(s: String) -> String {
    if has_standins(&s) {
        from_utf16_java(&java_units(&s))
    } else {
        s
    }
}

/// Whether `s` may hold surrogate stand-ins (all start with byte 0xF4).
pub(crate) fn has_standins(s: &str) -> bool {
    memchr::memchr(0xF4, s.as_bytes()).is_some()
}

/// The UTF-16 units of `s` as Java sees them (stand-ins are single units).
pub(crate) fn java_units(s: &str) -> Vec<u16> {
    let mut v = Vec::with_capacity(s.len());
    for c in s.chars() {
        let cp = u32::from(c);
        if (STANDIN_BASE..STANDIN_BASE + 0x800).contains(&cp) {
            v.push((cp - STANDIN_BASE + 0xD800) as u16);
        } else {
            let mut b = [0u16; 2];
            v.extend_from_slice(c.encode_utf16(&mut b));
        }
    }
    v
}

/// Rewrites stand-ins in `out[from..]` as Java writes them to UTF-8.
pub(crate) fn fix_output(out: &mut String, from: usize) {
    if from > out.len() || !out.is_char_boundary(from) || !has_standins(&out[from..]) {
        return;
    }
    let units = java_units(&out[from..]);
    let fixed: String = char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or('?'))
        .collect();
    out.truncate(from);
    out.push_str(&fixed);
}

/// Appends Java's `Double.toString(d)`.
pub(crate) fn write_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    crate::jdouble::write_finite(d, out);
}

/// Java `equals` between two values (`Integer.equals(Long)` is false).
pub(crate) fn java_equals(a: &Value, b: &Value) -> bool {
    java_equals_in(a, b, 0)
}

fn java_equals_in(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    if matches!(a.0, V::Json(..)) || matches!(b.0, V::Json(..)) {
        return java_equals_in(&a.resolved(), &b.resolved(), depth);
    }
    match (&a.0, &b.0) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Long(x), V::Long(y)) => x == y,
        (V::BigInt(x), V::BigInt(y)) => x == y,
        (V::Double(x), V::Double(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (V::Float(x), V::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (V::Char(x), V::Char(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::List(x) | V::Array(x), V::List(y) | V::Array(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| java_equals_in(p, q, depth + 1))
        }
        (V::Map(x), V::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.entries.len() == y.entries.len()
                && x.entries
                    .iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| java_equals_in(v, w, depth + 1)))
        }
        (V::MapView(..), V::MapView(..)) => {
            let (Some(x), Some(y)) = (view_items(a), view_items(b)) else {
                return false;
            };
            x.len() == y.len()
                && x.iter()
                    .all(|p| y.iter().any(|q| java_equals_in(p, q, depth + 1)))
        }
        (V::Entry(x), V::Entry(y)) => {
            java_equals_in(&x.key, &y.key, depth + 1)
                && java_equals_in(&x.value(), &y.value(), depth + 1)
        }
        (V::Object(x), V::Object(y)) => {
            Rc::ptr_eq(x, y) || x.to_string_value() == y.to_string_value()
        }
        (V::Class(x), V::Class(y)) => x == y,
        _ => false,
    }
}

/// The current elements of a map view (or list).
pub(crate) fn view_items(v: &Value) -> Option<Vec<Value>> {
    match &v.0 {
        V::Json(..) => view_items(&v.resolved()),
        V::MapView(m_rc, kind) => {
            let m = m_rc.borrow();
            Some(
                m.entries
                    .iter()
                    .map(|(k, x)| match kind {
                        ViewKind::Keys => k.clone(),
                        ViewKind::Values => x.clone(),
                        ViewKind::Entries => Value(V::Entry(Rc::new(Entry {
                            key: k.clone(),
                            value: RefCell::new(x.clone()),
                            map: Some(m_rc.clone()),
                        }))),
                    })
                    .collect(),
            )
        }
        V::List(l) | V::Array(l) => Some(l.borrow().clone()),
        _ => None,
    }
}

/// Java's `String.hashCode`.
pub(crate) fn string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for u in java_units(s) {
        h = h.wrapping_mul(31).wrapping_add(i32::from(u));
    }
    h
}

#[cfg(test)]
mod push_tests {
    /// `write_int` prints what `Display` does, around its short path's bounds and at the
    /// extremes.
    #[test]
    fn write_int_prints_decimal() {
        let mut cases: Vec<i64> = (-120..=1100).collect();
        cases.extend([
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            9_999,
            10_000,
            123_456_789,
        ]);
        for i in cases {
            let mut out = String::from("x");
            super::write_int(i, &mut out);
            assert_eq!(out, format!("x{i}"));
        }
    }

    /// `push_short` appends exactly the string, at every length around its in-line arms
    /// (ASCII and multi-byte characters), onto empty and non-empty outputs.
    #[test]
    fn push_short_appends_every_length() {
        let pattern = "aé€😀bcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..=pattern.len() {
            let Some(s) = pattern.get(..len) else {
                continue;
            };
            for prefix in ["", "x", "0123456789abcdefg"] {
                let mut out = String::from(prefix);
                super::push_short(&mut out, s);
                assert_eq!(out, format!("{prefix}{s}"), "length {len}");
            }
        }
    }
}
