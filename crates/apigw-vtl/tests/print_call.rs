//! `$obj.method($doc.a.b)` printed by the host object itself (`Object::write_call_str`) from a
//! string on a JSON tape prints exactly what the general path prints (the method's result
//! value, printed): over the same documents built in full, where the shortcut never applies,
//! and in every case the shortcut must leave to the general path.

use std::cell::Cell;
use std::rc::Rc;

use apigw_vtl::{
    Call, Context, Error, ErrorKind, Host, JsonText, Object, Options, Template, Value,
};

/// `$s.wrap(x)`: `<x>`; `$s.fail(x)`: an error; `$s.none(x)`: null; anything else: no such
/// method. Counts the calls printed through `write_call_str`.
#[derive(Debug, Default)]
struct Wrapper {
    direct: Cell<usize>,
}

impl Object for Wrapper {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        Ok(match (name, args) {
            ("wrap", [v]) if !v.is_null() => Call::Value(Value::string(format!("<{v}>"))),
            ("wrap", [_]) => Call::Value(Value::null()),
            ("fail", [_]) => return Err(Error::new(ErrorKind::Host, "no")),
            ("none", [_]) => Call::Value(Value::null()),
            _ => Call::NotFound,
        })
    }

    fn write_call_str(&self, name: &str, arg: &str, out: &mut String) -> Option<Result<(), Error>> {
        match name {
            "wrap" => {
                self.direct.set(self.direct.get() + 1);
                out.push('<');
                out.push_str(arg);
                out.push('>');
                Some(Ok(()))
            }
            "fail" => Some(Err(Error::new(ErrorKind::Host, "no"))),
            // `none` returns null: left to the general path.
            _ => None,
        }
    }
}

struct WrapperHost(Rc<Wrapper>);

impl Host for WrapperHost {
    fn lookup(&self, name: &str) -> Option<Value> {
        (name == "s").then(|| Value::object(self.0.clone()))
    }
}

const DOC: &str = r#"{"name": "rex", "q": "dog\"gie", "n": 7, "z": null, "e": "", "u": "é€😀",
    "tags": ["a", {"k": "deep"}], "o": {"p": [{"q": "x y"}]}}"#;

/// Each template, its output, and how many of its calls the object prints itself when the
/// document is on the tape.
const CASES: &[(&str, &str, usize)] = &[
    ("$s.wrap($e.name)", "<rex>", 1),
    (
        "$s.wrap($e.tags[0]) $s.wrap($e.tags[1].k) $s.wrap($e.o.p[0].q)",
        "<a> <deep> <x y>",
        3,
    ),
    ("$s.wrap($e.e)|$s.wrap($e.u)", "<>|<é€😀>", 2),
    // An escaped string, a number, a container, null, a missing member, an index out of
    // range: the general path.
    ("$s.wrap($e.q) $s.wrap($e.n)", "<dog\"gie> <7>", 0),
    ("$s.wrap($e.tags[1])", "<{k=deep}>", 0),
    (
        "$s.wrap($e.z)|$s.wrap($e.missing)|$s.wrap($e.tags[1].x)",
        "||",
        0,
    ),
    (
        "$s.wrap($e.tags[5])",
        "<error Invocation of method 'get' in class java.util.ArrayList threw exception \
         java.lang.IndexOutOfBoundsException: Index 5 out of bounds for length 2 at \
         (Some(1), Some(29))>",
        0,
    ),
    ("$!s.wrap($e.z)|$!s.wrap($e.name)", "|<rex>", 1),
    // Escaped references, a receiver that is not an object, no receiver, a method the
    // object leaves to `call_method`, another one's.
    (
        "\\$s.wrap($e.name) $e.name.concat($e.name) $t.wrap($e.name)",
        "$s.wrap($e.name) rexrex ",
        0,
    ),
    ("$s.none($e.name)|$s.other($e.name)", "|", 0),
    // Inside a macro (another context), the general path.
    ("#macro(m $v)$s.wrap($v.name)#end#m($e)", "<rex>", 0),
    // After `#set($e.name = …)` the document is materialized: the general path.
    ("#set($e.name = 'max')$s.wrap($e.name)", "<max>", 0),
];

fn render(template: &Template, d: Value, host: &WrapperHost) -> String {
    let mut ctx = Context::new().with_host(host);
    ctx.insert("d", d);
    let mut out = String::new();
    match template.render(&ctx, &mut out) {
        Ok(()) => out,
        Err(e) => format!(
            "{out}<error {} at {:?}>",
            e.detail(),
            (e.line(), e.column())
        ),
    }
}

#[test]
fn printed_calls_read_as_on_built_documents() {
    let options = Options::default();
    for &(body, expected, direct) in CASES {
        let src = format!("#set($e = $d){body}");
        let template = Template::compile(&src, &options).unwrap();
        let built = Value::from_json(DOC.as_bytes(), Value::list).unwrap();
        let host = WrapperHost(Rc::default());
        assert_eq!(render(&template, built, &host), expected, "{body} (built)");
        assert_eq!(
            host.0.direct.get(),
            0,
            "{body}: built documents never take the shortcut"
        );

        let text = JsonText::parse(DOC.as_bytes()).unwrap();
        let host = WrapperHost(Rc::default());
        assert_eq!(
            render(&template, text.value(Value::list), &host),
            expected,
            "{body} (tape)"
        );
        assert_eq!(
            host.0.direct.get(),
            direct,
            "{body}: calls printed by the object"
        );
    }
}

/// An error from `write_call_str` aborts the render at the call, as from `call_method`.
#[test]
fn printed_call_errors_are_placed_at_the_call() {
    let options = Options::default();
    let template = Template::compile("#set($e = $d)\nab $s.fail($e.name)", &options).unwrap();
    let host = WrapperHost(Rc::default());
    let built = render(
        &template,
        Value::from_json(DOC.as_bytes(), Value::list).unwrap(),
        &host,
    );
    let text = JsonText::parse(DOC.as_bytes()).unwrap();
    let lazy = render(&template, text.value(Value::list), &host);
    assert_eq!(lazy, built);
    assert!(lazy.contains("<error no at"), "{lazy}");
}
