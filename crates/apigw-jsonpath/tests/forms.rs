//! Results and order for every accepted form.

use apigw_jsonpath::{ErrorKind, JsonPath, QueryResult};
use serde_json::{Value, json};

fn doc() -> Value {
    json!({
        "id": 7,
        "name": "top",
        "a": {"b": [10, 20, 30, 40, 50], "c-d": 1, "x": {"x": "inner"}},
        "items": [
            {"id": 1, "n": "q", "x": 1, "tags": ["t1"]},
            {"id": 2, "n": "r", "x": 3},
            {"id": 3, "x": 5, "flag": false},
            {"id": 4, "n": "q", "x": null}
        ],
        "k with space": {"v": true},
        "nul": null,
        "$": "dollar",
        "x": "root-x"
    })
}

/// Runs `path` and returns the JSON the caller would see (Jayway `read`).
fn run(path: &str) -> Option<Value> {
    let d = doc();
    let p = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e:#}"));
    p.query(&d).to_value()
}

fn many(path: &str) -> Value {
    let d = doc();
    let p = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e:#}"));
    assert!(!p.is_definite(), "{path} should be indefinite");
    match p.query(&d) {
        QueryResult::Many(v) => Value::Array(v.into_iter().cloned().collect()),
        other => panic!("{path}: expected Many, got {other:?}"),
    }
}

fn one(path: &str) -> Option<Value> {
    let d = doc();
    let p = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e:#}"));
    assert!(p.is_definite(), "{path} should be definite");
    match p.query(&d) {
        QueryResult::One(v) => Some(v.clone()),
        QueryResult::Computed(v) => Some(v),
        QueryResult::Nothing => None,
        other @ QueryResult::Many(_) => panic!("{path}: expected a definite result, got {other:?}"),
    }
}

#[test]
fn root() {
    assert_eq!(one("$"), Some(doc()));
    assert_eq!(one("  $  "), Some(doc()));
    assert_eq!(one("@"), Some(doc()));
}

#[test]
fn dot_and_bracket_names() {
    assert_eq!(one("$.id"), Some(json!(7)));
    assert_eq!(one("$['id']"), Some(json!(7)));
    assert_eq!(one("$[\"id\"]"), Some(json!(7)));
    assert_eq!(one("$['a'][\"b\"][1]"), Some(json!(20)));
    assert_eq!(one("$['k with space'].v"), Some(json!(true)));
    assert_eq!(one("$.nul"), Some(Value::Null));
    assert_eq!(one("$.missing"), None);
    assert_eq!(one("$.missing.deeper"), None);
    assert_eq!(one("$.id.deeper"), None);
    assert_eq!(one("$.a.b.c"), None);
}

#[test]
fn hyphen_and_other_dot_name_chars() {
    assert_eq!(one("$.a.c-d"), Some(json!(1)));
    let p = JsonPath::parse("$.a:b").unwrap();
    assert_eq!(p.get(&json!({"a:b": 5})), Some(&json!(5)));
    let p = JsonPath::parse("$.a]").unwrap();
    assert_eq!(p.get(&json!({"a]": 6})), Some(&json!(6)));
    // A name directly after a bracket token continues the path (Jayway).
    assert_eq!(one("$['a']x.x"), Some(json!("inner")));
}

#[test]
fn implicit_root() {
    assert_eq!(one("a.b[0]"), Some(json!(10)));
    assert_eq!(one("id"), Some(json!(7)));
    assert_eq!(one("['id']"), Some(json!(7)));
    assert_eq!(one("[\"a\"].b[-1]"), Some(json!(50)));
    // ".x" becomes "$..x".
    assert_eq!(
        many(".x"),
        json!(["root-x", {"x": "inner"}, "inner", 1, 3, 5, null])
    );
    // `$.[0]` style.
    assert_eq!(one("$.['id']"), Some(json!(7)));
    assert_eq!(one("$.a.[\"b\"].[2]"), Some(json!(30)));
}

#[test]
fn body_suffix() {
    let d = doc();
    let p = JsonPath::parse_body_suffix("items[1].n").unwrap();
    assert_eq!(p.get(&d), Some(&json!("r")));
    let p = JsonPath::parse_body_suffix("$").unwrap();
    assert_eq!(p.get(&d), Some(&json!("dollar")));
    let p = JsonPath::parse_body_suffix("a.c-d").unwrap();
    assert_eq!(p.get(&d), Some(&json!(1)));
    let e = JsonPath::parse_body_suffix("").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Empty);
}

#[test]
fn indexes() {
    assert_eq!(one("$.a.b[0]"), Some(json!(10)));
    assert_eq!(one("$.a.b[4]"), Some(json!(50)));
    assert_eq!(one("$.a.b[5]"), None);
    assert_eq!(one("$.a.b[-1]"), Some(json!(50)));
    assert_eq!(one("$.a.b[-5]"), Some(json!(10)));
    assert_eq!(one("$.a.b[-6]"), None);
    assert_eq!(one("$.a.b[ 2 ]"), Some(json!(30)));
    assert_eq!(one("$.a.b[004]"), Some(json!(50)));
    assert_eq!(one("$.a[0]"), None);
    assert_eq!(one("$.items[0].id"), Some(json!(1)));
}

#[test]
fn unions() {
    assert_eq!(many("$.a.b[0,1]"), json!([10, 20]));
    assert_eq!(many("$.a.b[3, 1 ,9,-1]"), json!([40, 20, 50]));
    assert_eq!(many("$.a.b[1,1]"), json!([20, 20]));
    // Not at the end: Jayway iterates the names (missing ones are skipped).
    assert_eq!(many("$.a['c-d','missing','b'][0]"), json!([10]));
    assert_eq!(many("$['id','name'].x"), json!([]));
}

#[test]
fn unions_after_indefinite_steps_are_node_by_node() {
    let d = json!({"m": [[1, 2, 3], [4, 5, 6]], "o": [{"a": 1, "b": 2, "c": {"z": 0}}, {"a": 3, "b": 4}]});
    let run = |p: &str| JsonPath::parse(p).unwrap().query(&d).to_value().unwrap();
    // Jayway: for each row, its [0] then its [2] (jsonpath-rust alone: 1, 4, 3, 6).
    assert_eq!(run("$.m[*][0,2]"), json!([1, 3, 4, 6]));
    assert_eq!(run("$.m[*][-1,0]"), json!([3, 1, 6, 4]));
    assert_eq!(run("$.m[?(@[0] > 0)][2,1]"), json!([3, 2, 6, 5]));
    // Names that are not last iterate, node by node.
    let d = json!({"o": [{"a": {"v": 1}, "b": {"v": 2}}, {"a": {"v": 3}, "b": {"v": 4}}]});
    let p = JsonPath::parse("$.o[*]['b','a'].v").unwrap();
    assert_eq!(p.query(&d).to_value(), Some(json!([2, 1, 4, 3])));
    // jsonpath-rust on the same RFC 9535 text orders by selector.
    let raw = jsonpath_rust::query::js_path_vals(p.rfc9535().unwrap(), &d).unwrap();
    assert_eq!(raw, [&json!(2), &json!(4), &json!(1), &json!(3)]);
    // With a filter that uses `$`, staging is impossible: rejected.
    let e = JsonPath::parse("$.m[?(@[0] > $.n)][0,1]").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn merge_of_names_is_one_object() {
    assert_eq!(
        run("$['name','id','missing']"),
        Some(json!({"name": "top", "id": 7}))
    );
    assert_eq!(
        run("$.items[0]['n','id']"),
        Some(json!({"n": "q", "id": 1}))
    );
    // Order is the listed order.
    let Some(Value::Object(m)) = run("$['name','id']") else {
        panic!()
    };
    assert_eq!(m.keys().collect::<Vec<_>>(), ["name", "id"]);
    assert_eq!(one("$.id['a','b']"), None);
}

#[test]
fn slices() {
    assert_eq!(many("$.a.b[1:3]"), json!([20, 30]));
    assert_eq!(many("$.a.b[1:]"), json!([20, 30, 40, 50]));
    assert_eq!(many("$.a.b[:2]"), json!([10, 20]));
    assert_eq!(many("$.a.b[-2:]"), json!([40, 50]));
    assert_eq!(many("$.a.b[:-2]"), json!([10, 20, 30]));
    assert_eq!(many("$.a.b[-9:]"), json!([10, 20, 30, 40, 50]));
    assert_eq!(many("$.a.b[3:1]"), json!([]));
    assert_eq!(many("$.a.b[2:99]"), json!([30, 40, 50]));
    assert_eq!(many("$.a.b[9:]"), json!([]));
    // Jayway ignores a step.
    assert_eq!(many("$.a.b[1:4:2]"), json!([20, 30, 40]));
    assert_eq!(many("$.id[1:]"), json!([]));
}

#[test]
fn wildcards() {
    assert_eq!(many("$.a.b[*]"), json!([10, 20, 30, 40, 50]));
    assert_eq!(many("$.a.b[ * ]"), json!([10, 20, 30, 40, 50]));
    assert_eq!(many("$.items[*].id"), json!([1, 2, 3, 4]));
    assert_eq!(many("$.items[*].n"), json!(["q", "r", "q"]));
    assert_eq!(
        many("$.a.*"),
        json!([[10, 20, 30, 40, 50], 1, {"x": "inner"}])
    );
    assert_eq!(many("$.a.x.*"), json!(["inner"]));
    assert_eq!(many("$.id.*"), json!([]));
    assert_eq!(many("$.*.v"), json!([true]));
    // `$.*x` is `$.*.x` in Jayway.
    assert_eq!(many("$.*x"), json!([{"x": "inner"}]));
}

#[test]
fn recursive_descent_in_document_order() {
    // Pre-order: a node's own member before its descendants' (Jayway's ScanPathToken).
    assert_eq!(
        many("$..x"),
        json!(["root-x", {"x": "inner"}, "inner", 1, 3, 5, null])
    );
    assert_eq!(many("$..id"), json!([7, 1, 2, 3, 4]));
    assert_eq!(many("$..['id']"), json!([7, 1, 2, 3, 4]));
    assert_eq!(many("$.items..n"), json!(["q", "r", "q"]));
    assert_eq!(many("$..tags[0]"), json!(["t1"]));
    assert_eq!(many("$..b[-1]"), json!([50]));
    assert_eq!(many("$..missing"), json!([]));
    assert_eq!(
        many("$.a..*"),
        json!([[10, 20, 30, 40, 50], 1, {"x": "inner"}, 10, 20, 30, 40, 50, "inner"])
    );
}

#[test]
fn filters() {
    assert_eq!(many("$.items[?(@.x > 2)].id"), json!([2, 3]));
    assert_eq!(many("$.items[?(@.x >= 3)].id"), json!([2, 3]));
    assert_eq!(many("$.items[?(@.x < 3)].id"), json!([1]));
    assert_eq!(many("$.items[?(@.x <= 3)].id"), json!([1, 2]));
    assert_eq!(many("$.items[?(@.n == 'q')].id"), json!([1, 4]));
    assert_eq!(many("$.items[?(@.n == \"r\")].id"), json!([2]));
    assert_eq!(many("$.items[?(@.n != 'q')].id"), json!([2, 3]));
    assert_eq!(many("$.items[?(@.n)].id"), json!([1, 2, 4]));
    assert_eq!(many("$.items[?(@.flag)].id"), json!([3]));
    assert_eq!(many("$.items[?(!@.n)].id"), json!([3]));
    assert_eq!(many("$.items[?(@.x == null)].id"), json!([4]));
    assert_eq!(many("$.items[?(@.flag == false)].id"), json!([3]));
    assert_eq!(many("$.items[?(@.n == 'q' && @.x == 1)].id"), json!([1]));
    assert_eq!(many("$.items[?(@.n == 'r' || @.x == 5)].id"), json!([2, 3]));
    assert_eq!(
        many("$.items[?((@.n == 'r' || @.x == 5) && @.id > 2)].id"),
        json!([3])
    );
    assert_eq!(many("$.items[?(@.x > 2.5)].id"), json!([2, 3]));
    assert_eq!(many("$.items[?(@.x == 1.0)].id"), json!([1]));
    assert_eq!(many("$.items[?(@.x > -1)].id"), json!([1, 2, 3]));
    assert_eq!(many("$.items[?(@['n'] == 'q')]['id']"), json!([1, 4]));
    assert_eq!(many("$.items[?(@.tags[0] == 't1')].id"), json!([1]));
    assert_eq!(many("$.items[?(@.id == $.id)]"), json!([]));
    assert_eq!(many("$.items[?(@.x < $.items[2].x)].id"), json!([1, 2]));
    assert_eq!(many("$.items[?( @.x>2 )].id"), json!([2, 3]));
    assert_eq!(many("$.a.b[?(@ > 25)]"), json!([30, 40, 50]));
    assert_eq!(many("$..items[?(@.x > 4)].id"), json!([3]));
}

#[test]
fn filter_equality_converts_numbers_and_strings_like_jayway() {
    let d = json!({"xs": [
        {"v": 1}, {"v": "1"}, {"v": 1.5}, {"v": "1.5"}, {"v": "1.50"}, {"v": "01"},
        {"v": true}, {"v": "true"}, {"v": null}, {"v": 1.50}
    ]});
    let ids = |path: &str| -> Vec<usize> {
        let p = JsonPath::parse(path).unwrap();
        let all = d["xs"].as_array().unwrap();
        p.query(&d)
            .iter()
            .map(|m| all.iter().position(|x| std::ptr::eq(x, m)).unwrap())
            .collect()
    };
    // number literal: numbers numerically, strings equal to BigDecimal.toString()
    assert_eq!(ids("$.xs[?(@.v == 1)]"), [0, 1]);
    assert_eq!(ids("$.xs[?(@.v == 1.50)]"), [2, 4, 9]);
    assert_eq!(ids("$.xs[?(1 == @.v)]"), [0, 1]);
    // string literal: strings exactly, numbers equal to its BigDecimal value
    assert_eq!(ids("$.xs[?(@.v == '1')]"), [0, 1]);
    assert_eq!(ids("$.xs[?(@.v == '1.5')]"), [2, 3, 9]);
    assert_eq!(ids("$.xs[?(@.v == '01')]"), [0, 5]);
    assert_eq!(ids("$.xs[?(@.v == 'true')]"), [7]);
    assert_eq!(ids("$.xs[?(@.v == true)]"), [6]);
    assert_eq!(ids("$.xs[?(@.v != 1)]"), [2, 3, 4, 5, 6, 7, 8, 9]);
    // No conversion for ordering comparisons.
    assert_eq!(ids("$.xs[?(@.v >= 1)]"), [0, 2, 9]);
    assert_eq!(ids("$.xs[?(@.v > '1')]"), [3, 4, 7]);
    // Jayway's type-safe operators do not convert.
    assert_eq!(ids("$.xs[?(@.v === 1)]"), [0]);
    assert_eq!(ids("$.xs[?(@.v === '1')]"), [1]);
    assert_eq!(ids("$.xs[?(@.v !== 1)]"), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let p = JsonPath::parse("$.xs[?(@.v == 1)]").unwrap();
    assert_eq!(
        p.rfc9535(),
        Some("$['xs'][?((@['v'] == 1) || (@['v'] == '1'))]")
    );
}

#[test]
fn filter_on_an_object_tests_the_object_itself() {
    let d = json!({
        "store": {"open": true, "name": "s1", "staff": {"n": 2}},
        "list": [{"open": true, "id": 1}, {"id": 2}],
        "xs": [[1, 2], {"open": 1}]
    });
    // Jayway's PredicatePathToken: on a map, test the map itself.
    assert_eq!(many_in(&d, "$.store[?(@.open)]"), json!([d["store"]]));
    assert_eq!(many_in(&d, "$.store[?(@.open)].name"), json!(["s1"]));
    assert_eq!(many_in(&d, "$.store[?(@.closed)]"), json!([]));
    assert_eq!(many_in(&d, "$.store[?(@.staff.n > 1)].staff.n"), json!([2]));
    assert_eq!(many_in(&d, "$[?(@.store)].list[?(@.open)].id"), json!([1]));
    // On arrays: the elements, as before.
    assert_eq!(many_in(&d, "$.list[?(@.open)].id"), json!([1]));
    // Mixed, in document order: the object passes as a whole, the array by elements.
    assert_eq!(
        many_in(&d, "$.xs[*][?(@ > 1 || @.open)]"),
        json!([2, {"open": 1}])
    );
    // Primitives give nothing.
    assert_eq!(many_in(&d, "$.store.name[?(@)]"), json!([]));
    // A filter using `$` runs on jsonpath-rust as one query (RFC semantics: members).
    assert_eq!(
        many_in(&d, "$.store[?($.store.open)]"),
        json!([true, "s1", {"n": 2}])
    );
}

fn many_in(d: &Value, path: &str) -> Value {
    let p = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e:#}"));
    p.query(d).to_value().unwrap()
}

#[test]
fn length_function() {
    assert_eq!(one("$.a.b.length()"), Some(json!(5)));
    assert_eq!(one("$.items.size()"), Some(json!(4)));
    assert_eq!(one("$.a.length()"), Some(json!(3)));
    assert_eq!(one("$.name.length()"), Some(Value::Null));
    assert_eq!(one("$.missing.length()"), None);
    assert_eq!(
        one("$.length()"),
        Some(json!(doc().as_object().unwrap().len()))
    );
}

#[test]
fn query_result_helpers() {
    let d = doc();
    let p = JsonPath::parse("$.items[*].id").unwrap();
    let r = p.query(&d);
    assert_eq!(r.len(), 4);
    assert!(!r.is_empty());
    assert_eq!(r.first(), Some(&json!(1)));
    assert_eq!(
        r.iter().cloned().collect::<Vec<_>>(),
        [json!(1), json!(2), json!(3), json!(4)]
    );
    assert_eq!(p.get(&d), Some(&json!(1)));
    let p = JsonPath::parse("$.nope").unwrap();
    let r = p.query(&d);
    assert!(r.is_empty());
    assert_eq!(r.len(), 0);
    assert_eq!(r.to_value(), None);
    let p = JsonPath::parse("$.nope[*]").unwrap();
    assert_eq!(p.query(&d).to_value(), Some(json!([])));
    let p = JsonPath::parse("$.a.b.length()").unwrap();
    assert_eq!(p.get(&d), None);
    assert_eq!(p.query(&d).first(), Some(&json!(5)));
    assert!(JsonPath::parse("$.a").unwrap().is_singular());
    assert!(!JsonPath::parse("$.a.length()").unwrap().is_singular());
}

#[test]
fn insertion_order_is_kept() {
    let d: Value = serde_json::from_str(r#"{"z": 1, "a": 2, "m": {"y": 3, "b": 4}}"#).unwrap();
    let p = JsonPath::parse("$.*").unwrap();
    assert_eq!(
        p.query(&d).to_value(),
        Some(json!([1, 2, {"y": 3, "b": 4}]))
    );
    let p = JsonPath::parse("$..*").unwrap();
    assert_eq!(
        p.query(&d).to_value(),
        Some(json!([1, 2, {"y": 3, "b": 4}, 3, 4]))
    );
}

#[test]
fn display_and_fromstr() {
    let p: JsonPath = " $.a ".parse().unwrap();
    assert_eq!(p.to_string(), " $.a ");
    assert_eq!(p.as_str(), " $.a ");
}

/// `{"a": inner}` without `json!`, which would deep-copy `inner` recursively.
fn wrap(inner: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("a".to_owned(), inner);
    Value::Object(m)
}

#[test]
fn deep_documents_do_not_overflow() {
    // Built programmatically: serde_json's parser would stop at 128.
    let mut v = json!({"x": 1});
    for _ in 0..5000 {
        v = wrap(v);
    }
    let mut path = String::from("$");
    for _ in 0..5000 {
        path.push_str(".a");
    }
    path.push_str(".x");
    let mut limits = apigw_jsonpath::Limits::default();
    limits.max_path_len = 1 << 20;
    let p = JsonPath::parse_with_limits(&path, &limits).unwrap();
    assert_eq!(p.get(&v), Some(&json!(1)));
    let scan = JsonPath::parse("$..x").unwrap();
    let err = scan.try_query(&v).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DocumentTooDeep);
    assert_eq!(scan.query(&v), QueryResult::Many(vec![]));
    // Filters clone objects (recursively): same guard.
    let filter = JsonPath::parse("$[?(@.a)]").unwrap();
    assert_eq!(
        filter.try_query(&v).unwrap_err().kind(),
        ErrorKind::DocumentTooDeep
    );
    // At the limit (400 nested containers), `..` works on a default test-thread stack.
    let mut w = json!({"x": 1});
    for _ in 0..399 {
        w = wrap(w);
    }
    assert_eq!(scan.query(&w), QueryResult::Many(vec![&json!(1)]));
    assert_eq!(filter.query(&w), QueryResult::Many(vec![&w]));
    // serde_json's Drop is recursive: unwind the deep values iteratively.
    for mut deep in [v, w] {
        while let Some(Value::Object(mut m)) = Some(deep) {
            match m.swap_remove("a") {
                Some(inner) => deep = inner,
                None => break,
            }
        }
    }
}

#[test]
fn parsing_json_strings_for_lambda_errors() {
    use std::borrow::Cow;
    let body = json!({
        "errorMessage": "{\"errorType\":\"Bad\",\"trace\":{\"line\":3},\"list\":\"[1,{\\\"k\\\":\\\"deep\\\"}]\"}",
        "plain": {"a": "not json", "b": " [7, 8]", "c": "{\"x\": 1}"},
        "num": "123"
    });
    let get = |s: &str| {
        JsonPath::parse_body_suffix(s)
            .unwrap()
            .get_parsing_json_strings(&body)
    };
    assert_eq!(
        get("errorMessage.errorType").as_deref(),
        Some(&json!("Bad"))
    );
    assert_eq!(
        get("errorMessage.trace").as_deref(),
        Some(&json!({"line": 3}))
    );
    assert_eq!(get("errorMessage.trace.line").as_deref(), Some(&json!(3)));
    // Strings inside parsed strings are parsed too.
    assert_eq!(
        get("errorMessage.list[1].k").as_deref(),
        Some(&json!("deep"))
    );
    assert_eq!(get("errorMessage.list[-2]").as_deref(), Some(&json!(1)));
    assert_eq!(get("errorMessage.missing"), None);
    assert_eq!(get("plain.a.x"), None);
    assert_eq!(get("plain.b[1]").as_deref(), Some(&json!(8)));
    assert_eq!(get("num.x"), None);
    // The final value is not parsed, and nothing is parsed when not needed.
    assert!(matches!(
        get("plain.c"),
        Some(Cow::Borrowed(Value::String(_)))
    ));
    assert!(matches!(get("errorMessage"), Some(Cow::Borrowed(_))));
    assert!(matches!(get("errorMessage.errorType"), Some(Cow::Owned(_))));
    // Not singular: plain `get`.
    let p = JsonPath::parse("$.plain.*").unwrap();
    assert_eq!(
        p.get_parsing_json_strings(&body).as_deref(),
        Some(&json!("not json"))
    );
}

#[test]
fn compiled_paths_are_thread_safe_and_static() {
    fn assert_traits<T: Send + Sync + 'static + Clone>() {}
    assert_traits::<JsonPath>();
    assert_traits::<apigw_jsonpath::Error>();
    let p = JsonPath::parse("$.items[?(@.x > 2)].id").unwrap();
    let d = doc();
    let handle = std::thread::spawn(move || p.query(&d).to_value());
    assert_eq!(handle.join().unwrap(), Some(json!([2, 3])));
}
