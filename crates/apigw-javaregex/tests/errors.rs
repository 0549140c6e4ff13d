//! Error kinds, positions and messages (Java's `PatternSyntaxException`
//! indexes; the differential test checks them against a JVM too).

use apigw_javaregex::{ErrorKind, JavaRegex, Limits, PatternSet};

fn err(p: &str) -> apigw_javaregex::Error {
    JavaRegex::new(p).expect_err(p)
}

#[test]
fn kinds_and_offsets() {
    let cases: &[(&str, ErrorKind, usize)] = &[
        ("*a", ErrorKind::DanglingMetaCharacter, 0),
        ("a**", ErrorKind::DanglingMetaCharacter, 2),
        ("{", ErrorKind::IllegalRepetition, 1),
        ("x{a}", ErrorKind::IllegalRepetition, 2),
        ("x{1", ErrorKind::UnclosedCountedClosure, 3),
        ("x{2,1}", ErrorKind::IllegalRepetitionRange, 5),
        ("x{2147483648}", ErrorKind::IllegalRepetitionRange, 11),
        ("((a)", ErrorKind::UnclosedGroup, 4),
        ("a)", ErrorKind::UnmatchedClosingParenthesis, 0),
        ("[a", ErrorKind::UnclosedCharacterClass, 1),
        ("[z-a]", ErrorKind::IllegalCharacterRange, 3),
        ("[a-\\d]", ErrorKind::IllegalCharacterRange, 4),
        ("\\g", ErrorKind::IllegalEscapeSequence, 1),
        ("\\xZZ", ErrorKind::IllegalNumericEscape, 2),
        ("\\p{Nope}", ErrorKind::UnknownProperty, 7),
        ("(?z)", ErrorKind::UnknownGroupSyntax, 2),
        ("(?<a>x)(?<a>y)", ErrorKind::GroupName, 11),
        ("\\k<b>", ErrorKind::GroupName, 4),
        ("\\G", ErrorKind::Unsupported, 1),
        ("\\X", ErrorKind::Unsupported, 1),
    ];
    for &(p, kind, offset) in cases {
        let e = err(p);
        assert_eq!((e.kind(), e.char_offset()), (kind, offset), "{p}: {e}");
        assert_eq!(e.pattern(), p);
    }
}

#[test]
fn offsets_count_chars_and_bytes() {
    let e = err("é😀(");
    assert_eq!(e.char_offset(), 3);
    assert_eq!(e.byte_offset(), "é😀(".len());
}

#[test]
fn budgets() {
    let long = "a".repeat(100);
    let limits = Limits {
        max_pattern_len: 99,
        ..Limits::default()
    };
    assert_eq!(
        JavaRegex::with_limits(&long, &limits).unwrap_err().kind(),
        ErrorKind::PatternTooLong
    );

    let deep = format!("{}a{}", "(".repeat(65), ")".repeat(65));
    assert_eq!(err(&deep).kind(), ErrorKind::NestTooDeep);
    let deep_class = format!("{}a{}", "[".repeat(70), "]".repeat(70));
    assert_eq!(err(&deep_class).kind(), ErrorKind::NestTooDeep);
    // Deep nesting far past the limit never overflows the stack.
    let very_deep = "(".repeat(60_000);
    assert_eq!(err(&very_deep).kind(), ErrorKind::NestTooDeep);

    assert_eq!(err("x{100000}").kind(), ErrorKind::CompiledTooBig);

    let limits = Limits {
        backtrack_limit: 1_000,
        ..Limits::default()
    };
    let re = JavaRegex::with_limits("(a|aa)*+(?=b)c|(a|aa)*c", &limits).unwrap();
    assert!(re.uses_backtracking());
    let s = "a".repeat(30);
    assert!(re.is_full_match(&s).is_err());
    assert!(!re.matches(&s));
    let set = PatternSet::with_limits(&["(a|aa)*+(?=b)c|(a|aa)*c", "a+"], &limits).unwrap();
    assert_eq!(
        set.first_match(&s),
        Some(1),
        "a pattern over budget counts as no match"
    );
}

#[test]
fn display_forms() {
    let mut out = String::new();
    for p in [
        "ab(c",
        "a{2,1}",
        "[z-a]",
        "\\p{Foo}",
        "(?<n>a)\\k<m>",
        "line1\n(",
        "\\G",
    ] {
        let e = err(p);
        out.push_str(&format!("--- {p:?}\n{e}\n{e:#}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn replacement_errors_are_java_messages() {
    let re = JavaRegex::new("(a)(?<n>b)").unwrap();
    let msg = |r: &str| re.replace_all("ab", r).unwrap_err().to_string();
    assert_eq!(msg("$3"), "illegal replacement: No group 3");
    assert_eq!(msg("${x}"), "illegal replacement: No group with name {x}");
    assert_eq!(
        msg("$"),
        "illegal replacement: Illegal group reference: group index is missing"
    );
    assert_eq!(msg("$x"), "illegal replacement: Illegal group reference");
    assert_eq!(
        msg("\\"),
        "illegal replacement: character to be escaped is missing"
    );
    assert_eq!(
        msg("${}"),
        "illegal replacement: named capturing group has 0 length name"
    );
    assert_eq!(re.replace_all("xyz", "$3").unwrap(), "xyz");
}

#[test]
fn set_error_names_the_pattern() {
    let e = PatternSet::new(&["a", "b", "(c"]).unwrap_err();
    assert_eq!(e.index(), 2);
    assert_eq!(e.error().kind(), ErrorKind::UnclosedGroup);
}
