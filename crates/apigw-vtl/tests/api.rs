//! The public API: null modes, host objects, property assignment through
//! the host, reference semantics of values, static analysis.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use apigw_vtl::{Call, Context, Error, Host, NullRendering, Object, Options, Template, Value};

fn render(src: &str, opts: &Options, ctx: &Context<'_>) -> String {
    Template::compile(src, opts)
        .unwrap()
        .render_to_string(ctx)
        .unwrap()
}

#[test]
fn null_modes() {
    let literal = Options {
        null_rendering: NullRendering::Literal,
        ..Options::default()
    };
    let empty = Options::default();
    let src = "[$x][$!x][${x}][$x.y][$m.nope][$m.a]";
    let mut ctx = Context::new();
    ctx.insert("m", Value::map(vec![("a".into(), Value::int(1))]));
    assert_eq!(
        render(src, &literal, &ctx),
        "[$x][][${x}][$x.y][$m.nope][1]"
    );
    assert_eq!(render(src, &empty, &ctx), "[][][][][][1]");
}

#[test]
fn reference_semantics() {
    let out = render(
        "#set($a = {})#set($b = $a)#set($d = $b.put('k', 1))$a #set($l = [1])#set($l2 = $l)$l2.add(2) $l",
        &Options::default(),
        &Context::new(),
    );
    assert_eq!(out, "{k=1}true [1, 2]");
}

#[derive(Debug, Default)]
struct Overrides {
    status: RefCell<Option<Value>>,
    headers: Rc<RefCell<HashMap<String, String>>>,
}

#[derive(Debug)]
struct Headers(Rc<RefCell<HashMap<String, String>>>);

impl Object for Headers {
    fn set_property(&self, name: &str, value: Value) -> Result<bool, Error> {
        self.0
            .borrow_mut()
            .insert(name.to_string(), value.to_string());
        Ok(true)
    }
}

impl Object for Overrides {
    fn get_property(&self, name: &str) -> Option<Value> {
        match name {
            "status" => self.status.borrow().clone(),
            "header" => Some(Value::object(Rc::new(Headers(self.headers.clone())))),
            _ => None,
        }
    }
    fn set_property(&self, name: &str, value: Value) -> Result<bool, Error> {
        if name == "status" {
            *self.status.borrow_mut() = Some(value);
            return Ok(true);
        }
        Ok(false)
    }
}

#[derive(Debug)]
struct Input;

impl Object for Input {
    fn get_property(&self, name: &str) -> Option<Value> {
        (name == "body").then(|| Value::string("{\"a\":1}"))
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        match (name, args) {
            ("path", [p]) if p.as_str() == Some("$.a") => Ok(Call::Value(Value::int(1))),
            ("path", _) => Ok(Call::Value(Value::null())),
            _ => Ok(Call::NotFound),
        }
    }
}

struct Gateway {
    context: Value,
    overrides: Rc<Overrides>,
    lookups: RefCell<Vec<String>>,
}

impl Host for Gateway {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.lookups.borrow_mut().push(name.to_string());
        match name {
            "context" => Some(self.context.clone()),
            "input" => Some(Value::object(Rc::new(Input))),
            _ => None,
        }
    }
}

#[test]
fn host_objects_and_overrides() {
    let overrides = Rc::new(Overrides::default());
    let context = Value::map(vec![
        ("requestId".into(), Value::string("r-1")),
        ("responseOverride".into(), Value::object(overrides.clone())),
    ]);
    let host = Gateway {
        context,
        overrides: overrides.clone(),
        lookups: RefCell::new(Vec::new()),
    };
    let ctx = Context::new().with_host(&host);
    let src = "#set($context.responseOverride.status = 400)\
               #set($context.responseOverride.header.X-Id = $context.requestId)\
               $input.body $input.path('$.a') [$input.path('$.zz')] $context.responseOverride.status $input.nope()";
    let out = render(src, &Options::default(), &ctx);
    assert_eq!(out, "{\"a\":1} 1 [] 400 ");
    assert_eq!(
        host.overrides
            .status
            .borrow()
            .as_ref()
            .and_then(Value::as_i64),
        Some(400)
    );
    assert_eq!(
        host.overrides
            .headers
            .borrow()
            .get("X-Id")
            .map(String::as_str),
        Some("r-1")
    );
    // each name is asked for once per render
    let l = host.lookups.borrow();
    assert_eq!(l.iter().filter(|n| *n == "context").count(), 1);
    assert_eq!(l.iter().filter(|n| *n == "input").count(), 1);
}

#[test]
fn context_shadows_host_and_set_shadows_both() {
    let host = Gateway {
        context: Value::string("from host"),
        overrides: Rc::new(Overrides::default()),
        lookups: RefCell::new(Vec::new()),
    };
    let mut ctx = Context::new().with_host(&host);
    ctx.insert("input", Value::string("from context"));
    let out = render(
        "$input|$context|#set($context = 'set')$context",
        &Options::default(),
        &ctx,
    );
    assert_eq!(out, "from context|from host|set");
}

/// `$`, `$!` and `$.` right after a reference, as Velocity 1.7's lexer
/// reads them: `$.` is one EMPTY_INDEX text token that leaves the lexer in
/// the reference state (the next name is a "runt" printed as written, a `[`
/// opens an index and fails), while `$`/`$!` after `$a.b` continue the
/// reference and a dot drops the `$!` before it.
#[test]
fn dollar_dot_after_a_reference() {
    let literal = Options {
        null_rendering: NullRendering::Literal,
        ..Options::default()
    };
    let mut ctx = Context::new();
    ctx.insert("x", Value::string("X"));
    ctx.insert("y", Value::string("Y"));
    ctx.insert(
        "m",
        Value::map(vec![(
            "a".into(),
            Value::map(vec![("b".into(), Value::string("B"))]),
        )]),
    );
    for (src, want) in [
        ("$x$.y", "X$.y"),
        ("$x$.y.z tail", "X$.y tail"),
        ("${x}$.y", "X$.y"),
        ("$x$$.y", "X$$.y"),
        ("$x$!.y", "$x.y"),
        ("a$!.y", "a.y"),
        ("$m.a$.b", "B"),
        ("$m.a$!.b", "B"),
        ("$m.a$.b$.c", "$m.a.b.c"),
        ("$x$.[y", "error"),
        ("$m.a.b.length()$.[y", "error"),
        ("${x}$.[y", "X$.[y"),
        ("$x $.[y", "X $.[y"),
    ] {
        let got = match Template::compile(src, &literal) {
            Ok(t) => t.render_to_string(&ctx).unwrap(),
            Err(_) => "error".to_string(),
        };
        assert_eq!(got, want, "{src}");
    }
    let t = Template::compile("$x$.y", &Options::default()).unwrap();
    assert_eq!(t.analysis().names, ["x"]);
}

#[test]
fn analysis_lists_names_and_literal_calls() {
    let t = Template::compile(
        "#set($r = $input.path('$.items'))#foreach($i in $r)$i.name $util.escapeJavaScript($i.x)#end\
         $input.json('$') $input.body $context.requestId $input.path($r)",
        &Options::default(),
    )
    .unwrap();
    let a = t.analysis();
    assert_eq!(a.names, ["r", "input", "i", "util", "context"]);
    assert!(!a.dynamic);
    let calls: Vec<String> = a
        .members
        .iter()
        .filter(|m| m.root == "input")
        .map(|m| {
            format!(
                "{}{}:{:?}",
                m.member,
                if m.is_method { "()" } else { "" },
                m.args
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "path():Some([\"$.items\"])",
            "json():Some([\"$\"])",
            "body:Some([])",
            "path():None"
        ]
    );
    assert!(a.uses("input") && !a.uses("stageVariables"));
}

#[test]
fn template_is_reusable_and_buffers_append() {
    let t = Template::compile("[$x]", &Options::default()).unwrap();
    let mut out = String::from(">");
    let mut ctx = Context::new();
    ctx.insert("x", Value::int(1));
    t.render(&ctx, &mut out).unwrap();
    ctx.insert("x", Value::double(1e10));
    t.render(&ctx, &mut out).unwrap();
    assert_eq!(out, ">[1][1.0E10]");
}

#[test]
fn empty_mode_null_equals_empty_string() {
    let src = "#if($x == \"\")E#end#if($x == $null)N#end#if($l == \"\")L#end#if($l == $null)M#end";
    let mut ctx = Context::new();
    ctx.insert("l", Value::list(vec![]));
    assert_eq!(render(src, &Options::default(), &ctx), "EN");
    let literal = Options {
        null_rendering: NullRendering::Literal,
        ..Options::default()
    };
    assert_eq!(render(src, &literal, &ctx), "N");
}

/// Pairs printed by JDK 17's `Double.toString`/`Float.toString`.
#[test]
fn java_number_printing() {
    let doubles: &[(u64, &str)] = &[
        (0x44b52d02c7e14af6u64, "9.999999999999999E22"),
        (0x44c52d02c7e14af6u64, "1.9999999999999998E23"),
        (0x447c7e83209e90b2u64, "8.409999999999999E21"),
        (0x0000000000000001u64, "4.9E-324"),
        (0x0010000000000000u64, "2.2250738585072014E-308"),
        (0x3e60000000000000u64, "2.9802322387695312E-8"),
        (0x3e70000000000000u64, "5.9604644775390625E-8"),
        (0x3fb999999999999au64, "0.1"),
        (0x3fc999999999999au64, "0.2"),
        (0x3fd3333333333333u64, "0.3"),
        (0x3ff0000000000000u64, "1.0"),
        (0x416312d000000000u64, "1.0E7"),
        (0x3f50624dd2f1a9fcu64, "0.001"),
        (0x3f50624db774ca22u64, "9.999999E-4"),
        (0x419d6f3454000000u64, "1.23456789E8"),
        (0x4480f0cf064dd592u64, "1.0E22"),
        (0x444b1ae4d6e2ef50u64, "1.0E21"),
        (0x40091eb851eb851fu64, "3.14"),
        (0x4004000000000000u64, "2.5"),
        (0x4059000000000000u64, "100.0"),
        (0x4132d68700000000u64, "1234567.0"),
        (0x3fd3333333333334u64, "0.30000000000000004"),
        (0x3fd5555555555555u64, "0.3333333333333333"),
        (0x3fe5555555555555u64, "0.6666666666666666"),
        (0x3ee4f8b588e368f1u64, "1.0E-5"),
        (0x4202a05f20000000u64, "1.0E10"),
        (0x4011666666666666u64, "4.35"),
        (0x7fefffffffffffffu64, "1.7976931348623157E308"),
    ];
    let floats: &[(u32, &str)] = &[
        (0x3f800000u32, "1.0"),
        (0x3dcccccdu32, "0.1"),
        (0x4048f5c3u32, "3.14"),
        (0x42280000u32, "42.0"),
        (0x4f32d05eu32, "3.0E9"),
        (0x501502f9u32, "1.0E10"),
        (0x3727c5acu32, "1.0E-5"),
        (0x3a83126fu32, "0.001"),
        (0x4b189680u32, "1.0E7"),
        (0x47f1205au32, "123456.7"),
        (0x00800000u32, "1.17549435E-38"),
        (0x00000001u32, "1.4E-45"),
        (0x7f7fffffu32, "3.4028235E38"),
        (0x3e99999au32, "0.3"),
        (0x40200000u32, "2.5"),
    ];
    let t = Template::compile("$d|$d.floatValue()", &Options::default()).unwrap();
    for (bits, want) in doubles {
        let mut ctx = Context::new();
        ctx.insert("d", Value::double(f64::from_bits(*bits)));
        let out = t.render_to_string(&ctx).unwrap();
        assert_eq!(out.split('|').next(), Some(*want), "{bits:#x}");
    }
    for (bits, want) in floats {
        let mut ctx = Context::new();
        ctx.insert("d", Value::double(f64::from(f32::from_bits(*bits))));
        let out = t.render_to_string(&ctx).unwrap();
        assert_eq!(out.split('|').nth(1), Some(*want), "{bits:#x}");
    }
}

#[test]
fn analysis_sites_list_every_occurrence_with_its_offset() {
    let src =
        "$util.toJson($a)\n#set($b = \"x $util.toJson($a)\")$util.toJson($a) $input.path('$.x')";
    let t = Template::compile(src, &Options::default()).unwrap();
    let sites: Vec<(String, Option<usize>, Option<Vec<String>>)> = t
        .analysis()
        .sites
        .iter()
        .filter(|s| s.root != "a" && s.root != "b")
        .map(|s| (format!("{}.{}", s.root, s.member), s.offset, s.args.clone()))
        .collect();
    let at = |needle: &str, nth: usize| src.match_indices(needle).nth(nth).map(|(i, _)| i);
    assert_eq!(
        sites,
        [
            ("util.toJson".to_string(), at("toJson", 0), None),
            // Inside an interpolated string literal: no offset in the template.
            ("util.toJson".to_string(), None, None),
            ("util.toJson".to_string(), at("toJson", 2), None),
            (
                "input.path".to_string(),
                at("path", 0),
                Some(vec!["$.x".to_string()])
            ),
        ]
    );
    // `members` stays deduplicated.
    assert_eq!(
        t.analysis()
            .members
            .iter()
            .filter(|m| m.root == "util")
            .count(),
        1
    );
}

thread_local! {
    static LIVE_ARRAYS: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// An array object that counts how many of it are alive.
#[derive(Debug)]
struct CountedArray(std::cell::RefCell<Vec<Value>>);

impl CountedArray {
    fn value(items: Vec<Value>) -> Value {
        LIVE_ARRAYS.with(|n| n.set(n.get() + 1));
        Value::object(std::rc::Rc::new(CountedArray(std::cell::RefCell::new(
            items,
        ))))
    }
}

impl Drop for CountedArray {
    fn drop(&mut self) {
        LIVE_ARRAYS.with(|n| n.set(n.get() - 1));
    }
}

impl apigw_vtl::Object for CountedArray {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<apigw_vtl::Call, Error> {
        Ok(match (name, args) {
            ("add", [x]) => {
                self.0.borrow_mut().push(x.clone());
                apigw_vtl::Call::Value(Value::bool(true))
            }
            _ => apigw_vtl::Call::NotFound,
        })
    }

    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.borrow().clone())
    }

    fn write_string(&self, out: &mut String) {
        out.push_str(&format!("{} items", self.0.borrow().len()));
    }
}

/// Materialized containers of a lazily read document point back at the document, which
/// keeps them: dropping the `JsonText` must release them all (no reference cycle left).
#[test]
fn lazy_json_documents_release_their_containers() {
    for template in [
        "$d",
        "$d.list.add(1)$d.list $d.obj.put('k', $d.list)$d.obj $d.size()",
        "#set($d.obj.self = [$d, $d.list])$d.obj.self.size() #foreach($x in $d.list)$x#end",
        "#set($l = $d.list)$l.add($d.obj)$l $d.list",
    ] {
        {
            let text = apigw_vtl::JsonText::parse(
                br#"{"list": [1, [2, 3], {"a": []}], "obj": {"x": [4], "y": {"z": [5]}}}"#,
            )
            .unwrap();
            let mut ctx = Context::new();
            ctx.insert("d", text.value(CountedArray::value));
            let t = Template::compile(template, &Options::default()).unwrap();
            let mut out = String::new();
            t.render(&ctx, &mut out).unwrap();
            assert!(!out.is_empty(), "{template}");
            assert!(
                LIVE_ARRAYS.with(std::cell::Cell::get) > 0,
                "{template}: nothing materialized"
            );
        }
        assert_eq!(
            LIVE_ARRAYS.with(std::cell::Cell::get),
            0,
            "{template}: arrays leaked"
        );
    }
}
