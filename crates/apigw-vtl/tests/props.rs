//! Property tests: compiling and rendering arbitrary input never panics and
//! stays within the configured budgets.

use apigw_vtl::{Context, Limits, Options, Template, Value};
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "$",
    "$!",
    "${",
    "}",
    "$a",
    "$!a",
    "${a}",
    "$a.b",
    "$a.b()",
    "$a[0]",
    "$a['k']",
    ".",
    "(",
    ")",
    "[",
    "]",
    "{",
    ",",
    ":",
    "\"",
    "'",
    "\\",
    "\\\\",
    "#",
    "##",
    "#*",
    "*#",
    "#[[",
    "]]#",
    "#if(",
    "#if($a)",
    "#elseif(",
    "#else",
    "#end",
    "#{end}",
    "#set(",
    "#set($a = ",
    "= ",
    "#foreach(",
    "#foreach($i in $l)",
    " in ",
    "#break",
    "#stop",
    "#macro(m $x)",
    "#m(",
    "#m($a)",
    "#define($d)",
    "#evaluate('$a')",
    "$d",
    "$foreach.index",
    "$velocityCount",
    "1",
    "-2",
    "3.5",
    "1..3",
    "[1..3]",
    "true",
    "false",
    "&&",
    "||",
    "!",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "lt",
    "and",
    "\n",
    " ",
    "\t",
    "\r\n",
    "x",
    "text",
    "é",
    "😀",
    "$l.size()",
    "$s.substring(1)",
    "$s.split(',')",
    "$m.put('k', $m)",
    "#set($m = {})",
    "#set($l = [])",
    "$l.add($l)",
    "$s.replaceAll('a+', '$0')",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

fn context() -> Context<'static> {
    let mut ctx = Context::new();
    ctx.insert(
        "a",
        Value::map(vec![
            ("b".into(), Value::int(1)),
            ("k".into(), Value::string("v")),
        ]),
    );
    ctx.insert("l", Value::list(vec![Value::int(1), Value::string("x")]));
    ctx.insert("s", Value::string("a,b,,c"));
    ctx
}

fn options() -> Options {
    Options {
        limits: Limits {
            max_template_bytes: 4096,
            max_nesting: 32,
            max_call_depth: 8,
            max_loop_iterations: 1000,
            max_output_bytes: 4096,
        },
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn fragments_never_panic(src in template()) {
        let opts = options();
        if let Ok(t) = Template::compile(&src, &opts) {
            let mut out = String::new();
            let _ = t.render(&context(), &mut out);
            // the output check runs after each node, so one node may overshoot
            prop_assert!(out.len() <= 4096 + 64 * 1024, "output {} bytes", out.len());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let opts = options();
        if let Ok(t) = Template::compile(&src, &opts) {
            let _ = t.render_to_string(&context());
        }
    }

    #[test]
    fn plain_text_renders_unchanged(src in "[a-zA-Z0-9 ,.;:!?\\n\\t-]{0,200}") {
        let t = Template::compile(&src, &Options::default()).unwrap();
        prop_assert_eq!(t.render_to_string(&Context::new()).unwrap(), src);
    }
}
