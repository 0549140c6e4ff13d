//! References walked on a JSON tape (`$d.a.b`, `$d.tags[0]`, printed or passed on without
//! making the values on the way) read exactly what they read on the same JSON built in full
//! (`Value::from_json`): missing members, nulls, indexes out of range, steps on the wrong
//! kind of node, containers materialized or changed before the read, escapes, `$!`, macros.

use apigw_vtl::{Context, JsonText, Options, Template, Value};

/// JSON documents the templates below read (as `$d`, and as `$e` set from it).
const DOCS: &[&str] = &[
    r#"{"id": 1, "name": "doggie", "tags": ["a", "b\n", 3, null, {"k": "v"}, [7, [8]]]}"#,
    r#"{"a": {"b": {"c": "deep", "n": null, "l": [1.5, true, 12345678901]}}, "tags": []}"#,
    r#"{"a": [{"b": "x"}, {"b": "y", "b": "z"}], "tags": "not a list", "id": {"x": 1}}"#,
    r#"{"a\u0041": 1, "tags": [["é€"], "\"q\""], "name": null}"#,
    r#"[{"a": 1}, [2, 3], "s"]"#,
    "{}",
    "7",
];

/// Templates over `$e` (a slot holding the document) and `$d` (the context's).
const TEMPLATES: &[&str] = &[
    "$e.id $e.name $e.tags[0] $e.tags[1] $e.tags[2] $e.tags[3] $e.tags[4] $e.tags[4].k",
    "$e.tags[5][0] $e.tags[5][1][0] $e.tags[5][1][1] $e.tags[5][2] $e.tags[9]",
    "$e.a.b.c $e.a.b.n $e.a.b.l[0] $e.a.b.l[1] $e.a.b.l[2] $e.a.b.l[3] $e.a.b",
    "$e.a[0].b $e.a[1].b $e.a[2].b $e.a.b $e.aA $e.id.x $e.id.y",
    "$!e.missing.x $!e.tags[0].x $e.missing.x $e.tags[0].x $!e.a.b.n",
    "$e[0].a $e[1][1] $e[2] $e[3] $e.tags.size() $e.tags[0].length() $e.a.b.keySet()",
    "\\$e.tags[0] \\$e.a.b.c $e.class $e.tags.class $e.tags[0].class",
    "#set($x = $e.tags[0])$x #set($y = $e.a.b.l[2])$y #set($z = $e.tags[5])$z",
    "$e.name.toUpperCase() $e.tags[0].concat('!') $e.a.b.c.length() $e.tags.get(0)",
    "#if($e.tags[0])yes#else no#end #if($e.a.b.n)yes#else no#end #if($e.missing.x)y#end",
    "#set($e.tags[0] = 'z')$e.tags[0] $e.tags",
    "#set($e.a.b.c = 'changed')$e.a.b.c $e.a",
    "#set($dummy = $e.tags.add('more'))$e.tags[6] $e.tags",
    "#set($dummy = $e.put('id', 'new'))$e.id $e.tags[0]",
    "#macro(m $v)$v.tags[0] $v.a.b.c $v.id#end#m($e) #m($d)",
    "#foreach($t in $e.tags)$t.k $t[0] $t[1][0],#end",
    "$d.tags[0] $d.a.b.c $d.tags[0] $d.a.b.c",
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

#[test]
fn tape_paths_read_as_built_documents() {
    let options = Options::default();
    for body in TEMPLATES {
        // Each reference read twice: the first read resolves `$d`'s slot.
        let src = format!("#set($e = $d){body}|{body}");
        let template = Template::compile(&src, &options).unwrap();
        for doc in DOCS {
            let built = Value::from_json(doc.as_bytes(), Value::list).unwrap();
            let lazy = JsonText::parse(doc.as_bytes()).unwrap().value(Value::list);
            assert_eq!(
                render(&template, lazy),
                render(&template, built),
                "{src} over {doc}"
            );
        }
    }
}

#[test]
fn tape_paths_print_members_and_elements() {
    let options = Options::default();
    let text = JsonText::parse(
        br#"{"id": 1, "name": "dog\"gie", "tags": ["a", 2, 2.5, false, null], "o": {"p": [{"q": "deep"}]}}"#,
    )
    .unwrap();
    let template = Template::compile(
        "#set($r = $d)$r.tags[0]/$r.tags[1]/$r.tags[2]/$r.tags[3]/$r.tags[4]/$r.o.p[0].q/$r.name.length()/$r.o.p[0].q.length()",
        &options,
    )
    .unwrap();
    assert_eq!(
        render(&template, text.value(Value::list)),
        "a/2/2.5/false//deep/7/4"
    );
}
