//! `#foreach` over JSON arrays read lazily (iterated on their tape, node by node) renders
//! exactly what it renders over the same JSON built in full (`Value::from_json`): empty and
//! nested arrays, arrays of scalars and of objects, `$foreach` properties, `#break`,
//! mutation inside the loop, and arrays materialized before the loop.

use std::cell::RefCell;
use std::rc::Rc;

use apigw_vtl::{Call, Context, Error, JsonText, Object, Options, Template, Value};

/// JSON documents the templates below loop over (as `$d`).
const DOCS: &[&str] = &[
    "[]",
    "[1]",
    "[1, 2, 3]",
    r#"["a", "b\n", "\u00e9", ""]"#,
    "[true, false, null, 1.5, -7, 12345678901]",
    "[null]",
    "[null, 1, null]",
    r#"[{"id": 0, "type": "dog"}, {"id": 1, "type": "cat", "price": 2.5}, {"id": 12, "type": "x", "type": "y"}]"#,
    r#"[[], [1], [1, [2, 3]], {"a": [4, 5]}]"#,
    r#"{"a": [1, 2], "b": {"c": [{"d": 1}, {"d": 2}]}}"#,
    "[[[[]]], [[1, 2], [3]]]",
    // Members that are not printed from the tape: null, containers, missing.
    r#"[{"id": null, "type": {"k": [1]}, "a": [2, {"b": 3}]}, {}]"#,
    // Members printed straight from the tape text: multi-byte, empty, escaped, long.
    r#"[{"id": "é€😀", "type": "日本"}, {"id": "", "type": "a\"b"}, {"type": "0123456789abcdefghij", "id": -3}]"#,
    "{}",
    "7",
    r#""text""#,
];

/// Templates that loop over `$d` every way the fast loop must get right.
const TEMPLATES: &[&str] = &[
    "#foreach($x in $d)[$x]#end",
    "#foreach($x in $d)$foreach.index/$foreach.count/$foreach.hasNext/$foreach.first/$foreach.last/$velocityCount/$velocityHasNext #end",
    "#foreach($x in $d){\"id\": $x.id, \"type\": \"$x.type\"}#if($foreach.hasNext),#end #end",
    "#foreach($x in $d)#foreach($y in $x)<$y #foreach($z in $y)($z)#end>#end;#end",
    "#foreach($x in $d.a)$x,#end|#foreach($x in $d.b.c)$x.d,#end",
    "#foreach($x in $d)#if($foreach.index == 1)#break#end$x,#end after",
    "#foreach($x in $d)#foreach($y in $x)#break($foreach.parent)#end$x#end after",
    "#foreach($x in $d)$x#if($foreach.count == 2)#break($foreach)#end,#end",
    "#foreach($x in $d)#set($dummy = $d.add('more'))$x,#end $d",
    "#foreach($x in $d)#if($foreach.index == 0)#set($dummy = $d.set(0, 'changed'))#end$x,#end $d",
    "#foreach($x in $d)#if($foreach.hasNext)#set($dummy = $d.remove(0))#end$x,#end $d",
    "#foreach($x in $d)#set($x.seen = $foreach.index)$x,#end $d",
    "#foreach($x in $d)#set($d[0] = 'z')$x,#end $d",
    "$d.size() #foreach($x in $d)$x,#end",
    "#set($e = $d)#set($dummy = $e.add(9))#foreach($x in $d)$x,#end",
    "#foreach($x in $d)#foreach($x in $x)$x#end:$x,#end $x",
    "#foreach($x in $d)$x.size() $x.get(0) #end",
    "#foreach($x in $d)#end$foreach.index $x",
    "#set($x = 'kept')#foreach($x in $d)$x#end $x",
    "#foreach($x in $d)$!x.id#if(!$foreach.last) #end#end",
    // The loop variable pointed at the next element in place: values taken from it, set
    // over it, or holding the document before the loop must not see that.
    "#foreach($x in $d)#if($foreach.first)#set($k = $x)#end#end$!k",
    "#foreach($x in $d)#set($k = [$x])$x#end $!k",
    "#foreach($x in $d)$x#set($x = 's')$x,#end $x",
    "#set($x = $d)#foreach($x in $d)$x,#end $x",
    "#foreach($x in $d)#foreach($y in $d)$x$y,#end#end",
    "#macro(m $a)#foreach($x in $a)$x,#end#end#m($d) #foreach($x in $d)#m($x)#end",
    // The element is put after `$velocityCount`, so it wins when they share a name.
    "#foreach($velocityCount in $d)$velocityCount,#end",
    "#foreach($x in $d)$x.id $x.type $x.a $!x.missing $x.missing,#end",
];

fn render(template: &Template, d: Value) -> String {
    let mut ctx = Context::new();
    ctx.insert("d", d);
    let mut out = String::new();
    match template.render(&ctx, &mut out) {
        Ok(()) => out,
        Err(e) => format!("{out}<error {}>", e.detail()),
    }
}

/// Renders every template over every document read lazily and built, with arrays as
/// `array`, and checks they agree.
fn check(array: fn(Vec<Value>) -> Value) {
    let options = Options::default();
    for src in TEMPLATES {
        let template = Template::compile(src, &options).unwrap();
        for doc in DOCS {
            let built = Value::from_json(doc.as_bytes(), array).unwrap();
            let lazy = JsonText::parse(doc.as_bytes()).unwrap().value(array);
            assert_eq!(
                render(&template, lazy),
                render(&template, built),
                "{src} over {doc}"
            );
        }
    }
}

#[test]
fn lazy_loops_render_as_built_lists() {
    check(Value::list);
}

/// An array object of the host's (as API Gateway's mapping uses): iterated as a snapshot,
/// with `add` and `size`.
#[derive(Debug)]
struct HostArray(RefCell<Vec<Value>>);

impl Object for HostArray {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        Ok(match (name, args) {
            ("add", [v]) => {
                self.0.borrow_mut().push(v.clone());
                Call::Value(Value::bool(true))
            }
            ("size", []) => Call::Value(Value::int(self.0.borrow().len() as i32)),
            _ => Call::NotFound,
        })
    }

    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.borrow().clone())
    }
}

fn host_array(items: Vec<Value>) -> Value {
    Value::object(Rc::new(HostArray(RefCell::new(items))))
}

#[test]
fn lazy_loops_render_as_built_host_arrays() {
    check(host_array);
}

#[test]
fn lazy_loop_sees_its_own_changes_as_the_built_list_does() {
    let options = Options::default();
    let template = Template::compile(
        "#foreach($x in $d)$x#if($foreach.first)#set($dummy = $d.add(4))#end,#end",
        &options,
    )
    .unwrap();
    let lazy = JsonText::parse(b"[1, 2, 3]").unwrap().value(Value::list);
    let out = render(&template, lazy);
    assert!(out.contains("ConcurrentModificationException"), "{out}");
    // One element: Java's iterator still finds the added one, and fails.
    let lazy = JsonText::parse(b"[1]").unwrap().value(Value::list);
    let built = Value::from_json(b"[1]", Value::list).unwrap();
    assert_eq!(render(&template, lazy), render(&template, built));
}

/// A loop variable holding a container of another document before the loop is replaced,
/// not pointed at a node number of the looped document.
#[test]
fn lazy_loop_variable_from_another_document() {
    let options = Options::default();
    let template = Template::compile(
        "#set($x = $e)$x.id #foreach($x in $d)$x.id,#end $x.id #foreach($x in $e.list)$x.id,#end",
        &options,
    )
    .unwrap();
    let d = r#"[{"id": 1}, {"id": 2}, {"id": 3}]"#;
    let e = r#"{"id": "e", "list": [{"id": "e1"}, {"id": "e2"}]}"#;
    let mut out = String::new();
    let dt = JsonText::parse(d.as_bytes()).unwrap();
    let et = JsonText::parse(e.as_bytes()).unwrap();
    let mut ctx = Context::new();
    ctx.insert("d", dt.value(Value::list));
    ctx.insert("e", et.value(Value::list));
    template.render(&ctx, &mut out).unwrap();
    assert_eq!(out, "e 1,2,3, e e1,e2,");
}

/// The iteration limit stops lazy and built loops alike: exactly at the limit, one past it,
/// and across nested loops.
#[test]
fn lazy_loops_stop_at_the_iteration_limit() {
    let mut options = Options::default();
    options.limits.max_loop_iterations = 3;
    for src in [
        "#foreach($x in $d)$x,#end",
        "#foreach($x in $d)#foreach($y in $x)$y,#end;#end",
    ] {
        let template = Template::compile(src, &options).unwrap();
        for doc in [
            "[1, 2, 3]",
            "[1, 2, 3, 4]",
            "[[1], [2, 3]]",
            "[[1, 2], [3]]",
            "[null, {}, []]",
        ] {
            for array in [Value::list as fn(Vec<Value>) -> Value, host_array] {
                let built = Value::from_json(doc.as_bytes(), array).unwrap();
                let lazy = JsonText::parse(doc.as_bytes()).unwrap().value(array);
                assert_eq!(
                    render(&template, lazy),
                    render(&template, built),
                    "{src} over {doc}"
                );
            }
        }
    }
}

/// The iteration limit's exact place, on a lazy loop.
#[test]
fn lazy_loop_limit_is_exact() {
    let mut options = Options::default();
    options.limits.max_loop_iterations = 3;
    let template = Template::compile("#foreach($x in $d)$x,#end", &options).unwrap();
    let lazy = |doc: &str| JsonText::parse(doc.as_bytes()).unwrap().value(Value::list);
    assert_eq!(render(&template, lazy("[1, 2, 3]")), "1,2,3,");
    let over = render(&template, lazy("[1, 2, 3, 4]"));
    assert!(over.starts_with("1,2,3,<error "), "{over}");
}
