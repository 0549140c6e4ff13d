//! Property tests: the walker agrees with jsonpath-rust; parsing and querying never panic.

use apigw_jsonpath::{JsonPath, QueryResult};
use proptest::prelude::*;
use serde_json::{Map, Value};

const NAMES: &[&str] = &["a", "b", "c-d", "k 1", "é", "0", ""];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::String),
    ]
}

fn json_doc() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_owned(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

#[derive(Debug, Clone)]
enum Seg {
    Name(&'static str, u8),
    Index(i32),
}

fn seg() -> impl Strategy<Value = Seg> {
    prop_oneof![
        (prop::sample::select(NAMES), 0u8..3).prop_map(|(n, style)| Seg::Name(n, style)),
        (-7i32..7).prop_map(Seg::Index),
    ]
}

/// The path in Jayway syntax (several spellings) and in RFC 9535 syntax.
fn spell(segs: &[Seg]) -> (String, String) {
    let mut jayway = String::from("$");
    let mut rfc = String::from("$");
    for s in segs {
        match s {
            Seg::Name(n, style) => {
                let dot_ok = !n.is_empty() && !n.contains(' ');
                match style {
                    0 if dot_ok => jayway.push_str(&format!(".{n}")),
                    1 => jayway.push_str(&format!("[\"{n}\"]")),
                    _ => jayway.push_str(&format!("['{n}']")),
                }
                rfc.push_str(&format!("['{n}']"));
            }
            Seg::Index(i) => {
                jayway.push_str(&format!("[{i}]"));
                rfc.push_str(&format!("[{i}]"));
            }
        }
    }
    (jayway, rfc)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn walker_agrees_with_jsonpath_rust(doc in json_doc(), segs in prop::collection::vec(seg(), 0..5)) {
        let (jayway, rfc) = spell(&segs);
        let path = JsonPath::parse(&jayway).unwrap();
        prop_assert!(path.is_singular());
        let ours = path.get(&doc);
        let theirs = jsonpath_rust::query::js_path_vals(&rfc, &doc).unwrap();
        prop_assert!(theirs.len() <= 1);
        match (ours, theirs.first()) {
            (Some(a), Some(b)) => prop_assert!(std::ptr::eq(a, *b), "{jayway}: different nodes"),
            (None, None) => {}
            (a, b) => prop_assert!(false, "{jayway} / {rfc}: ours {a:?}, jsonpath-rust {b:?}"),
        }
        // `query` and `get` agree.
        match path.query(&doc) {
            QueryResult::One(v) => prop_assert!(ours.is_some_and(|o| std::ptr::eq(o, v))),
            QueryResult::Nothing => prop_assert!(ours.is_none()),
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn body_suffix_is_dollar_dot_prefix(doc in json_doc(), segs in prop::collection::vec(seg(), 1..5)) {
        let (jayway, _) = spell(&segs);
        // Drop the leading "$" and, for a dot name, the '.' too.
        let suffix = jayway[1..].strip_prefix('.').unwrap_or(&jayway[1..]).to_owned();
        let a = JsonPath::parse(&jayway).unwrap();
        let b = JsonPath::parse_body_suffix(&suffix).unwrap();
        let c = JsonPath::parse(&suffix).unwrap();
        prop_assert_eq!(a.get(&doc), b.get(&doc));
        prop_assert_eq!(a.get(&doc), c.get(&doc));
    }

    #[test]
    fn indefinite_paths_match_jsonpath_rust_on_their_translation(
        doc in json_doc(),
        path in prop::sample::select(&[
            "$.*", "$..a", "$..*", "$.a[*]", "$[*].b", "$.a[0,1]", "$[1:3]", "$[-2:]", "$[:2]",
            "$..[0]", "$..b[*]", "$['a','b'].a", "$.a[1:]", "$.*.*",
        ][..]),
    ) {
        let p = JsonPath::parse(path).unwrap();
        let rfc = p.rfc9535().unwrap();
        let theirs = jsonpath_rust::query::js_path_vals(rfc, &doc).unwrap();
        match p.query(&doc) {
            QueryResult::Many(ours) => {
                prop_assert_eq!(ours.len(), theirs.len());
                for (a, b) in ours.iter().zip(&theirs) {
                    prop_assert!(std::ptr::eq(*a, *b));
                }
            }
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    /// Filters on arrays: the staged evaluation (Jayway semantics) agrees with running the
    /// whole translation on jsonpath-rust (they differ only for filters on objects).
    #[test]
    fn filters_on_arrays_match_jsonpath_rust(
        items in prop::collection::vec(json_doc(), 0..8),
        path in prop::sample::select(&[
            "$.a[?(@.b)]", "$.a[?(@.a == 1)]", "$.a[?(@.a > 0 || @.b)]", "$.a[?(@ == 'a')]",
            "$.a[?(!@.a)]", "$.a[?(@.a != null && @.b)].b", "$.a[?(@.b)]..a", "$.a[?(@ >= 1)]",
            "$.a[?(@[0] == 1)]", "$.a[?(@.a == '1')]",
        ][..]),
    ) {
        let mut m = Map::new();
        m.insert("a".to_owned(), Value::Array(items));
        let doc = Value::Object(m);
        let p = JsonPath::parse(path).unwrap();
        let theirs = jsonpath_rust::query::js_path_vals(p.rfc9535().unwrap(), &doc).unwrap();
        let ours = p.query(&doc);
        prop_assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            prop_assert!(std::ptr::eq(a, *b));
        }
    }

    /// Random paths built from every supported step: querying random documents never
    /// panics, and the result shape matches `is_definite`.
    #[test]
    fn random_paths_on_random_documents(
        doc in json_doc(),
        steps in prop::collection::vec(prop::sample::select(&[
            ".a", ".b", "['c-d']", "[0]", "[-1]", "[*]", ".*", "..a", "..*", "[0,1]", "['a','b']",
            "[1:]", "[:2]", "[-2:]", "[?(@.a)]", "[?(@.b == 1)]", "[?(@ > 0 || @.a == 'b')]",
            "[?(!@.a && @.b != null)]", "[?(@.a === '1')]", ".length()",
        ][..]), 0..5),
    ) {
        let src = format!("${}", steps.concat());
        let Ok(p) = JsonPath::parse(&src) else {
            return Ok(());
        };
        let r = p.try_query(&doc).unwrap();
        match r {
            QueryResult::Nothing | QueryResult::One(_) | QueryResult::Computed(_) => {
                prop_assert!(p.is_definite(), "{src}")
            }
            QueryResult::Many(_) => prop_assert!(!p.is_definite(), "{src}"),
        }
        let _ = p.get(&doc);
        let _ = p.get_parsing_json_strings(&doc);
    }

    #[test]
    fn parse_never_panics_on_path_like_text(src in "[$@.\\[\\]()'\"*?,:0-9abxé =!<>&|\\\\/{}-]{0,40}") {
        let doc = serde_json::json!({"a": [1, {"b": 2}], "x": {"a": "s"}});
        if let Ok(p) = JsonPath::parse(&src) {
            let _ = p.query(&doc);
            let _ = p.get(&doc);
        }
        if let Ok(p) = JsonPath::parse_body_suffix(&src) {
            let _ = p.query(&doc);
        }
    }

    #[test]
    fn parse_never_panics_on_any_text(src in any::<String>()) {
        let _ = JsonPath::parse(&src);
        let _ = JsonPath::parse_body_suffix(&src);
    }

    #[test]
    fn error_columns_point_into_the_text(src in "[$@.\\[\\]()'\"*?,:0-9aé =!<>&|-]{0,30}") {
        if let Err(e) = JsonPath::parse(&src) {
            prop_assert!(e.offset() <= src.len());
            prop_assert!(src.is_char_boundary(e.offset()));
            prop_assert_eq!(src[..e.offset()].chars().count() + 1, e.column());
            let alt = format!("{e:#}");
            prop_assert_eq!(alt.lines().count(), 3);
        }
    }
}
