//! The direct JSON reader for `$input.path('$')`, the commonest read of the body:
//! [`apigw_vtl::Value::from_json`] validates the body in one pass into a tape and the template
//! reads objects and arrays from there, materializing only the containers it uses other than
//! by member, index or loop (arrays then become the json-smart list of [`json_array`]).
//!
//! It is deliberately partial: whatever it does not handle exactly as the `serde_json` path
//! does (invalid JSON, numbers beyond the exactly representable range, lone surrogates, deep
//! nesting) makes it answer `None`, and the caller falls back to the `serde_json` reader, which
//! then produces the same value or the same error as before. So `Some(v)` is always the value
//! the `serde_json` path would have built.

use apigw_jsonpath::{JsonPath, PathStep};
use apigw_vtl::{JsonStep, JsonText};

/// Calls `walk` with the steps of a singular path (names and single indexes) for walking a
/// tape, laid out on the stack for paths of up to [`STACK_STEPS`] steps (no allocation);
/// `None` for other paths.
pub(crate) fn with_tape_steps<R>(
    path: &JsonPath,
    walk: impl FnOnce(&[JsonStep<'_>]) -> R,
) -> Option<R> {
    fn to_step(s: PathStep<'_>) -> JsonStep<'_> {
        match s {
            PathStep::Key(k) => JsonStep::Key(k),
            PathStep::Index(i) => JsonStep::Index(i),
        }
    }
    let steps = path.steps()?;
    let n = steps.len();
    if n <= STACK_STEPS {
        let mut laid = [JsonStep::Index(0); STACK_STEPS];
        for (slot, step) in laid.iter_mut().zip(steps) {
            *slot = to_step(step);
        }
        Some(walk(&laid[..n]))
    } else {
        let laid: Vec<JsonStep<'_>> = steps.map(to_step).collect();
        Some(walk(&laid))
    }
}

/// The longest path [`with_tape_steps`] lays out without allocating.
const STACK_STEPS: usize = 8;

/// Reads `body` (one JSON value with optional surrounding whitespace) onto a tape, or `None`
/// when the fallback must decide.
pub(crate) fn read(body: &[u8]) -> Option<JsonText> {
    if body.trim_ascii().is_empty() {
        return None;
    }
    JsonText::parse(body)
}

#[cfg(test)]
mod tests {
    use apigw_vtl::Value;

    /// Whether `text` holds an integer literal beyond the `long` range, which the tape reads
    /// exactly (json-smart's `BigInteger`) and the `serde_json` path cannot (it makes a
    /// double of it).
    fn has_big_integer(text: &str) -> bool {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let before = start.checked_sub(1).map(|p| b[p]);
                let after = b.get(i).copied();
                if i - start >= 19
                    && !matches!(before, Some(b'.' | b'e' | b'E' | b'+'))
                    && !matches!(after, Some(b'.' | b'e' | b'E'))
                {
                    return true;
                }
            } else {
                i += 1;
            }
        }
        false
    }

    #[test]
    fn integers_beyond_long_are_big_integers() {
        for (text, printed, class) in [
            (
                "123456789012345678901234",
                "123456789012345678901234",
                "java.math.BigInteger",
            ),
            (
                "-9223372036854775809",
                "-9223372036854775809",
                "java.math.BigInteger",
            ),
            (
                "9223372036854775807",
                "9223372036854775807",
                "java.lang.Long",
            ),
            (
                "-9223372036854775808",
                "-9223372036854775808",
                "java.lang.Long",
            ),
            (
                "[99999999999999999999999999999999999999]",
                "[99999999999999999999999999999999999999]",
                "java.lang.Object",
            ),
        ] {
            let v = read(text.as_bytes()).unwrap();
            assert_eq!(v.to_string(), printed, "{text}");
            assert!(
                format!("{v:?}").starts_with(class) || class == "java.lang.Object",
                "{text}: {v:?}"
            );
        }
    }

    /// The reader as `$input.path('$')` uses it.
    fn read(text: &[u8]) -> Option<Value> {
        super::read(text).map(|t| t.value(crate::render::json_array))
    }

    /// The longest string the reader shares through its per-thread cache.
    const MAX_INTERNED_LEN: usize = 24;

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
            "123456789012345678901234567890123456789",
            "12345678901234567890.5",
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

    /// Templates that use a document every way a template can: members, indexes (in and
    /// out of range, negative), loops, printing, methods, mutation through one alias seen
    /// through another, equality, keys and entries, type checks.
    const USES: &[&str] = &[
        "$d",
        "$d.a $d.b $d.missing $d.a.b $d[0] $d[1] $d[-1] $d[9] $d['a'] $d.class",
        "#foreach($x in $d)[$x]#end",
        "#foreach($x in $d)#foreach($y in $x)<$y>#end#end",
        "$d.size() $d.isEmpty() $d.keySet() $d.values() $d.entrySet() $d.toString() $d.hashCode()",
        "#set($e = $d)$e.put('a', 1)$d.a $d",
        "#set($d.z = 5)$d.z $d #set($d[0] = 7)$d[0] $d",
        "$d.add('x') $d $d.size() #foreach($x in $d)$x,#end",
        "#set($l = [])$l.add($d)$l $l.get(0).equals($d) #set($m = {})$m.put('k', $d)$m",
        "$d.equals($d) #if($d == $d)same#end #if($d)true#end $d.getClass()",
        "#foreach($x in $d)$x.a $x[0] $x.get(0) $x.get('a')#end",
        "$d.get('a') $d.get(0) $d.containsKey('a') $d.contains(1) $d.indexOf(1) $d.remove('a') $d",
        "#set($x = $d.a)#set($y = $d.a)$x.equals($y) #set($dummy = $x.put('q', 1))$d.a",
        "$util.escapeJavaScript($d) $input.json('$')",
    ];

    fn render_with(template: &apigw_vtl::Template, d: Value) -> String {
        let mut ctx = apigw_vtl::Context::new();
        ctx.insert("d", d);
        ctx.insert("util", crate::util_object());
        let mut out = String::new();
        match template.render(&ctx, &mut out) {
            Ok(()) => out,
            Err(e) => format!("{out}<error {}>", e.detail()),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 600,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Whatever a template does with a lazily read document, it sees what it would see
        /// with the document built in full by the `serde_json` path.
        #[test]
        fn templates_cannot_tell_lazy_from_built(text in json_text(), which in 0..USES.len()) {
            if has_big_integer(&text) {
                return Ok(());
            }
            let Some(lazy) = read(text.as_bytes()) else { return Ok(()); };
            let built = crate::render::to_vtl(&serde_json::from_str(&text).unwrap());
            let options = apigw_vtl::Options::default();
            let template = apigw_vtl::Template::compile(USES[which], &options).unwrap();
            proptest::prop_assert_eq!(
                render_with(&template, lazy),
                render_with(&template, built),
                "{} over {}", USES[which], text
            );
        }
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
            if has_big_integer(&text) {
                return Ok(());
            }
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
            match (fast(&text), parsed) {
                (Some(f), Ok(_)) => proptest::prop_assert_eq!(f, slow(&text), "{}", text),
                (Some(f), Err(e)) => proptest::prop_assert!(false, "{text:?} read as {f} but serde_json says {e}"),
                (None, _) => {}
            }
        }
    }
}
