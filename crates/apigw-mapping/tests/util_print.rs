//! `$util.escapeJavaScript($r.x)` and `$util.urlEncode($r.x)` on a body read with
//! `$input.path('$')` are printed straight from the body's text (`Object::write_call_str`);
//! they must print exactly what the general path prints for the same string (the argument
//! made a string value first, `"$r.x"`), for every kind of character.

mod common;

use apigw_mapping::{RequestContext, util};

/// Strings as JSON writes them (`\"` and `\\` escaped: those take the general path on both
/// sides) and as decoded.
const STRINGS: &[&str] = &[
    "rex",
    "",
    "O'Neil",
    "a/b",
    "tab\there",
    "del\u{7f}",
    "é",
    "€ euro",
    "😀 emoji",
    "\u{100000} plane 16",
    "\u{10FFFF}",
    "mixed 'é' / € \u{1}",
    "space and+plus&amp=",
    "~*._-",
];

fn apply(template: &str, body: &str) -> String {
    let (compiled, backend) = (
        common::templated(template),
        common::backend(body.to_owned()),
    );
    let response = compiled.apply(&backend, &RequestContext::default());
    assert_eq!(response.status, 200, "{template}: {:?}", response.failure);
    String::from_utf8(response.body.to_vec()).expect("UTF-8")
}

#[test]
fn printed_util_calls_match_the_general_path() {
    for s in STRINGS {
        let body = serde_json::json!({ "x": s, "n": 7 }).to_string();
        for f in ["escapeJavaScript", "urlEncode"] {
            let template = format!(
                "#set($r = $input.path('$'))$util.{f}($r.x)|$util.{f}(\"$r.x\")|$util.{f}($r.n)"
            );
            let out = apply(&template, &body);
            let (direct, rest) = out.split_once('|').expect("three parts");
            let (general, number) = rest.split_once('|').expect("three parts");
            assert_eq!(direct, general, "{f}({s:?})");
            let expected = match f {
                "escapeJavaScript" => util::escape_javascript(s),
                _ => util::url_encode(s),
            };
            // (U+10F800–U+10FFFF stand for lone surrogates inside the engine and print as
            // `?`: COMPATIBILITY.md.)
            if !s.chars().any(|c| c >= '\u{10F800}') {
                assert_eq!(direct, expected, "{f}({s:?})");
            }
            assert_eq!(number, "7", "{f} of a number");
        }
    }
}

#[test]
fn escape_javascript_into_appends() {
    for s in STRINGS {
        let mut out = String::from("x");
        util::escape_javascript_into(s, &mut out);
        assert_eq!(out, format!("x{}", util::escape_javascript(s)));
        let mut out = String::from("y");
        util::url_encode_into(s, &mut out);
        assert_eq!(out, format!("y{}", util::url_encode(s)));
    }
    assert_eq!(
        util::escape_javascript("a'b\"c\\d/e\u{7f}é"),
        "a\\'b\\\"c\\\\d\\/e\u{7f}\\u00E9"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Any string (any characters but the engine's stand-ins for lone surrogates,
    /// U+10F800–U+10FFFF), member of a body read with `$input.path('$')`: the printed call
    /// writes what the general path prints, and what the pure function gives.
    #[test]
    fn printed_util_calls_match_for_any_string(s in "[\\PC\\u{0}-\\u{1f}'\"\\\\/]{0,24}") {
        proptest::prop_assume!(!s.chars().any(|c| c >= '\u{10F800}'));
        let body = serde_json::json!({ "x": s }).to_string();
        for (f, pure) in [
            ("escapeJavaScript", util::escape_javascript(&s)),
            ("urlEncode", util::url_encode(&s)),
        ] {
            let out = apply(
                &format!("#set($r = $input.path('$'))$util.{f}($r.x)\u{1}$util.{f}(\"$r.x\")"),
                &body,
            );
            // (Both functions escape U+0001: the separator cannot come from `s`.)
            let (direct, general) = out.split_once('\u{1}').expect("two parts");
            proptest::prop_assert_eq!(direct, general);
            proptest::prop_assert_eq!(direct, pure.as_str());
        }
    }
}
