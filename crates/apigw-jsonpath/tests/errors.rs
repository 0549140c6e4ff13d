//! Parse errors: kinds, columns and both Display forms (snapshotted).

use std::fmt::Write as _;

use apigw_jsonpath::{ErrorKind, JsonPath, Limits};

/// (path, expected kind, expected 1-based column)
const CASES: &[(&str, ErrorKind, usize)] = &[
    ("", ErrorKind::Empty, 1),
    ("   ", ErrorKind::Empty, 4),
    ("$a", ErrorKind::Syntax, 2),
    ("$.", ErrorKind::Syntax, 2),
    ("$.a.", ErrorKind::Syntax, 4),
    ("$..", ErrorKind::Syntax, 3),
    ("$...a", ErrorKind::Syntax, 4),
    ("$.a b", ErrorKind::Syntax, 4),
    ("$. a", ErrorKind::Syntax, 3),
    ("$['a'] ['b']", ErrorKind::Syntax, 7),
    ("$[", ErrorKind::Syntax, 2),
    ("$.a[0", ErrorKind::Syntax, 4),
    ("$['a'", ErrorKind::Syntax, 2),
    ("$['a' 'b']", ErrorKind::Syntax, 7),
    ("$['a',]", ErrorKind::Syntax, 7),
    ("$['a',\"b\"]", ErrorKind::Syntax, 7),
    ("$[a]", ErrorKind::Syntax, 3),
    ("$[0a]", ErrorKind::Syntax, 4),
    ("$[1,,2]", ErrorKind::Syntax, 5),
    ("$[-]", ErrorKind::Syntax, 3),
    ("$[99999999999]", ErrorKind::InvalidIndex, 3),
    ("$[1: 2]", ErrorKind::Syntax, 5),
    ("$[:]", ErrorKind::Syntax, 3),
    ("$[*", ErrorKind::Syntax, 4),
    ("$[?@.x]", ErrorKind::Syntax, 4),
    ("$[?(@.x]", ErrorKind::Syntax, 9),
    ("$[?(@.x > )]", ErrorKind::Syntax, 11),
    ("$[?(@.x ~ 1)]", ErrorKind::Syntax, 9),
    ("$[?(1)]", ErrorKind::Syntax, 6),
    ("$[?(@x)]", ErrorKind::Syntax, 6),
    ("$[?(@.x == 'a)]", ErrorKind::Syntax, 12),
    ("$[?(@.x =~ /a/)]", ErrorKind::Unsupported, 9),
    ("$[?(@.x anyof ['a'])]", ErrorKind::Unsupported, 9),
    ("$[?(@.x in [])]", ErrorKind::Unsupported, 12),
    ("$[?(@.x in $.y)]", ErrorKind::Unsupported, 12),
    ("$[?('a' in ['a'])]", ErrorKind::Unsupported, 5),
    ("$[?(@.x in [@.y])]", ErrorKind::Unsupported, 13),
    ("$[?(@.x in ['a' 'b'])]", ErrorKind::Syntax, 17),
    ("$[?(@.x == /a/)]", ErrorKind::Unsupported, 12),
    ("$[?(@.x == {})]", ErrorKind::Unsupported, 12),
    ("$[?(@.x[*] == 1)]", ErrorKind::Unsupported, 8),
    ("$[?(@.length() > 1)]", ErrorKind::Unsupported, 7),
    ("$[?]", ErrorKind::Unsupported, 3),
    ("$.a.min()", ErrorKind::Unsupported, 5),
    ("$.a.nope()", ErrorKind::Syntax, 5),
    ("$.a.length(1)", ErrorKind::Unsupported, 12),
    ("$.a.length().b", ErrorKind::Unsupported, 13),
    ("$.a(", ErrorKind::Syntax, 4),
    ("$.a[*].length()", ErrorKind::Unsupported, 8),
    ("$[?(@ == $.x)][0,1]", ErrorKind::Unsupported, 15),
    ("$..[0,1]", ErrorKind::Unsupported, 4),
    ("$..['a','b']", ErrorKind::Unsupported, 4),
    ("$..[?(@.a)]", ErrorKind::Unsupported, 4),
    ("$..[0].a", ErrorKind::Unsupported, 4),
    ("$.a[*]['x','y']", ErrorKind::Unsupported, 7),
    ("$.a[-3:-1]", ErrorKind::Unsupported, 4),
    ("$.a[1:-1]", ErrorKind::Unsupported, 4),
    ("$['\\u12']", ErrorKind::Syntax, 4),
    ("$['\\ud800']", ErrorKind::Syntax, 4),
    ("€.a b", ErrorKind::Syntax, 4),
    ("$['é'] x y", ErrorKind::Syntax, 7),
];

#[test]
fn kinds_and_columns() {
    let mut bad = Vec::new();
    for &(path, kind, column) in CASES {
        let err = match JsonPath::parse(path) {
            Ok(p) => {
                bad.push(format!("{path:?} parsed: {p:?}"));
                continue;
            }
            Err(e) => e,
        };
        if (err.kind(), err.column()) != (kind, column) {
            bad.push(format!(
                "{path:?}: got {:?} col {}: {err:#}",
                err.kind(),
                err.column()
            ));
        }
        assert_eq!(err.path(), path);
        // The column and the byte offset describe the same position.
        assert_eq!(
            path[..err.offset()].chars().count() + 1,
            err.column(),
            "{path:?}"
        );
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn messages_snapshot() {
    let mut out = String::new();
    for &(path, _, _) in CASES {
        let err = JsonPath::parse(path).unwrap_err();
        writeln!(out, "{path:?}\n{err}\n{err:#}\n").unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn body_suffix_columns_are_relative_to_the_suffix() {
    let err = JsonPath::parse_body_suffix("items[0.id").unwrap_err();
    assert_eq!(err.column(), 6);
    assert_eq!(
        format!("{err:#}"),
        "invalid JSONPath: '[' is never closed with ']' at column 6\n  items[0.id\n       ^"
    );
}

#[test]
fn limits() {
    let long = format!("$.{}", "a".repeat(5000));
    let err = JsonPath::parse(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLong);
    assert!(err.is_limit());
    assert_eq!(err.column(), 4097);

    let deep = format!("$[?({}@.a{})]", "(".repeat(40), ")".repeat(40));
    let err = JsonPath::parse(&deep).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooDeep);

    let mut limits = Limits::default();
    limits.max_nesting = 64;
    assert!(JsonPath::parse_with_limits(&deep, &limits).is_ok());

    let nots = format!("$[?({}@.a)]", "!".repeat(40));
    assert_eq!(
        JsonPath::parse(&nots).unwrap_err().kind(),
        ErrorKind::TooDeep
    );

    // A long `in` list repeats its (long) path in the translation.
    let list = vec!["1"; 600].join(",");
    let wide_in = format!("$[?(@.{} in [{list}])]", "a".repeat(100));
    assert!(wide_in.len() < 4096);
    assert_eq!(
        JsonPath::parse(&wide_in).unwrap_err().kind(),
        ErrorKind::TooLong
    );

    let nested_filters = format!("${}", "[?(@.a".repeat(40)) + &")]".repeat(40);
    assert_eq!(
        JsonPath::parse(&nested_filters).unwrap_err().kind(),
        ErrorKind::TooDeep
    );
}
