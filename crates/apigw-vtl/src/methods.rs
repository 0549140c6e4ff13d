//! The Java method surface of built-in values: what Velocity's uberspector
//! finds on `String`, `ArrayList`, `LinkedHashMap`, `Map.Entry`, numbers and
//! booleans. Exceptions Java would throw become render errors with Java's
//! exception text.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::Error;
use crate::jregex;
use crate::json::Lookup;
use crate::value::{JMap, V, Value, ViewKind, java_equals, string_hash, view_items};

type MResult = Result<Option<Value>, String>;

fn utf16(s: &str) -> Vec<u16> {
    crate::value::java_units(s)
}

/// Java's unit-wise search when either side holds surrogate stand-ins.
fn unit_mode(a: &str, b: &str) -> bool {
    crate::value::has_standins(a) || crate::value::has_standins(b)
}

fn from16(u: &[u16]) -> Value {
    Value::string(crate::value::from_utf16_java(u))
}

fn threw(class: &str, method: &str, exc: &str) -> String {
    format!("Invocation of method '{method}' in class {class} threw exception {exc}")
}

fn sioobe(class: &str, method: &str, msg: String) -> String {
    threw(
        class,
        method,
        &format!("java.lang.StringIndexOutOfBoundsException: {msg}"),
    )
}

/// An `int` parameter: Velocity passes an `Integer`; a `Character` does
/// not convert.
fn int_arg(v: &Value) -> Option<i32> {
    match v.0 {
        V::Int(i) => Some(i),
        _ => None,
    }
}

/// Zero-parameter methods per class. Velocity 1.7 picks such a method even
/// when called with arguments, and the invocation then fails with "wrong
/// number of arguments".
fn has_zero_arg_method(v: &Value, name: &str) -> bool {
    if matches!(
        name,
        "toString" | "hashCode" | "getClass" | "notify" | "notifyAll" | "wait"
    ) {
        return true;
    }
    match &v.0 {
        V::Str(_) => matches!(
            name,
            "length"
                | "isEmpty"
                | "isBlank"
                | "intern"
                | "toUpperCase"
                | "toLowerCase"
                | "trim"
                | "strip"
                | "stripLeading"
                | "stripTrailing"
                | "toCharArray"
                | "getBytes"
                | "chars"
                | "codePoints"
                | "lines"
                | "stripIndent"
                | "translateEscapes"
        ),
        V::List(_) | V::Array(_) => matches!(
            name,
            "size"
                | "isEmpty"
                | "clear"
                | "iterator"
                | "listIterator"
                | "toArray"
                | "stream"
                | "clone"
                | "trimToSize"
        ),
        V::Map(_) => matches!(
            name,
            "size" | "isEmpty" | "clear" | "keySet" | "values" | "entrySet" | "clone"
        ),
        V::Int(_) | V::Long(_) | V::Double(_) | V::BigInt(_) | V::Float(_) => matches!(
            name,
            "intValue"
                | "longValue"
                | "doubleValue"
                | "floatValue"
                | "shortValue"
                | "byteValue"
                | "isNaN"
                | "isInfinite"
        ),
        V::Bool(_) => name == "booleanValue",
        _ => false,
    }
}

/// `String`/`CharSequence` argument (a `Character` is not one).
fn str_arg(v: &Value) -> Option<&str> {
    match &v.0 {
        V::Str(s) => Some(s),
        _ => None,
    }
}

fn index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let from = from.max(0) as usize;
    if needle.is_empty() {
        return from.min(hay.len()) as i32;
    }
    if needle.len() > hay.len() {
        return -1;
    }
    (from..=hay.len() - needle.len())
        .find(|&i| hay[i..i + needle.len()] == *needle)
        .map_or(-1, |i| i as i32)
}

fn last_index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    if from < 0 || needle.len() > hay.len() {
        return -1;
    }
    let start = (from as usize).min(hay.len() - needle.len());
    (0..=start)
        .rev()
        .find(|&i| hay[i..i + needle.len()] == *needle)
        .map_or(-1, |i| i as i32)
}

/// Methods every object has.
pub(crate) fn call_common(v: &Value, name: &str, args: &[Value]) -> Option<Value> {
    match (name, args.len()) {
        ("toString", 0) => Some(Value::string(v.to_string())),
        ("equals", 1) => Some(Value::bool(java_equals(v, &args[0]))),
        ("hashCode", 0) => Some(Value::int(hash_code(v))),
        ("getClass", 0) => Some(Value(V::Class(v.class_name()))),
        _ => None,
    }
}

fn hash_code(v: &Value) -> i32 {
    hash_code_in(v, 0)
}

fn hash_code_in(v: &Value, depth: usize) -> i32 {
    if depth > 1000 {
        return 0;
    }
    match &v.0 {
        V::Json(..) => hash_code_in(&v.resolved(), depth),
        V::Null => 0,
        V::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        V::Int(i) => *i,
        V::Long(l) => (*l ^ ((*l as u64) >> 32) as i64) as i32,
        V::Double(d) => {
            let b = if d.is_nan() {
                0x7ff8000000000000u64
            } else {
                d.to_bits()
            };
            (b ^ (b >> 32)) as i32
        }
        V::Char(c) => i32::from(*c),
        V::Str(s) => string_hash(s),
        V::List(l) | V::Array(l) => {
            let mut h: i32 = 1;
            if let Ok(l) = l.try_borrow() {
                for x in l.iter() {
                    h = h.wrapping_mul(31).wrapping_add(hash_code_in(x, depth + 1));
                }
            }
            h
        }
        V::Map(m) => {
            let mut h: i32 = 0;
            if let Ok(m) = m.try_borrow() {
                for (k, x) in &m.entries {
                    h = h.wrapping_add(hash_code_in(k, depth + 1) ^ hash_code_in(x, depth + 1));
                }
            }
            h
        }
        V::Entry(e) => hash_code_in(&e.key, depth + 1) ^ hash_code_in(&e.value(), depth + 1),
        _ => string_hash(&v.to_string()),
    }
}

/// `$v.name`: Velocity's property lookup (`getName()`, `get("name")` on
/// maps, `isName()`).
pub(crate) fn get_property(v: &Value, name: &str) -> Value {
    // the common cases first: `$map.key`, on a map or a JSON object still on its tape
    if let V::Json(doc, i) = &v.0 {
        if name != "class" && name != "Class" {
            match doc.member(*i, name) {
                Lookup::Found(m) => return doc.value_at(m),
                Lookup::Absent => return Value::null(),
                Lookup::Materialize => {}
            }
        }
        return get_property(&v.resolved(), name);
    }
    if let V::Map(m) = &v.0
        && name != "class"
        && name != "Class"
    {
        return m
            .borrow()
            .get_str(name)
            .cloned()
            .unwrap_or_else(Value::null);
    }
    // Velocity tries getFoo()/getfoo() and isFoo(): the case of the first
    // letter does not matter for Java getters (it does for map keys).
    let lowered;
    let lname: &str = match name.chars().next() {
        Some(c) if c.is_ascii_uppercase() => {
            lowered = format!("{}{}", c.to_ascii_lowercase(), &name[1..]);
            &lowered
        }
        _ => name,
    };
    if lname == "class" {
        return match &v.0 {
            V::Object(o) => o.get_property(name).unwrap_or_else(Value::null),
            _ => Value(V::Class(v.class_name())),
        };
    }
    match &v.0 {
        V::Map(m) => m
            .borrow()
            .get_str(name)
            .cloned()
            .unwrap_or_else(Value::null),
        V::Object(o) => o.get_property(name).unwrap_or_else(Value::null),
        V::Str(s) => match lname {
            "bytes" => Value(V::Array(Rc::new(RefCell::new(
                s.bytes().map(|b| Value::int(i32::from(b as i8))).collect(),
            )))),
            "empty" => Value::bool(s.is_empty()),
            "blank" => Value::bool(s.chars().all(char::is_whitespace)),
            _ => Value::null(),
        },
        V::List(l) => match lname {
            "empty" => Value::bool(l.borrow().is_empty()),
            _ => Value::null(),
        },
        V::Entry(e) => match lname {
            "key" => e.key.clone(),
            "value" => e.value(),
            _ => Value::null(),
        },
        V::Loop(s) => {
            let i = s.index.get();
            match lname {
                "index" => Value::int(i as i32),
                "count" => Value::int(i as i32 + 1),
                "hasNext" => Value::bool(s.has_next.get()),
                "first" => Value::bool(i == 0),
                "last" => Value::bool(!s.has_next.get()),
                "parent" => match &s.parent.0 {
                    V::Loop(_) => s.parent.clone(),
                    _ => Value::null(),
                },
                "replaced" => s.parent.clone(),
                "topmost" => {
                    let mut cur = v.clone();
                    while let V::Loop(s) = &cur.0 {
                        if !matches!(s.parent.0, V::Loop(_)) {
                            break;
                        }
                        let p = s.parent.clone();
                        cur = p;
                    }
                    cur
                }
                _ => Value::null(),
            }
        }
        V::Class(n) => match lname {
            "name" => Value::string(*n),
            "simpleName" => Value::string(n.rsplit('.').next().unwrap_or(n)),
            _ => Value::null(),
        },
        V::Double(d) => match lname {
            "naN" => Value::bool(d.is_nan()),
            "infinite" => Value::bool(d.is_infinite()),
            _ => Value::null(),
        },
        _ => Value::null(),
    }
}

fn list_len(v: &Value) -> Option<usize> {
    match &v.0 {
        V::List(l) | V::Array(l) => Some(l.borrow().len()),
        V::Map(m) => Some(m.borrow().entries.len()),
        _ => None,
    }
}

fn ioobe(class: &str, i: i32, len: usize) -> String {
    threw(
        class,
        "get",
        &format!("java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {len}"),
    )
}

/// `$v[key]` (Velocity's `ASTIndex`: negative integers count from the end).
pub(crate) fn index(v: &Value, k: &Value) -> Result<Value, String> {
    if let V::Json(doc, i) = &v.0 {
        // `$doc.list[2]` in range, `$doc.obj['key']`: straight from the tape.
        match &k.0 {
            V::Int(n) => {
                if let Some(e) = doc.element(*i, i64::from(*n)) {
                    return Ok(doc.value_at(e));
                }
            }
            V::Str(key) => match doc.member(*i, key) {
                Lookup::Found(m) => return Ok(doc.value_at(m)),
                Lookup::Absent => return Ok(Value::null()),
                Lookup::Materialize => {}
            },
            _ => {}
        }
        return index(&v.resolved(), &k.resolved());
    }
    let mut k = k.clone();
    if let V::Int(i) = k.0
        && i < 0
        && let Some(n) = list_len(v)
    {
        k = Value::int(i + n as i32);
    }
    match &v.0 {
        V::List(l) | V::Array(l) => {
            let Some(i) = int_arg_strict(&k) else {
                return Ok(Value::null());
            };
            let l = l.borrow();
            if i < 0 || i as usize >= l.len() {
                return Err(ioobe(v.class_name(), i, l.len()));
            }
            Ok(l[i as usize].clone())
        }
        V::Map(m) => Ok(m.borrow().get(&k).cloned().unwrap_or_else(Value::null)),
        V::Object(o) => o
            .index(&k)
            .map(|x| x.unwrap_or_else(Value::null))
            .map_err(|e| e.detail().to_string()),
        _ => Ok(Value::null()),
    }
}

fn int_arg_strict(v: &Value) -> Option<i32> {
    match v.0 {
        V::Int(i) => Some(i),
        _ => None,
    }
}

/// `#set($v.name = x)`.
pub(crate) fn set_property(v: &Value, name: &str, x: Value) -> Result<(), Error> {
    if matches!(v.0, V::Json(..)) || matches!(x.0, V::Json(..)) {
        return set_property(&v.resolved(), name, x.resolved());
    }
    match &v.0 {
        V::Map(m) => {
            m.borrow_mut().put(Value::string(name), x);
            Ok(())
        }
        V::Object(o) => o.set_property(name, x).map(|_| ()),
        _ => Ok(()),
    }
}

/// `#set($v[k] = x)`.
pub(crate) fn set_index(v: &Value, k: Value, x: Value) -> Result<(), String> {
    if [v, &k, &x].iter().any(|a| matches!(a.0, V::Json(..))) {
        return set_index(&v.resolved(), k.resolved(), x.resolved());
    }
    match &v.0 {
        V::Map(m) => {
            m.borrow_mut().put(k, x);
            Ok(())
        }
        V::List(l) | V::Array(l) => {
            let Some(i) = int_arg_strict(&k) else {
                return Ok(());
            };
            let mut l = l.borrow_mut();
            if i < 0 || i as usize >= l.len() {
                return Err(threw(
                    v.class_name(),
                    "set",
                    &format!(
                        "java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                        l.len()
                    ),
                ));
            }
            l[i as usize] = x;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `$v.name(args)` on a built-in value. `Ok(None)`: no such method.
pub(crate) fn call(v: &Value, name: &str, args: &[Value]) -> MResult {
    if matches!(v.0, V::Json(..)) || args.iter().any(|a| matches!(a.0, V::Json(..))) {
        let args: Vec<Value> = args.iter().map(Value::resolved).collect();
        return call(&v.resolved(), name, &args);
    }
    let r = match &v.0 {
        V::Str(s) => string_method(s, name, args)?,
        V::List(l) | V::Array(l) => list_method(v, l, name, args)?,
        V::Map(m) => map_method(m, name, args)?,
        V::Entry(e) => match (name, args.len()) {
            ("getKey", 0) => Some(e.key.clone()),
            ("getValue", 0) => Some(e.value()),
            ("setValue", 1) => {
                let old = e.value();
                if let Some(m) = &e.map {
                    let mut mb = m.borrow_mut();
                    if let Some(i) = mb.find(&e.key) {
                        mb.entries[i].1 = args[0].clone();
                    }
                }
                *e.value.borrow_mut() = args[0].clone();
                Some(old)
            }
            _ => None,
        },
        V::MapView(m, kind) => view_method(v, m, *kind, name, args)?,
        V::Int(_) | V::Long(_) | V::BigInt(_) | V::Double(_) | V::Float(_) => {
            number_method(v, name, args)?
        }
        V::Bool(b) => match (name, args.len()) {
            ("booleanValue", 0) => Some(Value::bool(*b)),
            ("compareTo", 1) => match args[0].0 {
                V::Bool(o) => Some(Value::int(i32::from(*b) - i32::from(o))),
                V::Null => {
                    return Err(threw(
                        v.class_name(),
                        name,
                        "java.lang.NullPointerException",
                    ));
                }
                _ => return Err(cce(&args[0], v.class_name(), name)),
            },
            _ => None,
        },
        V::Char(c) => match (name, args.len()) {
            ("charValue", 0) => Some(Value(V::Char(*c))),
            _ => None,
        },
        V::Iter(it) => match (name, args.len()) {
            ("hasNext", 0) => {
                let b = it.borrow();
                Some(Value::bool(b.1 < b.0.len()))
            }
            ("next", 0) => {
                let mut b = it.borrow_mut();
                if b.1 >= b.0.len() {
                    return Err(threw(
                        "java.util.ArrayList$Itr",
                        name,
                        "java.util.NoSuchElementException",
                    ));
                }
                b.1 += 1;
                Some(b.0[b.1 - 1].clone())
            }
            _ => None,
        },
        V::Class(n) => match (name, args.len()) {
            ("getName", 0) | ("getTypeName", 0) => Some(Value::string(*n)),
            ("getSimpleName", 0) => Some(Value::string(n.rsplit('.').next().unwrap_or(n))),
            _ => None,
        },
        V::Loop(s) => match (name, args.len()) {
            ("getIndex", 0) => Some(Value::int(s.index.get() as i32)),
            ("getCount", 0) => Some(Value::int(s.index.get() as i32 + 1)),
            ("hasNext", 0) | ("getHasNext", 0) => Some(Value::bool(s.has_next.get())),
            ("isFirst", 0) | ("getFirst", 0) => Some(Value::bool(s.index.get() == 0)),
            ("isLast", 0) | ("getLast", 0) => Some(Value::bool(!s.has_next.get())),
            ("getParent", 0) => Some(match &s.parent.0 {
                V::Loop(_) => s.parent.clone(),
                _ => Value::null(),
            }),
            ("getReplaced", 0) => Some(s.parent.clone()),
            _ => None,
        },
        _ => None,
    };
    let r = r.or_else(|| call_common(v, name, args));
    if r.is_none() && !args.is_empty() && has_zero_arg_method(v, name) {
        return Err(threw(
            v.class_name(),
            name,
            "java.lang.IllegalArgumentException: wrong number of arguments",
        ));
    }
    if r.is_none() {
        return static_method(v, name, args);
    }
    Ok(r)
}

const STR: &str = "java.lang.String";

/// The `ClassCastException` of `compareTo(Object)` with another class.
fn cce(arg: &Value, class: &str, method: &str) -> String {
    threw(
        class,
        method,
        &format!(
            "java.lang.ClassCastException: class {} cannot be cast to class {class}",
            arg.class_name()
        ),
    )
}

fn npe(method: &str) -> String {
    threw(STR, method, "java.lang.NullPointerException")
}

fn string_method(s: &str, name: &str, args: &[Value]) -> MResult {
    let a = args;
    let n = a.len();
    Ok(Some(match (name, n) {
        ("length", 0) => Value::int(if crate::value::has_standins(s) {
            utf16(s).len() as i32
        } else {
            s.encode_utf16().count() as i32
        }),
        ("isEmpty", 0) => Value::bool(s.is_empty()),
        ("isBlank", 0) => Value::bool(s.chars().all(char::is_whitespace)),
        ("toString", 0) | ("intern", 0) => Value::string(s),
        ("toUpperCase", 0) => Value::string(s.to_uppercase()),
        ("toLowerCase", 0) => Value::string(s.to_lowercase()),
        ("trim", 0) => Value::string(s.trim_matches(|c: char| c <= ' ')),
        ("strip", 0) => Value::string(s.trim()),
        ("stripLeading", 0) => Value::string(s.trim_start()),
        ("stripTrailing", 0) => Value::string(s.trim_end()),
        ("hashCode", 0) => Value::int(string_hash(s)),
        ("charAt", 1) => {
            let Some(i) = int_arg(&a[0]) else {
                return Ok(None);
            };
            let u = utf16(s);
            if i < 0 || i as usize >= u.len() {
                return Err(sioobe(STR, name, format!("index {i}, length {}", u.len())));
            }
            Value(V::Char(u[i as usize]))
        }
        ("substring", 1 | 2) => {
            let u = utf16(s);
            let Some(b) = int_arg(&a[0]) else {
                return Ok(None);
            };
            let e = if n == 2 {
                let Some(e) = int_arg(&a[1]) else {
                    return Ok(None);
                };
                e
            } else {
                u.len() as i32
            };
            if b < 0 || e > u.len() as i32 || b > e {
                return Err(sioobe(
                    STR,
                    name,
                    format!("begin {b}, end {e}, length {}", u.len()),
                ));
            }
            from16(&u[b as usize..e as usize])
        }
        ("indexOf" | "lastIndexOf", 1 | 2) => {
            let needle: Vec<u16> = match &a[0].0 {
                V::Str(x) => utf16(x),
                V::Int(c) => match char::from_u32(*c as u32) {
                    Some(ch) => {
                        let mut b = [0u16; 2];
                        ch.encode_utf16(&mut b).to_vec()
                    }
                    None => return Ok(Some(Value::int(-1))),
                },
                V::Null => return Err(npe(name)),
                _ => return Ok(None),
            };
            let u = utf16(s);
            let last = name == "lastIndexOf";
            let from = if n == 2 {
                let Some(f) = int_arg(&a[1]) else {
                    return Ok(None);
                };
                f
            } else if last {
                u.len() as i32
            } else {
                0
            };
            Value::int(if last {
                last_index_of(&u, &needle, from)
            } else {
                index_of(&u, &needle, from)
            })
        }
        ("contains", 1) => match &a[0].0 {
            V::Str(x) if unit_mode(s, x) => Value::bool(index_of(&utf16(s), &utf16(x), 0) >= 0),
            V::Str(x) => Value::bool(s.contains(&**x)),
            V::Null => return Err(npe(name)),
            _ => return Ok(None),
        },
        ("startsWith", 1) => match &a[0].0 {
            V::Str(x) if unit_mode(s, x) => Value::bool(utf16(s).starts_with(&utf16(x))),
            V::Str(x) => Value::bool(s.starts_with(&**x)),
            V::Null => return Err(npe(name)),
            _ => return Ok(None),
        },
        ("startsWith", 2) => {
            let (Some(x), Some(off)) = (str_arg(&a[0]), int_arg(&a[1])) else {
                return Ok(None);
            };
            let u = utf16(s);
            let p = utf16(x);
            Value::bool(
                off >= 0
                    && (off as usize) + p.len() <= u.len()
                    && u[off as usize..off as usize + p.len()] == *p,
            )
        }
        ("endsWith", 1) => match &a[0].0 {
            V::Str(x) if unit_mode(s, x) => Value::bool(utf16(s).ends_with(&utf16(x))),
            V::Str(x) => Value::bool(s.ends_with(&**x)),
            V::Null => return Err(npe(name)),
            _ => return Ok(None),
        },
        ("equals", 1) => Value::bool(matches!(&a[0].0, V::Str(x) if **x == *s)),
        ("equalsIgnoreCase", 1) => match &a[0].0 {
            V::Str(x) => {
                let (p, q) = (utf16(s), utf16(x));
                Value::bool(
                    p.len() == q.len()
                        && p.iter().zip(q.iter()).all(|(a, b)| {
                            a == b || {
                                let ca = char::from_u32(u32::from(*a))
                                    .map(|c| c.to_uppercase().next().unwrap_or(c));
                                let cb = char::from_u32(u32::from(*b))
                                    .map(|c| c.to_uppercase().next().unwrap_or(c));
                                ca == cb
                                    || ca.map(|c| c.to_lowercase().next().unwrap_or(c))
                                        == cb.map(|c| c.to_lowercase().next().unwrap_or(c))
                            }
                        }),
                )
            }
            _ => Value::bool(false),
        },
        ("compareTo" | "compareToIgnoreCase", 1) => {
            let Some(x) = str_arg(&a[0]) else {
                return if a[0].is_null() {
                    Err(npe(name))
                } else if name == "compareTo" {
                    Err(cce(&a[0], STR, name))
                } else {
                    Ok(None)
                };
            };
            let (p, q) = if name == "compareTo" {
                (utf16(s), utf16(x))
            } else {
                (utf16(&s.to_lowercase()), utf16(&x.to_lowercase()))
            };
            let mut r = p.len() as i32 - q.len() as i32;
            for (a, b) in p.iter().zip(q.iter()) {
                if a != b {
                    r = i32::from(*a) - i32::from(*b);
                    break;
                }
            }
            Value::int(r)
        }
        ("concat", 1) => match &a[0].0 {
            V::Str(x) => Value::string(crate::value::join_halves(format!("{s}{x}"))),
            V::Null => return Err(npe(name)),
            _ => return Ok(None),
        },
        ("repeat", 1) => {
            let Some(c) = int_arg(&a[0]) else {
                return Ok(None);
            };
            if c < 0 {
                return Err(threw(
                    STR,
                    name,
                    &format!("java.lang.IllegalArgumentException: count is negative: {c}"),
                ));
            }
            if (c as usize).saturating_mul(s.len()) > 64 * 1024 * 1024 {
                return Err(threw(STR, name, "java.lang.OutOfMemoryError"));
            }
            Value::string(s.repeat(c as usize))
        }
        ("replace", 2) => match (&a[0].0, &a[1].0) {
            (V::Str(x), V::Str(y)) => Value::string(java_replace(s, x, y)),
            (V::Char(x), V::Char(y)) => {
                let u: Vec<u16> = utf16(s)
                    .into_iter()
                    .map(|c| if c == *x { *y } else { c })
                    .collect();
                from16(&u)
            }
            (V::Null, _) | (_, V::Null) => return Err(npe(name)),
            _ => return Ok(None),
        },
        ("matches", 1) => {
            let Some(p) = str_arg(&a[0]) else {
                return if a[0].is_null() {
                    Err(npe(name))
                } else {
                    Ok(None)
                };
            };
            Value::bool(jregex::matches(p, s).map_err(|e| threw(STR, name, &e))?)
        }
        ("replaceAll" | "replaceFirst", 2) => {
            let (Some(p), Some(r)) = (str_arg(&a[0]), str_arg(&a[1])) else {
                return if a[0].is_null() || a[1].is_null() {
                    Err(npe(name))
                } else {
                    Ok(None)
                };
            };
            let res = if name == "replaceAll" {
                jregex::replace_all(p, s, r)
            } else {
                jregex::replace_first(p, s, r)
            };
            Value::string(res.map_err(|e| threw(STR, name, &e))?)
        }
        ("split", 1 | 2) => {
            let Some(p) = str_arg(&a[0]) else {
                return if a[0].is_null() {
                    Err(npe(name))
                } else {
                    Ok(None)
                };
            };
            let limit = if n == 2 {
                let Some(l) = int_arg(&a[1]) else {
                    return Ok(None);
                };
                l
            } else {
                0
            };
            let parts = jregex::split(p, s, limit).map_err(|e| threw(STR, name, &e))?;
            Value(V::Array(Rc::new(RefCell::new(
                parts.into_iter().map(Value::string).collect(),
            ))))
        }
        ("codePointCount", 2) => {
            let (Some(b), Some(e)) = (int_arg(&a[0]), int_arg(&a[1])) else {
                return Ok(None);
            };
            let u = utf16(s);
            if b < 0 || e as usize > u.len() || b > e {
                return Err(threw(STR, name, "java.lang.IndexOutOfBoundsException"));
            }
            Value::int(char::decode_utf16(u[b as usize..e as usize].iter().copied()).count() as i32)
        }
        ("codePointAt", 1) => {
            let Some(i) = int_arg(&a[0]) else {
                return Ok(None);
            };
            let u = utf16(s);
            if i < 0 || i as usize >= u.len() {
                return Err(sioobe(STR, name, format!("index {i}, length {}", u.len())));
            }
            let cp = char::decode_utf16(u[i as usize..].iter().copied())
                .next()
                .map_or(u32::from(u[i as usize]), |r| {
                    r.map_or(u32::from(u[i as usize]), u32::from)
                });
            Value::int(cp as i32)
        }
        ("getBytes", 0) => Value(V::Array(Rc::new(RefCell::new(
            s.bytes().map(|b| Value::int(i32::from(b as i8))).collect(),
        )))),
        ("toCharArray", 0) => {
            let u = utf16(s);
            Value(V::Array(Rc::new(RefCell::new(
                u.into_iter().map(|c| Value(V::Char(c))).collect(),
            ))))
        }
        _ => return Ok(None),
    }))
}

/// Java `String.replace(CharSequence, CharSequence)`.
fn java_replace(s: &str, from: &str, to: &str) -> String {
    if !from.is_empty() && unit_mode(s, from) {
        let (u, f, t) = (utf16(s), utf16(from), utf16(to));
        let mut out: Vec<u16> = Vec::with_capacity(u.len());
        let mut i = 0;
        while i < u.len() {
            if u[i..].starts_with(&f) {
                out.extend_from_slice(&t);
                i += f.len();
            } else {
                out.push(u[i]);
                i += 1;
            }
        }
        return crate::value::from_utf16_java(&out);
    }
    if from.is_empty() {
        // inserts `to` between every UTF-16 unit (and at both ends)
        let u = utf16(s);
        let t = utf16(to);
        let mut out: Vec<u16> = Vec::with_capacity(u.len() * (t.len() + 1) + t.len());
        out.extend_from_slice(&t);
        for c in u {
            out.push(c);
            out.extend_from_slice(&t);
        }
        return crate::value::from_utf16_java(&out);
    }
    s.replace(from, to)
}

fn list_method(v: &Value, l: &Rc<RefCell<Vec<Value>>>, name: &str, a: &[Value]) -> MResult {
    let class = v.class_name();
    let is_array = matches!(v.0, V::Array(_));
    let n = a.len();
    let unsupported = || threw(class, name, "java.lang.UnsupportedOperationException");
    Ok(Some(match (name, n) {
        ("size", 0) => Value::int(l.borrow().len() as i32),
        ("iterator", 0) => Value(V::Iter(Rc::new(RefCell::new((l.borrow().clone(), 0))))),
        ("isEmpty", 0) => Value::bool(l.borrow().is_empty()),
        ("get", 1) => {
            let Some(i) = int_arg_strict(&a[0]) else {
                return Ok(None);
            };
            let l = l.borrow();
            if i < 0 || i as usize >= l.len() {
                return Err(ioobe(class, i, l.len()));
            }
            l[i as usize].clone()
        }
        ("contains", 1) => Value::bool(l.borrow().iter().any(|x| java_equals(x, &a[0]))),
        ("indexOf", 1) => Value::int(
            l.borrow()
                .iter()
                .position(|x| java_equals(x, &a[0]))
                .map_or(-1, |i| i as i32),
        ),
        ("lastIndexOf", 1) => Value::int(
            l.borrow()
                .iter()
                .rposition(|x| java_equals(x, &a[0]))
                .map_or(-1, |i| i as i32),
        ),
        ("add", 1) => {
            if is_array {
                return Err(unsupported());
            }
            l.borrow_mut().push(a[0].clone());
            Value::bool(true)
        }
        ("add", 2) => {
            let Some(i) = int_arg_strict(&a[0]) else {
                return Ok(None);
            };
            if is_array {
                return Err(unsupported());
            }
            let mut lb = l.borrow_mut();
            if i < 0 || i as usize > lb.len() {
                return Err(threw(
                    class,
                    name,
                    &format!(
                        "java.lang.IndexOutOfBoundsException: Index: {i}, Size: {}",
                        lb.len()
                    ),
                ));
            }
            lb.insert(i as usize, a[1].clone());
            Value::string("")
        }
        ("set", 2) => {
            let Some(i) = int_arg_strict(&a[0]) else {
                return Ok(None);
            };
            let mut lb = l.borrow_mut();
            if i < 0 || i as usize >= lb.len() {
                return Err(threw(
                    class,
                    name,
                    &format!(
                        "java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                        lb.len()
                    ),
                ));
            }
            std::mem::replace(&mut lb[i as usize], a[1].clone())
        }
        ("remove", 1) => {
            if is_array {
                return Err(unsupported());
            }
            if let V::Int(i) = a[0].0 {
                let mut lb = l.borrow_mut();
                if i < 0 || i as usize >= lb.len() {
                    return Err(threw(
                        class,
                        name,
                        &format!(
                            "java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                            lb.len()
                        ),
                    ));
                }
                lb.remove(i as usize)
            } else {
                let mut lb = l.borrow_mut();
                match lb.iter().position(|x| java_equals(x, &a[0])) {
                    Some(i) => {
                        lb.remove(i);
                        Value::bool(true)
                    }
                    None => Value::bool(false),
                }
            }
        }
        ("sort", 1) if a[0].is_null() => {
            let mut lb = l.borrow_mut();
            let all_str = lb.iter().all(|x| matches!(x.0, V::Str(_)));
            let same_num = lb
                .windows(2)
                .all(|w| std::mem::discriminant(&w[0].0) == std::mem::discriminant(&w[1].0))
                && lb
                    .iter()
                    .all(|x| matches!(x.0, V::Int(_) | V::Long(_) | V::Double(_)));
            if all_str {
                lb.sort_by(|x, y| {
                    let (p, q) = (x.as_str().unwrap_or(""), y.as_str().unwrap_or(""));
                    utf16(p).cmp(&utf16(q))
                });
            } else if same_num || lb.len() <= 1 {
                lb.sort_by(|x, y| {
                    x.as_f64()
                        .unwrap_or(0.0)
                        .partial_cmp(&y.as_f64().unwrap_or(0.0))
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
            } else {
                return Err(threw(class, name, "java.lang.ClassCastException"));
            }
            Value::string("")
        }
        ("clear", 0) => {
            if is_array {
                return Err(unsupported());
            }
            l.borrow_mut().clear();
            Value::string("")
        }
        ("addAll", 1) => {
            if is_array {
                return Err(unsupported());
            }
            let items = match &a[0].0 {
                V::List(o) | V::Array(o) => o.borrow().clone(),
                V::Null => return Err(threw(class, name, "java.lang.NullPointerException")),
                _ => return Ok(None),
            };
            let changed = !items.is_empty();
            l.borrow_mut().extend(items);
            Value::bool(changed)
        }
        ("containsAll", 1) => match &a[0].0 {
            V::List(o) | V::Array(o) => {
                let o = o.borrow().clone();
                let lb = l.borrow();
                Value::bool(o.iter().all(|x| lb.iter().any(|y| java_equals(x, y))))
            }
            _ => return Ok(None),
        },
        ("subList", 2) => {
            let (Some(b), Some(e)) = (int_arg_strict(&a[0]), int_arg_strict(&a[1])) else {
                return Ok(None);
            };
            let lb = l.borrow();
            if b < 0 || e as usize > lb.len() || b > e {
                return Err(threw(
                    class,
                    name,
                    &format!(
                        "java.lang.IndexOutOfBoundsException: fromIndex: {b}, toIndex: {e}, size: {}",
                        lb.len()
                    ),
                ));
            }
            Value::list(lb[b as usize..e as usize].to_vec())
        }
        _ => return Ok(None),
    }))
}

const MAP: &str = "java.util.LinkedHashMap";

fn nfe(class: &str, name: &str, s: &str) -> String {
    threw(
        class,
        name,
        &format!("java.lang.NumberFormatException: For input string: \"{s}\""),
    )
}

/// Java `Integer.parseInt` (no `+`/`-` only, no spaces).
fn parse_java_int(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = match b.first() {
        Some(b'-') | Some(b'+') => &s[1..],
        _ => s,
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Static methods Java lets a template call through an instance
/// (`$i.parseInt("7")`, `$s.valueOf(true)`).
fn static_method(v: &Value, name: &str, a: &[Value]) -> MResult {
    let class = v.class_name();
    Ok(match (&v.0, name, a.len()) {
        (V::Int(_), "parseInt" | "valueOf", 1) => match &a[0].0 {
            V::Str(s) => match parse_java_int(s).and_then(|x| i32::try_from(x).ok()) {
                Some(x) => Some(Value::int(x)),
                None => return Err(nfe(class, name, s)),
            },
            V::Int(x) if name == "valueOf" => Some(Value::int(*x)),
            _ => None,
        },
        (V::Long(_), "parseLong" | "valueOf", 1) => match &a[0].0 {
            V::Str(s) => match parse_java_int(s) {
                Some(x) => Some(Value::long(x)),
                None => return Err(nfe(class, name, s)),
            },
            V::Int(x) if name == "valueOf" => Some(Value::long(i64::from(*x))),
            _ => None,
        },
        (V::Double(_), "parseDouble" | "valueOf", 1) => match &a[0].0 {
            V::Str(s) => match s.trim().parse::<f64>() {
                Ok(x) => Some(Value::double(x)),
                Err(_) => return Err(nfe(class, name, s)),
            },
            _ => None,
        },
        (V::Bool(_), "parseBoolean" | "valueOf", 1) => match &a[0].0 {
            V::Str(s) => Some(Value::bool(s.eq_ignore_ascii_case("true"))),
            V::Bool(b) => Some(Value::bool(*b)),
            V::Null => Some(Value::bool(false)),
            _ => None,
        },
        (V::Int(_) | V::Long(_), _, _) if number_static(v, name, a).is_some() => {
            number_static(v, name, a)
        }
        (V::Double(_), _, _) if double_static(name, a).is_some() => double_static(name, a),
        (V::Int(_) | V::Long(_) | V::Double(_) | V::Bool(_), "toString", 1) => {
            if std::mem::discriminant(&v.0) == std::mem::discriminant(&a[0].0) {
                Some(Value::string(a[0].to_string()))
            } else {
                None
            }
        }
        (V::Str(_), "valueOf" | "copyValueOf", 1) => Some(Value::string(a[0].to_string())),
        (V::Str(_), "format", n) if n >= 1 => match &a[0].0 {
            V::Str(f) => java_format(f, &a[1..]).map(Value::string),
            _ => None,
        },
        (V::Str(_), "join", n) if n >= 2 => match &a[0].0 {
            V::Str(sep) => {
                let items: Vec<String> = if n == 2 {
                    match crate::value::view_items(&a[1]) {
                        Some(items) => items.iter().map(Value::to_string).collect(),
                        None => vec![a[1].to_string()],
                    }
                } else {
                    a[1..].iter().map(Value::to_string).collect()
                };
                Some(Value::string(items.join(&**sep)))
            }
            _ => None,
        },
        _ => None,
    })
}

/// An `int`/`long` argument of a static method (`Integer` widens to
/// `long`).
fn long_arg(v: &Value, long: bool) -> Option<i64> {
    match v.0 {
        V::Int(i) => Some(i64::from(i)),
        V::Long(i) if long => Some(i),
        _ => None,
    }
}

/// Static methods of `Integer`/`Long` called through an instance.
fn number_static(v: &Value, name: &str, a: &[Value]) -> Option<Value> {
    let long = matches!(v.0, V::Long(_));
    let wrap = |x: i64| {
        if long {
            Value::long(x)
        } else {
            Value::int(x as i32)
        }
    };
    match (name, a.len()) {
        ("toHexString" | "toBinaryString" | "toOctalString", 1) => {
            let x = long_arg(&a[0], long)?;
            let u = if long { x as u64 } else { u64::from(x as u32) };
            Some(Value::string(match name {
                "toHexString" => format!("{u:x}"),
                "toBinaryString" => format!("{u:b}"),
                _ => format!("{u:o}"),
            }))
        }
        ("signum", 1) => Some(Value::int(long_arg(&a[0], long)?.signum() as i32)),
        ("max" | "min" | "sum", 2) => {
            let (x, y) = (long_arg(&a[0], long)?, long_arg(&a[1], long)?);
            Some(wrap(match name {
                "max" => x.max(y),
                "min" => x.min(y),
                _ => {
                    if long {
                        x.wrapping_add(y)
                    } else {
                        i64::from((x as i32).wrapping_add(y as i32))
                    }
                }
            }))
        }
        ("compare", 2) => {
            let (x, y) = (long_arg(&a[0], long)?, long_arg(&a[1], long)?);
            Some(Value::int(x.cmp(&y) as i32))
        }
        ("bitCount", 1) => {
            let x = long_arg(&a[0], long)?;
            Some(Value::int(if long {
                x.count_ones()
            } else {
                (x as i32).count_ones()
            } as i32))
        }
        _ => None,
    }
}

fn f64_arg(v: &Value) -> Option<f64> {
    match v.0 {
        V::Int(i) => Some(f64::from(i)),
        V::Long(i) => Some(i as f64),
        V::Double(d) => Some(d),
        V::Float(f) => Some(f64::from(f)),
        _ => None,
    }
}

/// Static methods of `Double` called through an instance.
fn double_static(name: &str, a: &[Value]) -> Option<Value> {
    match (name, a.len()) {
        ("max" | "min" | "sum", 2) => {
            let (x, y) = (f64_arg(&a[0])?, f64_arg(&a[1])?);
            Some(Value::double(match name {
                "max" => {
                    if x.is_nan() || y.is_nan() {
                        f64::NAN
                    } else if x == y {
                        if x.is_sign_negative() { y } else { x }
                    } else {
                        x.max(y)
                    }
                }
                "min" => {
                    if x.is_nan() || y.is_nan() {
                        f64::NAN
                    } else if x == y {
                        if x.is_sign_negative() { x } else { y }
                    } else {
                        x.min(y)
                    }
                }
                _ => x + y,
            }))
        }
        ("toHexString", 1) => Some(Value::string(double_hex(f64_arg(&a[0])?))),
        ("isNaN", 1) => Some(Value::bool(f64_arg(&a[0])?.is_nan())),
        ("isInfinite", 1) => Some(Value::bool(f64_arg(&a[0])?.is_infinite())),
        ("isFinite", 1) => Some(Value::bool(f64_arg(&a[0])?.is_finite())),
        _ => None,
    }
}

/// Java's `Double.toHexString`.
fn double_hex(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let bits = d.to_bits();
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    if d == 0.0 {
        return format!("{sign}0x0.0p0");
    }
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & 0x000f_ffff_ffff_ffff;
    let mut hex = format!("{mant:013x}");
    while hex.len() > 1 && hex.ends_with('0') {
        hex.pop();
    }
    if exp == 0 {
        format!("{sign}0x0.{hex}p-1022")
    } else {
        format!("{sign}0x1.{hex}p{}", exp - 1023)
    }
}

/// A small `String.format`: `%s`, `%d`, `%n`, `%%`; anything else is
/// unsupported (the call renders as written).
fn java_format(f: &str, args: &[Value]) -> Option<String> {
    let mut out = String::new();
    let mut it = f.chars();
    let mut next = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next()? {
            's' => {
                out.push_str(&args.get(next)?.to_string());
                next += 1;
            }
            'd' => {
                let v = args.get(next)?;
                if !matches!(v.0, V::Int(_) | V::Long(_) | V::BigInt(_)) {
                    return None;
                }
                out.push_str(&v.to_string());
                next += 1;
            }
            'n' => out.push('\n'),
            '%' => out.push('%'),
            _ => return None,
        }
    }
    Some(out)
}

fn view_method(
    v: &Value,
    m: &Rc<RefCell<JMap>>,
    kind: ViewKind,
    name: &str,
    a: &[Value],
) -> MResult {
    let items = || view_items(v).unwrap_or_default();
    Ok(Some(match (name, a.len()) {
        ("size", 0) => Value::int(m.borrow().entries.len() as i32),
        ("isEmpty", 0) => Value::bool(m.borrow().entries.is_empty()),
        ("contains", 1) => Value::bool(items().iter().any(|x| java_equals(x, &a[0]))),
        ("iterator", 0) => Value(V::Iter(Rc::new(RefCell::new((items(), 0))))),
        ("remove", 1) => {
            let mut mb = m.borrow_mut();
            let pos = match kind {
                ViewKind::Keys => mb.find(&a[0]),
                ViewKind::Values => mb.entries.iter().position(|(_, x)| java_equals(x, &a[0])),
                ViewKind::Entries => match &a[0].0 {
                    V::Entry(e) => mb
                        .find(&e.key)
                        .filter(|&i| java_equals(&mb.entries[i].1, &e.value())),
                    _ => None,
                },
            };
            match pos {
                Some(i) => {
                    mb.entries.remove(i);
                    mb.modcount += 1;
                    Value::bool(true)
                }
                None => Value::bool(false),
            }
        }
        ("clear", 0) => {
            let mut mb = m.borrow_mut();
            mb.entries.clear();
            mb.modcount += 1;
            Value::string("")
        }
        ("toArray", 0) => Value(V::Array(Rc::new(RefCell::new(items())))),
        _ => return Ok(None),
    }))
}

fn map_method(m: &Rc<RefCell<JMap>>, name: &str, a: &[Value]) -> MResult {
    let n = a.len();
    Ok(Some(match (name, n) {
        ("get", 1) => m.borrow().get(&a[0]).cloned().unwrap_or_else(Value::null),
        ("getOrDefault", 2) => m
            .borrow()
            .get(&a[0])
            .cloned()
            .unwrap_or_else(|| a[1].clone()),
        ("put", 2) => m.borrow_mut().put(a[0].clone(), a[1].clone()),
        ("putIfAbsent", 2) => {
            let mut mb = m.borrow_mut();
            match mb.get(&a[0]) {
                Some(v) if !v.is_null() => v.clone(),
                _ => {
                    mb.put(a[0].clone(), a[1].clone());
                    Value::null()
                }
            }
        }
        ("containsKey", 1) => Value::bool(m.borrow().find(&a[0]).is_some()),
        ("containsValue", 1) => Value::bool(
            m.borrow()
                .entries
                .iter()
                .any(|(_, v)| java_equals(v, &a[0])),
        ),
        ("size", 0) => Value::int(m.borrow().entries.len() as i32),
        ("isEmpty", 0) => Value::bool(m.borrow().entries.is_empty()),
        ("remove", 1) => m.borrow_mut().remove(&a[0]),
        ("clear", 0) => {
            let mut mb = m.borrow_mut();
            mb.entries.clear();
            mb.modcount += 1;
            Value::string("")
        }
        ("putAll", 1) => match &a[0].0 {
            V::Map(o) => {
                let items = o.borrow().entries.clone();
                let mut mb = m.borrow_mut();
                for (k, v) in items {
                    mb.put(k, v);
                }
                Value::string("")
            }
            V::Null => return Err(threw(MAP, name, "java.lang.NullPointerException")),
            _ => return Ok(None),
        },
        ("keySet", 0) => Value(V::MapView(m.clone(), ViewKind::Keys)),
        ("values", 0) => Value(V::MapView(m.clone(), ViewKind::Values)),
        ("entrySet", 0) => Value(V::MapView(m.clone(), ViewKind::Entries)),
        _ => return Ok(None),
    }))
}

fn number_method(v: &Value, name: &str, a: &[Value]) -> MResult {
    let d = v.as_f64().unwrap_or(0.0);
    let i: i128 = match v.0 {
        V::Int(i) => i128::from(i),
        V::Long(l) => i128::from(l),
        V::BigInt(b) => b,
        V::Double(x) => {
            // Java's saturating double-to-long cast
            if x.is_nan() { 0 } else { i128::from(x as i64) }
        }
        V::Float(x) => {
            if x.is_nan() {
                0
            } else {
                i128::from(x as i64)
            }
        }
        _ => 0,
    };
    Ok(Some(match (name, a.len()) {
        ("intValue", 0) => Value::int(match v.0 {
            V::Double(x) => x as i32,
            V::Float(x) => x as i32,
            _ => i as i32,
        }),
        ("floatValue", 0) => Value(V::Float(d as f32)),
        ("longValue", 0) => Value::long(i as i64),
        ("doubleValue", 0) => Value::double(d),
        ("shortValue", 0) => Value::int(i32::from(i as i16)),
        ("byteValue", 0) => Value::int(i32::from(i as i8)),
        ("isNaN", 0) if matches!(v.0, V::Double(_) | V::Float(_)) => Value::bool(d.is_nan()),
        ("isInfinite", 0) if matches!(v.0, V::Double(_) | V::Float(_)) => {
            Value::bool(d.is_infinite())
        }
        ("compareTo", 1) => {
            let class = v.class_name();
            if a[0].is_null() {
                return Err(threw(class, name, "java.lang.NullPointerException"));
            }
            if std::mem::discriminant(&v.0) != std::mem::discriminant(&a[0].0) {
                return Err(threw(
                    class,
                    name,
                    &format!(
                        "java.lang.ClassCastException: class {} cannot be cast to class {class}",
                        a[0].class_name()
                    ),
                ));
            }
            let o = match (&v.0, &a[0].0) {
                (V::Double(x), V::Double(y)) => {
                    // Double.compare: NaN is greatest, -0.0 < 0.0
                    let key = |d: f64| if d.is_nan() { (2, 0.0) } else { (1, d) };
                    let (kx, ky) = (key(*x), key(*y));
                    if kx.0 != ky.0 {
                        kx.0.cmp(&ky.0) as i32
                    } else if x == y {
                        (x.is_sign_positive() as i32) - (y.is_sign_positive() as i32)
                    } else {
                        x.partial_cmp(y).map_or(0, |o| o as i32)
                    }
                }
                _ => i.cmp(&match a[0].0 {
                    V::Int(x) => i128::from(x),
                    V::Long(x) => i128::from(x),
                    V::BigInt(x) => x,
                    _ => 0,
                }) as i32,
            };
            Value::int(o)
        }
        _ => return Ok(None),
    }))
}
