//! Whitespace and escaping, table-tested: every template here was rendered
//! by Velocity 1.7 and agreed byte for byte when the snapshot was taken.

use apigw_vtl::{Context, NullRendering, Options, Template, Value};

const CASES: &[&str] = &[
    "#set($a = 1)\nx",
    "  #set($a = 1)\nx",
    "a #set($a = 1) b",
    "#set($a = 1)   \nx",
    "#set($a = 1) x\ny",
    "#set($a = 1)\n  #set($b = 2)\nx",
    "  #set($a = 1)  #set($b = 2)  \nx",
    "#if(true)\ny\n#end\nz",
    "  #if(true)\n  y\n  #end\nz",
    "#if(false)\na\n#else\nb\n#end\nc",
    "#if(false)\na\n#elseif(true)\nb\n#end\nc",
    "#if(true) y #end z",
    "#if(true)y#end   \nz",
    "#foreach($i in [1..3])\n$i\n#end\ndone",
    "#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end",
    "#foreach($i in [1..2])\n  #if($i == 1)\n    one\n  #else\n    two\n  #end\n#end",
    "#macro(m $a)\n[$a]\n#end\n#m(1)\n#m(2) x",
    "a ## comment\nb",
    "a #* block *# b",
    "  ## comment\nb",
    "#{if}(true)y#{else}n#{end}z",
    "#[[#if($x) raw $y #end]]#",
    "line1\n#set($a = 1)\nline2",
    "\\$a \\#if \\\\#if(true)x#end",
    "$nope $!nope ${nope} $!{nope} \\$nope",
    "$map.b$map.nope.x $!map.nope.x $map.a() $map.b.toUpperCase()",
    "{\"a\": \"$map.b\", \"n\": $map.a, \"l\": $list}",
    "#set($m = {})#set($m.k = \"v\")#set($m[\"j\"] = 2)$m",
    "#set($x = \"a\")#set($x = $nope)$x",
    "$i.toString().length() $d $l ${i}x $i-1\n",
];

fn context() -> Context<'static> {
    let mut ctx = Context::new();
    ctx.insert(
        "map",
        Value::map(vec![
            ("a".into(), Value::int(1)),
            ("b".into(), Value::string("x")),
            ("c".into(), Value::null()),
        ]),
    );
    ctx.insert(
        "list",
        Value::list(vec![
            Value::int(1),
            Value::string("two"),
            Value::double(3.5),
        ]),
    );
    ctx.insert("str", Value::string("Hello"));
    ctx.insert("i", Value::int(7));
    ctx.insert("l", Value::long(7));
    ctx.insert("d", Value::double(2.5));
    ctx.insert("t", Value::bool(true));
    ctx
}

/// Shows whitespace: `·` space, `→` tab, `␍` CR, `⏎` newline.
fn visible(s: &str) -> String {
    s.replace(' ', "·")
        .replace('\t', "→")
        .replace('\r', "␍")
        .replace('\n', "⏎\n")
}

#[test]
fn whitespace_table() {
    let opts = Options {
        null_rendering: NullRendering::Literal,
        ..Options::default()
    };
    let ctx = context();
    let mut table = String::new();
    for src in CASES {
        let t = Template::compile(src, &opts).unwrap();
        let out = t.render_to_string(&ctx).unwrap();
        table.push_str("--- template\n");
        table.push_str(&visible(src));
        table.push_str("\n--- output\n");
        table.push_str(&visible(&out));
        table.push_str("\n\n");
    }
    insta::assert_snapshot!(table);
}
