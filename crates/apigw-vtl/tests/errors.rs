//! Error rendering: kinds, positions and the caret excerpt of `{:#}`.

use apigw_vtl::{Context, ErrorKind, Limits, Options, Template, Value};

fn compile_err(src: &str) -> String {
    let e = Template::compile(src, &Options::default()).unwrap_err();
    format!("{e:#}")
}

fn render_err(src: &str) -> String {
    let t = Template::compile(src, &Options::default()).unwrap();
    let mut ctx = Context::new();
    ctx.insert("list", Value::list(vec![Value::int(1)]));
    ctx.insert("s", Value::string("abc"));
    let e = t.render_to_string(&ctx).unwrap_err();
    format!("{e:#}")
}

#[test]
fn parse_errors() {
    let cases = [
        "#if(true)x",
        "line one\n#if($a == )x#end",
        "#set($a = )",
        "#set(a = 1)",
        "text #end",
        "#foreach($i in $list)$i",
        "${a",
        "$a.b(1",
        "a$",
        "#macro()#end",
        "#parse('x.vm')",
        "#include('x.vm')",
        "#set($x = [1, 2)",
        "#if($a ? 1)#end",
        "$x$.[y",
    ];
    let mut all = String::new();
    for c in cases {
        all.push_str(&format!("=== {c:?}\n{}\n\n", compile_err(c)));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn render_errors() {
    let cases = [
        "$list.get(5)",
        "ok\n  $s.substring(5)",
        "$s.charAt(-1)",
        "#set($list[3] = 1)",
        "$s.isEmpty(1)",
        "#foreach($x in [1])#break(1)#end",
    ];
    let mut all = String::new();
    for c in cases {
        all.push_str(&format!("=== {c:?}\n{}\n\n", render_err(c)));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn kinds_and_positions() {
    let e = Template::compile("ab\ncd #if(", &Options::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.line(), Some(2));
    let e = Template::compile("#parse('x')", &Options::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let t = Template::compile("x\n$s.substring(9)", &Options::default()).unwrap();
    let mut ctx = Context::new();
    ctx.insert("s", Value::string("abc"));
    let e = t.render_to_string(&ctx).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Render);
    assert_eq!((e.line(), e.column()), (Some(2), Some(4)));
}

#[test]
fn limits_have_clear_errors() {
    let small = Options {
        limits: Limits {
            max_template_bytes: 10,
            max_nesting: 3,
            max_call_depth: 5,
            max_loop_iterations: 100,
            max_output_bytes: 50,
        },
        ..Options::default()
    };
    let ctx = Context::new();
    let kind = |src: &str| match Template::compile(src, &small) {
        Err(e) => (e.kind(), e.to_string()),
        Ok(t) => match t.render_to_string(&ctx) {
            Err(e) => (e.kind(), e.to_string()),
            Ok(s) => panic!("{src:?} rendered {s:?}"),
        },
    };
    let (k, msg) = kind("0123456789ab");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    let (k, msg) = kind("#if(1)#if(1)#if(1)#if(1)#end#end#end#end");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    let small = Options {
        limits: Limits {
            max_template_bytes: 1000,
            ..small.limits.clone()
        },
        ..small
    };
    let kind = |src: &str| match Template::compile(src, &small) {
        Err(e) => (e.kind(), e.to_string()),
        Ok(t) => match t.render_to_string(&ctx) {
            Err(e) => (e.kind(), e.to_string()),
            Ok(s) => panic!("{src:?} rendered {s:?}"),
        },
    };
    let (k, msg) = kind("#macro(m)#m()#end#m()");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    assert!(msg.contains("max calling depth"), "{msg}");
    let (k, msg) = kind("#foreach($i in [1..101])#end");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    let (k, msg) = kind("#foreach($i in [1..10])#foreach($j in [1..10])#end#end");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    let (k, msg) = kind("#foreach($i in [1..60])x#end");
    assert_eq!(k, ErrorKind::LimitExceeded, "{msg}");
    let (k, msg) =
        kind("#evaluate('#evaluate(\"#evaluate(\\'#evaluate(\\\"#evaluate(1)\\\")\\')\")')x");
    let _ = (k, msg);
}

#[test]
fn values_built_outside_the_output_are_bounded() {
    let opts = Options {
        limits: Limits {
            max_output_bytes: 1 << 16,
            ..Limits::default()
        },
        ..Options::default()
    };
    let ctx = Context::new();
    for src in [
        "#set($s = 'xx')#foreach($i in [1..40])#set($s = $s + $s)#end",
        "#set($s = 'xx')#foreach($i in [1..40])#set($s = \"$s$s\")#end",
        "#set($s = 'xx')#foreach($i in [1..40])#set($s = $s.concat($s))#end",
        "#set($l = [1])#foreach($i in [1..40])#set($d = $l.addAll($l))#end",
    ] {
        let e = Template::compile(src, &opts)
            .unwrap()
            .render_to_string(&ctx)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{src}: {e}");
    }
}

#[test]
fn deep_input_is_rejected_not_overflowed() {
    let opts = Options::default();
    let big = |open: &str, mid: &str, close: &str, n: usize| {
        format!("{}{}{}", open.repeat(n), mid, close.repeat(n))
    };
    let cases = [
        format!("#set($x = {})", big("[", "1", "]", 5000)),
        format!("#set($x = {})", big("{'a': ", "1", "}", 5000)),
        big("$a.b(", "1", ")", 5000),
        big("$a[", "1", "]", 5000),
        format!("#set($x = 1{})", " + 1".repeat(20000)),
        format!("#if({}true)#end", "!".repeat(20000)),
        format!("#set($x = {}1{})", "(".repeat(5000), ")".repeat(5000)),
    ];
    for src in &cases {
        let e = Template::compile(src, &opts).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::LimitExceeded | ErrorKind::Syntax),
            "{}: {e}",
            &src[..40]
        );
    }
}

#[test]
fn pathological_sources_compile_in_linear_time() {
    let opts = Options::default();
    let cases = [
        "\\".repeat(200_000),
        "$.".repeat(100_000),
        "# ".repeat(100_000),
        "\\$".repeat(100_000),
        format!("$a{}x", " ".repeat(200_000)),
    ];
    for src in &cases {
        let start = std::time::Instant::now();
        let _ = Template::compile(src, &opts).map(|t| t.render_to_string(&Context::new()));
        assert!(
            start.elapsed().as_secs() < 10,
            "{:?}… took {:?}",
            &src[..8],
            start.elapsed()
        );
    }
}
