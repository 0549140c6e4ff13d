//! Java character classes and properties (`\p{…}`, `\d`, `\w`, …) as sets of
//! code points.
//!
//! Sets are computed with `regex_syntax`'s Unicode tables, so they follow the
//! Unicode version of `regex-syntax`, not the one of the JDK (see the crate
//! documentation). Blocks come from a table generated from the JDK.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, HirKind};

use crate::blocks::{BLOCK_NAMES, BLOCK_RANGES};

/// Builds a class from inclusive code point ranges; surrogates are dropped
/// because they can never occur in a Rust `&str`.
pub(crate) fn ranges(rs: &[(u32, u32)]) -> ClassUnicode {
    let mut c = ClassUnicode::empty();
    for &(lo, hi) in rs {
        push_range(&mut c, lo, hi);
    }
    c
}

/// Adds `lo..=hi` to `c`, skipping the surrogate gap.
pub(crate) fn push_range(c: &mut ClassUnicode, lo: u32, hi: u32) {
    let mut add = |a: u32, b: u32| {
        if a <= b
            && let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b))
        {
            c.push(ClassUnicodeRange::new(a, b));
        }
    };
    if hi < 0xD800 || lo > 0xDFFF {
        add(lo, hi);
    } else {
        if lo < 0xD800 {
            add(lo, 0xD7FF);
        }
        if hi > 0xDFFF {
            add(0xE000, hi);
        }
    }
}

/// The class of one code point (empty for a surrogate).
pub(crate) fn single(cp: u32) -> ClassUnicode {
    ranges(&[(cp, cp)])
}

/// Every code point.
pub(crate) fn all() -> ClassUnicode {
    ranges(&[(0, 0x10FFFF)])
}

fn negated(mut c: ClassUnicode) -> ClassUnicode {
    c.negate();
    c
}

fn union(mut a: ClassUnicode, b: &ClassUnicode) -> ClassUnicode {
    a.union(b);
    a
}

/// A class from `regex_syntax`'s own `\p{…}` tables.
fn rust(name: &str) -> Option<ClassUnicode> {
    // Parsing a Unicode property with regex-syntax costs tens of
    // microseconds; patterns reuse a handful of them, so cache.
    static CACHE: std::sync::Mutex<Vec<(String, Option<ClassUnicode>)>> =
        std::sync::Mutex::new(Vec::new());
    if let Ok(cache) = CACHE.lock()
        && let Some((_, c)) = cache.iter().find(|(n, _)| n == name)
    {
        return c.clone();
    }
    let c = rust_uncached(name);
    if let Ok(mut cache) = CACHE.lock()
        && cache.len() < 256
    {
        cache.push((name.to_owned(), c.clone()));
    }
    c
}

fn rust_uncached(name: &str) -> Option<ClassUnicode> {
    if name == "Cs" {
        // Surrogates never occur in a Rust string.
        return Some(ClassUnicode::empty());
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{name}}}"))
        .ok()?;
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(c)) => Some(c),
        // A one-character property (such as Zl) comes back as a literal.
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0).ok()?;
            let mut c = ClassUnicode::empty();
            for ch in s.chars() {
                c.push(ClassUnicodeRange::new(ch, ch));
            }
            Some(c)
        }
        _ => None,
    }
}

fn rust_all(names: &[&str]) -> Option<ClassUnicode> {
    let mut c = ClassUnicode::empty();
    for n in names {
        c.union(&rust(n)?);
    }
    Some(c)
}

/// `\d` (ASCII, or `\p{Nd}` under `UNICODE_CHARACTER_CLASS`).
pub(crate) fn digit(unicode: bool) -> ClassUnicode {
    if unicode {
        rust("Nd").unwrap_or_else(|| ranges(&[(0x30, 0x39)]))
    } else {
        ranges(&[(0x30, 0x39)])
    }
}

/// `\s`.
pub(crate) fn space(unicode: bool) -> ClassUnicode {
    if unicode {
        rust("White_Space").unwrap_or_else(|| ranges(&[(9, 13), (32, 32)]))
    } else {
        ranges(&[(9, 13), (32, 32)])
    }
}

/// `\w`.
pub(crate) fn word(unicode: bool) -> ClassUnicode {
    if unicode {
        rust_all(&["Alphabetic", "Mn", "Me", "Mc", "Nd", "Pc", "Join_Control"])
            .unwrap_or_else(|| word(false))
    } else {
        ranges(&[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
    }
}

/// The characters Java's default (JDK 17) `\b` treats as word characters:
/// `Character.isLetterOrDigit` or `_`, plus non-spacing marks (Java counts a
/// mark as a word character when it follows a letter or digit).
pub(crate) fn java_bound_word() -> ClassUnicode {
    union(
        rust_all(&["L", "Nd", "Mn"]).unwrap_or_else(|| word(false)),
        &single('_' as u32),
    )
}

/// `\h`.
pub(crate) fn horizontal_space() -> ClassUnicode {
    ranges(&[
        (0x20, 0x20),
        (0x09, 0x09),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x180E, 0x180E),
        (0x2000, 0x200A),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
    ])
}

/// `\v`.
pub(crate) fn vertical_space() -> ClassUnicode {
    ranges(&[(0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029)])
}

/// Java's line terminators (the complement of `.` without DOTALL).
pub(crate) fn line_terminators() -> ClassUnicode {
    ranges(&[(0x0A, 0x0A), (0x0D, 0x0D), (0x85, 0x85), (0x2028, 0x2029)])
}

fn case_all() -> Option<ClassUnicode> {
    rust_all(&["Lowercase", "Uppercase", "Lt"])
}

fn alnum_ascii() -> ClassUnicode {
    ranges(&[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)])
}

fn java_ignorable() -> Option<ClassUnicode> {
    Some(union(
        ranges(&[(0, 8), (0x0E, 0x1B), (0x7F, 0x9F)]),
        &rust("Cf")?,
    ))
}

fn graph_unicode() -> Option<ClassUnicode> {
    Some(negated(rust_all(&["Zs", "Zl", "Zp", "Cc", "Cs", "Cn"])?))
}

fn blank_unicode() -> Option<ClassUnicode> {
    Some(union(rust("Zs")?, &single(9)))
}

/// Java's `CharPredicates.forUnicodeProperty` (binary properties after
/// `Is`, and the POSIX names under `UNICODE_CHARACTER_CLASS`).
fn unicode_property(upper: &str, ci: bool) -> Option<ClassUnicode> {
    Some(match upper {
        "ALPHABETIC" | "ALPHA" => rust("Alphabetic")?,
        "ASSIGNED" => negated(rust("Cn")?),
        "CONTROL" | "CNTRL" => rust("Cc")?,
        "HEXDIGIT" | "HEX_DIGIT" | "XDIGIT" => rust_all(&["Nd", "Hex_Digit"])?,
        "IDEOGRAPHIC" => rust("Ideographic")?,
        "JOINCONTROL" | "JOIN_CONTROL" => ranges(&[(0x200C, 0x200D)]),
        "LETTER" => rust("L")?,
        "LOWERCASE" | "LOWER" => {
            if ci {
                case_all()?
            } else {
                rust("Lowercase")?
            }
        }
        "UPPERCASE" | "UPPER" => {
            if ci {
                case_all()?
            } else {
                rust("Uppercase")?
            }
        }
        "TITLECASE" => {
            if ci {
                case_all()?
            } else {
                rust("Lt")?
            }
        }
        "NONCHARACTERCODEPOINT" | "NONCHARACTER_CODE_POINT" => rust("Noncharacter_Code_Point")?,
        "PUNCTUATION" | "PUNCT" => rust("P")?,
        "WHITESPACE" | "WHITE_SPACE" | "SPACE" => rust("White_Space")?,
        "WORD" => word(true),
        "ALNUM" => rust_all(&["Alphabetic", "Nd"])?,
        "BLANK" => blank_unicode()?,
        "GRAPH" => graph_unicode()?,
        "PRINT" => {
            let mut c = union(graph_unicode()?, &blank_unicode()?);
            c.difference(&rust("Cc")?);
            c
        }
        "DIGIT" => rust("Nd")?,
        _ => return None,
    })
}

/// The POSIX names Java re-maps under `UNICODE_CHARACTER_CLASS`.
fn posix_unicode(name: &str, ci: bool) -> Option<ClassUnicode> {
    let upper = name.to_ascii_uppercase();
    match upper.as_str() {
        "ALPHA" | "LOWER" | "UPPER" | "SPACE" | "PUNCT" | "XDIGIT" | "ALNUM" | "CNTRL"
        | "DIGIT" | "BLANK" | "GRAPH" | "PRINT" => unicode_property(&upper, ci),
        _ => None,
    }
}

/// What a `\p{…}` name lookup produced.
pub(crate) enum Lookup {
    Found(ClassUnicode),
    Unknown(String),
    Unsupported(String),
}

/// Java's `CharPredicates.forProperty`: general categories, POSIX (ASCII)
/// classes and `java…` methods. Names are case-sensitive, as in Java.
fn property(name: &str, ci: bool) -> Option<Result<ClassUnicode, String>> {
    let gc = [
        "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Me", "Mc", "Nd", "Nl", "No", "Zs", "Zl", "Zp",
        "Cc", "Cf", "Co", "Cs", "Pd", "Ps", "Pe", "Pc", "Po", "Sm", "Sc", "Sk", "So", "Pi", "Pf",
        "L", "M", "N", "Z", "C", "P", "S",
    ];
    let c = match name {
        "Lu" | "Ll" | "Lt" if ci => case_all_gc(),
        "LC" => rust_all(&["Lu", "Ll", "Lt"]),
        "LD" => rust_all(&["L", "Nd"]),
        "L1" => Some(ranges(&[(0, 0xFF)])),
        "all" => Some(all()),
        "ASCII" => Some(ranges(&[(0, 0x7F)])),
        "Alnum" => Some(alnum_ascii()),
        "Alpha" => Some(ranges(&[(0x41, 0x5A), (0x61, 0x7A)])),
        "Blank" => Some(ranges(&[(0x20, 0x20), (0x09, 0x09)])),
        "Cntrl" => Some(ranges(&[(0, 0x1F), (0x7F, 0x7F)])),
        "Digit" => Some(ranges(&[(0x30, 0x39)])),
        "Graph" => Some(ranges(&[(0x21, 0x7E)])),
        "Lower" => Some(if ci {
            ranges(&[(0x41, 0x5A), (0x61, 0x7A)])
        } else {
            ranges(&[(0x61, 0x7A)])
        }),
        "Upper" => Some(if ci {
            ranges(&[(0x41, 0x5A), (0x61, 0x7A)])
        } else {
            ranges(&[(0x41, 0x5A)])
        }),
        "Print" => Some(ranges(&[(0x20, 0x7E)])),
        "Punct" => Some(ranges(&[
            (0x21, 0x2F),
            (0x3A, 0x40),
            (0x5B, 0x60),
            (0x7B, 0x7E),
        ])),
        "Space" => Some(ranges(&[(0x20, 0x20), (0x09, 0x0D)])),
        "XDigit" => Some(ranges(&[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)])),
        "javaLowerCase" => {
            if ci {
                case_all()
            } else {
                rust("Lowercase")
            }
        }
        "javaUpperCase" => {
            if ci {
                case_all()
            } else {
                rust("Uppercase")
            }
        }
        "javaTitleCase" => {
            if ci {
                case_all()
            } else {
                rust("Lt")
            }
        }
        "javaAlphabetic" => rust("Alphabetic"),
        "javaIdeographic" => rust("Ideographic"),
        "javaDigit" => rust("Nd"),
        "javaDefined" => rust("Cn").map(negated),
        "javaLetter" => rust("L"),
        "javaLetterOrDigit" => rust_all(&["L", "Nd"]),
        "javaSpaceChar" => rust_all(&["Zs", "Zl", "Zp"]),
        "javaWhitespace" => rust_all(&["Zs", "Zl", "Zp"]).map(|mut c| {
            c.difference(&ranges(&[(0xA0, 0xA0), (0x2007, 0x2007), (0x202F, 0x202F)]));
            c.union(&ranges(&[(0x09, 0x0D), (0x1C, 0x1F)]));
            c
        }),
        "javaISOControl" => Some(ranges(&[(0, 0x1F), (0x7F, 0x9F)])),
        "javaMirrored" => rust("Bidi_Mirrored"),
        "javaIdentifierIgnorable" => java_ignorable(),
        "javaJavaIdentifierStart" => rust_all(&["L", "Nl", "Sc", "Pc"]),
        "javaJavaIdentifierPart" => rust_all(&["L", "Sc", "Pc", "Nd", "Nl", "Mc", "Mn"])
            .and_then(|c| Some(union(c, &java_ignorable()?))),
        "javaUnicodeIdentifierStart" => rust("ID_Start"),
        "javaUnicodeIdentifierPart" => {
            rust("ID_Continue").and_then(|c| Some(union(c, &java_ignorable()?)))
        }
        n if gc.contains(&n) => rust(n),
        _ => return None,
    };
    Some(c.ok_or_else(|| format!("character property {{{name}}} is not available")))
}

fn case_all_gc() -> Option<ClassUnicode> {
    rust_all(&["Lu", "Ll", "Lt"])
}

/// Java's `Character.UnicodeScript.forName`: upper-cased full names with
/// underscores, or ISO 15924 aliases.
fn script(name: &str) -> Option<ClassUnicode> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    rust(&format!("Script={name}"))
}

/// Java's `Character.UnicodeBlock.forName`.
fn block(name: &str) -> Option<ClassUnicode> {
    let upper = name.to_uppercase();
    let i = BLOCK_NAMES
        .binary_search_by(|(n, _)| (*n).cmp(upper.as_str()))
        .ok()?;
    let idx = usize::from(BLOCK_NAMES[i].1);
    BLOCK_RANGES.get(idx).map(|r| ranges(r))
}

/// Resolves the name inside `\p{…}` the way Java's `Pattern.family` does.
pub(crate) fn family(name: &str, ci: bool, unicode_classes: bool) -> Lookup {
    let found = |c: Option<ClassUnicode>, err: String| match c {
        Some(c) => Lookup::Found(c),
        None => Lookup::Unknown(err),
    };
    if let Some(eq) = name.find('=') {
        let key = name[..eq].to_lowercase();
        let value = &name[eq + 1..];
        return match key.as_str() {
            "sc" | "script" => found(
                script(value),
                format!("Unknown character script name {{{value}}}"),
            ),
            "blk" | "block" => found(
                block(value),
                format!("Unknown character block name {{{value}}}"),
            ),
            "gc" | "general_category" => match property(value, ci) {
                Some(Ok(c)) => Lookup::Found(c),
                Some(Err(e)) => Lookup::Unsupported(e),
                None => Lookup::Unknown(format!("Unknown character property name {{{value}}}")),
            },
            _ => Lookup::Unknown(format!(
                "Unknown Unicode property {{name={key}, value={value}}}"
            )),
        };
    }
    if let Some(b) = name.strip_prefix("In") {
        return found(block(b), format!("Unknown character block name {{{b}}}"));
    }
    if let Some(short) = name.strip_prefix("Is") {
        if let Some(c) = unicode_property(&short.to_ascii_uppercase(), ci) {
            return Lookup::Found(c);
        }
        match property(short, ci) {
            Some(Ok(c)) => return Lookup::Found(c),
            Some(Err(e)) => return Lookup::Unsupported(e),
            None => {}
        }
        return found(
            script(short),
            format!("Unknown character property name {{{name}}}"),
        );
    }
    if unicode_classes && let Some(c) = posix_unicode(name, ci) {
        return Lookup::Found(c);
    }
    match property(name, ci) {
        Some(Ok(c)) => Lookup::Found(c),
        Some(Err(e)) => Lookup::Unsupported(e),
        None => Lookup::Unknown(format!("Unknown character property name {{{name}}}")),
    }
}

/// Java's ASCII-only case folding: adds the other case of every ASCII letter.
pub(crate) fn fold_ascii(c: &mut ClassUnicode) {
    let mut extra = ClassUnicode::empty();
    for r in c.ranges() {
        let (lo, hi) = (r.start() as u32, r.end() as u32);
        for (a, b, delta) in [(0x41u32, 0x5Au32, 0x20i32), (0x61, 0x7A, -0x20)] {
            let (s, e) = (lo.max(a), hi.min(b));
            if s <= e {
                push_range(
                    &mut extra,
                    s.wrapping_add_signed(delta),
                    e.wrapping_add_signed(delta),
                );
            }
        }
    }
    c.union(&extra);
}

/// Java's `Character.toUpperCase(int)` (simple mapping), approximated with
/// Rust's full mapping when that is a single character.
pub(crate) fn simple_upper(c: u32) -> u32 {
    let Some(ch) = char::from_u32(c) else {
        return c;
    };
    let mut it = ch.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u as u32,
        // The full mapping is several characters; the simple mapping, when
        // there is one, is the titlecase member of the folding orbit (the
        // Greek iota-subscript letters). `ß` has none and stays itself.
        _ => {
            let mut orbit = single(c);
            orbit.case_fold_simple();
            let lt = titlecase_letters();
            orbit
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .find(|x| {
                    *x != ch
                        && lt
                            .ranges()
                            .iter()
                            .any(|r| (r.start()..=r.end()).contains(x))
                })
                .map_or(c, |x| x as u32)
        }
    }
}

fn titlecase_letters() -> &'static ClassUnicode {
    static LT: std::sync::OnceLock<ClassUnicode> = std::sync::OnceLock::new();
    LT.get_or_init(|| rust("Lt").unwrap_or_else(ClassUnicode::empty))
}

/// Java's `Character.toLowerCase(int)` (simple mapping).
pub(crate) fn simple_lower(c: u32) -> u32 {
    if c == 0x130 {
        return 0x69; // İ: the simple mapping is 'i', the full one "i̇"
    }
    let Some(ch) = char::from_u32(c) else {
        return c;
    };
    let mut it = ch.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l as u32,
        _ => c,
    }
}

/// Characters that could be case variants of something in `set`: the
/// simple case folding orbit, which is what we filter with Java's rules.
fn case_candidates(set: &ClassUnicode) -> Vec<u32> {
    let mut folded = set.clone();
    folded.case_fold_simple();
    // Characters Java relates by toUpperCase/toLowerCase but simple case
    // folding does not (dotted and dotless i, Greek symbol variants, ...).
    folded.union(&ranges(&[
        (0x130, 0x131),
        (0x345, 0x345),
        (0x3C2, 0x3C2),
        (0x3D0, 0x3D1),
        (0x3D5, 0x3D6),
        (0x3F0, 0x3F1),
        (0x3F5, 0x3F5),
        (0x1E9B, 0x1E9B),
        (0x1FBE, 0x1FBE),
    ]));
    folded.difference(set);
    folded
        .ranges()
        .iter()
        .flat_map(|r| (r.start() as u32)..=(r.end() as u32))
        .collect()
}

/// Java's `single(ch)` under `CASE_INSENSITIVE | UNICODE_CASE`: a character
/// whose upper case lower-cases back to itself is matched exactly;
/// otherwise every `x` with `toLowerCase(toUpperCase(x)) == lower` matches.
pub(crate) fn java_single_unicode_ci(c: u32) -> ClassUnicode {
    let mut set = single(c);
    let upper = simple_upper(c);
    let lower = simple_lower(upper);
    if upper == lower {
        return set;
    }
    set.union(&single(lower));
    for x in case_candidates(&set) {
        if simple_lower(simple_upper(x)) == lower {
            set.union(&single(x));
        }
    }
    set
}

/// Java's `CIRangeU`: `x` matches when `x`, `toUpperCase(x)` or
/// `toLowerCase(toUpperCase(x))` is in the range.
pub(crate) fn java_range_unicode_ci(lo: u32, hi: u32) -> ClassUnicode {
    let mut set = ranges(&[(lo, hi)]);
    let inr = |x: u32| (lo..=hi).contains(&x);
    for x in case_candidates(&set) {
        let up = simple_upper(x);
        if inr(up) || inr(simple_lower(up)) {
            set.union(&single(x));
        }
    }
    set
}
