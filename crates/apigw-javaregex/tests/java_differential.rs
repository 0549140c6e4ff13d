//! Differential test against OpenJDK's `java.util.regex`.
//!
//! The corpus (`tests/corpus/*.txt`, format described at the top of each
//! file) is turned into one request file, `tests/java/JavaRegexOracle.java`
//! is compiled with `javac` and run ONCE for the whole corpus, and every
//! answer is compared with this crate's. `javac`/`java` must be installed
//! (CI installs a JDK); without them this test fails.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use apigw_javaregex::JavaRegex;

/// Java's `\b` and a non-spacing mark that follows no letter or digit.
const ORPHAN_MARK: &str = "a non-spacing mark that does not follow a letter or digit: Java's \\b treats it \
     as a non-word character, we always treat marks as word characters (the exact rule needs a \
     variable-length look-behind that doubles compile time)";

/// Cases where we knowingly differ from Java: (pattern, op, input, reason).
/// A case listed here is still run; it is reported, not failed. A listed
/// case that agrees with Java fails the test, so the list stays honest.
const KNOWN_DIFFERENCES: &[(&str, char, &str, &str)] = &[
    (
        "(?:b|x??)+",
        'f',
        "bx",
        "a loop iteration that may match empty: Java takes the empty iteration and leaves the loop, \
         the Rust engines skip it and try the next choice (x), so the match is longer",
    ),
    ("\\b", 'f', "\u{301}a", ORPHAN_MARK),
    ("\\b", 'f', "-\u{301}", ORPHAN_MARK),
    ("\\b", 'f', "_\u{301}x", ORPHAN_MARK),
    ("\\B", 'f', "\u{301}a \u{301}", ORPHAN_MARK),
    ("\\b\u{301}", 'f', "a\u{301} -\u{301} \u{301}", ORPHAN_MARK),
    (
        "\\X",
        'p',
        "",
        "\\X (grapheme clusters) is rejected as unsupported",
    ),
    (
        "\\b{g}",
        'p',
        "",
        "\\b{g} (grapheme boundaries) is rejected as unsupported",
    ),
    (
        "\\N{LATIN SMALL LETTER A}",
        'p',
        "",
        "\\N{name} needs Unicode name tables; rejected as unsupported",
    ),
    ("a\\Gb", 'p', "", "\\G is rejected as unsupported"),
    (
        "x{100000}",
        'p',
        "",
        "repetition count exceeds the 1 MiB compiled-size budget",
    ),
    (
        "",
        'a',
        "😀",
        "Java can match between the two UTF-16 halves of a supplementary character",
    ),
    (
        "(a?)*",
        'a',
        "aa",
        "a group in a loop whose last iteration matches empty: Java reports the empty iteration, Rust the last non-empty one",
    ),
    (
        "(?iu)aß",
        'm',
        "Aẞ",
        "Java folds a run of literals (a slice) differently from a single literal under (?iu); we use the single-literal rule",
    ),
    ("(?c)a", 'p', "", "(?c) CANON_EQ is rejected as unsupported"),
    (
        "x{2147483647}",
        'p',
        "",
        "repetition count exceeds the 1 MiB compiled-size budget",
    ),
    (
        "(?<=xa{1,2147483646}?)",
        'p',
        "",
        "repetition count exceeds the 1 MiB compiled-size budget",
    ),
    (
        "x*",
        'f',
        "😀😀",
        "Java can match between the two UTF-16 halves of a supplementary character",
    ),
    (
        "x*",
        'a',
        "é😀",
        "Java can match between the two UTF-16 halves of a supplementary character",
    ),
    (
        "",
        'f',
        "é😀",
        "Java can match between the two UTF-16 halves of a supplementary character",
    ),
    (
        "",
        's',
        "😀é",
        "Java can match between the two UTF-16 halves of a supplementary character",
    ),
];

struct Case {
    line: usize,
    pattern: String,
    op: char,
    input: String,
    arg: String,
}

/// Decodes `«HEX»` escapes (one code point each).
fn decode(s: &str, file: &str, line: usize) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('«') {
        out.push_str(&rest[..i]);
        let after = &rest[i + '«'.len_utf8()..];
        let j = after
            .find('»')
            .unwrap_or_else(|| panic!("{file}:{line}: unclosed «"));
        let cp = u32::from_str_radix(&after[..j], 16)
            .unwrap_or_else(|_| panic!("{file}:{line}: bad «{}»", &after[..j]));
        out.push(char::from_u32(cp).unwrap_or_else(|| panic!("{file}:{line}: not a char: {cp:X}")));
        rest = &after[j + '»'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

fn load_corpus(dir: &Path) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).expect("read corpus");
        let mut pattern: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut chars = raw.chars();
            let op = chars.next().unwrap();
            let rest = chars.as_str();
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let (field, arg) = match (rest.strip_prefix("⇒ "), rest.split_once(" ⇒ ")) {
                (Some(b), _) => ("", b),
                (None, Some((a, b))) => (a, b),
                (None, None) => (rest, ""),
            };
            let field = decode(field, &name, line);
            let arg = decode(arg, &name, line);
            match op {
                'p' => {
                    pattern = Some(field.clone());
                    cases.push(Case {
                        line,
                        pattern: field,
                        op: 'p',
                        input: String::new(),
                        arg: String::new(),
                    });
                }
                'm' | 'f' | 'a' | 'r' | 's' => {
                    let pattern = pattern
                        .clone()
                        .unwrap_or_else(|| panic!("{name}:{line}: no pattern yet"));
                    if op == 's' {
                        arg.parse::<i32>()
                            .unwrap_or_else(|_| panic!("{name}:{line}: split needs ⇒ limit"));
                    }
                    cases.push(Case {
                        line,
                        pattern,
                        op,
                        input: field,
                        arg,
                    });
                }
                _ => panic!("{name}:{line}: unknown op {op:?}"),
            }
        }
    }
    cases
}

fn hex(s: &str) -> String {
    s.bytes().fold(String::new(), |mut acc, b| {
        let _ = write!(acc, "{b:02x}");
        acc
    })
}

fn unhex(h: &str) -> String {
    let bytes: Vec<u8> = (0..h.len() / 2)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn find_tool(name: &str) -> PathBuf {
    if let Ok(home) = std::env::var("JAVA_HOME") {
        let p = Path::new(&home).join("bin").join(name);
        if p.exists() {
            return p;
        }
    }
    let ok = Command::new(name)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{name}` not found: the Java differential test needs a JDK (17) on PATH or in JAVA_HOME. \
         Install one (e.g. `apt-get install openjdk-17-jdk-headless`); this test never passes without it."
    );
    PathBuf::from(name)
}

/// What Java said, normalised for comparison.
#[derive(Debug, PartialEq)]
enum Answer {
    CompileError(Option<usize>),
    Compiled,
    Matches(bool),
    Spans(Vec<(usize, usize)>),
    Replaced(String),
    ReplaceFailed,
    Split(Vec<String>),
}

fn parse_java(line: &str) -> Answer {
    let f: Vec<&str> = line.split('\t').collect();
    match f[0] {
        "E" => Answer::CompileError(f[1].parse().ok()),
        "K" => Answer::Compiled,
        "T" => Answer::Matches(true),
        "N" => Answer::Matches(false),
        "L" => Answer::Spans(
            f[1].split(';')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let (a, b) = s.split_once(',').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect(),
        ),
        "R" => Answer::Replaced(unhex(f[1])),
        "X" => Answer::ReplaceFailed,
        "S" => {
            let n: usize = f[1].parse().unwrap();
            Answer::Split(f[2].split(',').take(n).map(unhex).collect())
        }
        other => panic!("unexpected oracle answer {other:?} ({line})"),
    }
}

fn rust_answer(c: &Case) -> Answer {
    let re = match JavaRegex::new(&c.pattern) {
        Ok(re) => re,
        Err(e) => return Answer::CompileError(Some(e.char_offset())),
    };
    match c.op {
        'p' => Answer::Compiled,
        'm' => Answer::Matches(re.is_full_match(&c.input).expect("budget")),
        'f' => Answer::Spans(
            re.find_all(&c.input)
                .expect("budget")
                .into_iter()
                .map(|r| (r.start, r.end))
                .collect(),
        ),
        'a' => re
            .replace_all(&c.input, &c.arg)
            .map_or(Answer::ReplaceFailed, Answer::Replaced),
        'r' => re
            .replace_first(&c.input, &c.arg)
            .map_or(Answer::ReplaceFailed, Answer::Replaced),
        's' => Answer::Split(re.split(&c.input, c.arg.parse().unwrap())),
        _ => unreachable!(),
    }
}

/// Compiles the Java oracle (once per test binary) and returns its class directory.
fn oracle_classes() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("javaregex-oracle");
        std::fs::create_dir_all(&work).unwrap();
        let javac = find_tool("javac");
        let status = Command::new(&javac)
            .arg("-d")
            .arg(&work)
            .arg(root.join("tests/java/JavaRegexOracle.java"))
            .status()
            .expect("run javac");
        assert!(status.success(), "javac failed");
        work
    })
}

/// Runs every case through ONE JVM and returns the answer lines.
fn run_oracle(name: &str, cases: &[Case]) -> String {
    let work = oracle_classes();
    let java = find_tool("java");
    let mut req = String::new();
    for c in cases {
        let op = match c.op {
            'p' => "C",
            'm' => "M",
            'f' => "F",
            'a' => "A",
            'r' => "P",
            's' => "S",
            _ => unreachable!(),
        };
        let _ = writeln!(
            req,
            "{op}\t{}\t{}\t{}",
            hex(&c.pattern),
            hex(&c.input),
            hex(&c.arg)
        );
    }
    let req_path = work.join(format!("{name}-requests.txt"));
    let ans_path = work.join(format!("{name}-answers.txt"));
    std::fs::write(&req_path, req).unwrap();
    let out = Command::new(&java)
        .arg("-Xss64m")
        .arg("-cp")
        .arg(work)
        .arg("JavaRegexOracle")
        .arg(&req_path)
        .arg(&ans_path)
        .output()
        .expect("run java");
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&ans_path).unwrap()
}

/// Normalises a compile error for comparison (indexes are compared apart).
fn strip_index(a: Answer) -> Answer {
    match a {
        Answer::CompileError(_) => Answer::CompileError(None),
        a => a,
    }
}

/// A small deterministic generator (xorshift64*), so the random test needs
/// no extra dependency and every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const ATOMS: &[&str] = &[
    "a",
    "b",
    "é",
    "😀",
    "\\n",
    "\\r",
    ".",
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\s",
    "\\S",
    "\\h",
    "\\v",
    "\\R",
    "\\b",
    "\\B",
    "^",
    "$",
    "\\A",
    "\\z",
    "\\Z",
    "\\Qa.\\E",
    "[a-c]",
    "[^a]",
    "[a-z&&[^b]]",
    "[a[bc]]",
    "\\p{Alpha}",
    "\\p{L}",
    "\\p{Lu}",
    "\\p{InGreek}",
    "\\x41",
    "\\u00e9",
    "\\x{1F600}",
    "\\0101",
    "\\t",
    "(?i)",
    "(?s)",
    "(?m)",
    "(?d)",
    "(?u)",
    "(?U)",
    "(?x)",
    " ",
    "#",
    "}",
    "]",
    "\\1",
    "-",
    "\\cA",
    "[\\w&&\\D]",
    "[^\\s\\d]",
    "\\p{Punct}",
    "(?-i)",
    "(?i:b)",
    "[A-Z]",
    "\\p{javaLowerCase}",
    "[é-ü]",
    "K",
    "k",
    "\\u212A",
    "\\k<n>",
    "\\2",
    "(?iu)",
    "[^\\p{L}]",
    "\\P{L}",
    "\\p{IsLatin}",
    "\\x{e9}",
    "[\\Q]\\E-]",
    "(?i)[^a-c]",
    "[a-c&&b]",
    "\\p{Upper}",
    "(?U)\\w",
    "\\S\\s",
    "(?m)$",
    "(?m)^",
    "\\Z\\n?",
    "[ab]{1,3}",
    "\\.",
    "\\$",
    "[\\[]",
    "(?x) a #c\n",
    "  ",
    "\t",
    "\\ ",
    "[ a]",
    "{2, 3}",
    "a {2}",
    "\\Q \\E",
    "(?-x)",
    "\\p{ L}",
    "(?< n>a)",
];
const QUANTS: &[&str] = &[
    "", "", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "*+", "++", "?+",
    "{2}?",
];
const OPENS: &[&str] = &[
    "(", "(?:", "(?i:", "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?<n>",
];
/// Input pieces; no supplementary characters, where Java's UTF-16 search
/// differs by design (see KNOWN_DIFFERENCES).
const PIECES: &[&str] = &[
    "a", "b", "A", "B", "é", "É", "\n", "\r", "\r\n", "\u{2028}", "\u{85}", " ", "1", "_", "-",
    ".", "k", "K", "\u{212A}", "α",
];

fn random_pattern(rng: &mut Rng, depth: usize) -> String {
    let r = rng.below(100);
    if depth > 3 || r < 50 {
        return format!("{}{}", rng.pick(ATOMS), rng.pick(QUANTS));
    }
    if r < 75 {
        let n = 1 + rng.below(3);
        return (0..n).map(|_| random_pattern(rng, depth + 1)).collect();
    }
    if r < 85 {
        return format!(
            "{}|{}",
            random_pattern(rng, depth + 1),
            random_pattern(rng, depth + 1)
        );
    }
    let open = rng.pick(OPENS);
    let body = random_pattern(rng, depth + 1);
    format!("{open}{body}){}", rng.pick(QUANTS))
}

fn random_input(rng: &mut Rng) -> String {
    let n = rng.below(9);
    (0..n).map(|_| rng.pick(PIECES)).collect()
}

/// 1500 random patterns from a Java grammar (valid and invalid), each
/// compiled and run with matches, find, replaceAll and split, compared with
/// Java in one JVM run.
#[test]
fn random_patterns_agree_with_java() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = Vec::new();
    for line in 0..1500 {
        let pattern = random_pattern(&mut rng, 0);
        let mut push = |op: char, input: String, arg: &str| {
            cases.push(Case {
                line,
                pattern: pattern.clone(),
                op,
                input,
                arg: arg.to_owned(),
            });
        };
        push('p', String::new(), "");
        push('m', random_input(&mut rng), "");
        push('m', random_input(&mut rng), "");
        push('f', random_input(&mut rng), "");
        push('a', random_input(&mut rng), "<$0>");
        let limit = ["0", "-1", "2"][rng.below(3)];
        push('s', random_input(&mut rng), limit);
    }
    let answers = run_oracle("random", &cases);
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), cases.len());
    let mut failures = Vec::new();
    for (c, a) in cases.iter().zip(&answers) {
        let java = strip_index(parse_java(a));
        let rust = strip_index(rust_answer(c));
        if java != rust {
            failures.push(format!(
                "pattern {:?} op {} input {:?} arg {:?}\n    java: {java:?}\n    rust: {rust:?}",
                c.pattern, c.op, c.input, c.arg
            ));
        }
    }
    eprintln!(
        "random differential: {} cases, {} disagreements",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements with Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn agrees_with_java() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = load_corpus(&root.join("tests/corpus"));
    assert!(cases.len() >= 600, "corpus has only {} cases", cases.len());

    let answers = run_oracle("corpus", &cases);
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(
        answers.len(),
        cases.len(),
        "oracle answered {} of {} cases",
        answers.len(),
        cases.len()
    );

    let mut failures = Vec::new();
    let mut known_seen = Vec::new();
    let mut agree = 0;
    let (mut index_cases, mut index_agree, mut index_diffs) = (0, 0, Vec::<String>::new());
    for (c, a) in cases.iter().zip(&answers) {
        let rust = rust_answer(c);
        let java = parse_java(a);
        // Error indexes are compared separately (reported, not failed).
        let (java, rust) = match (java, rust) {
            (Answer::CompileError(j), Answer::CompileError(r)) => {
                if c.op == 'p' {
                    index_cases += 1;
                    if j == r {
                        index_agree += 1;
                    } else {
                        index_diffs.push(format!("{:?}: java {j:?} rust {r:?}", c.pattern));
                    }
                }
                (Answer::CompileError(None), Answer::CompileError(None))
            }
            (Answer::CompileError(_), r) => (Answer::CompileError(None), r),
            (j, Answer::CompileError(_)) => (j, Answer::CompileError(None)),
            (j, r) => (j, r),
        };
        let known = KNOWN_DIFFERENCES
            .iter()
            .find(|k| k.0 == c.pattern && k.1 == c.op && k.2 == c.input);
        if java == rust {
            agree += 1;
            if let Some(k) = known {
                failures.push(format!(
                    "line {}: listed as known difference but agrees now: {:?}",
                    c.line, k
                ));
            }
        } else if let Some(k) = known {
            known_seen.push(format!("{:?} {} {:?}: {}", c.pattern, c.op, c.input, k.3));
        } else {
            failures.push(format!(
                "line {}: pattern {:?} op {} input {:?} arg {:?}\n    java: {:?}\n    rust: {:?}\n    translation: {:?}",
                c.line,
                c.pattern,
                c.op,
                c.input,
                c.arg,
                java,
                rust,
                JavaRegex::new(&c.pattern).map(|r| r.translations().1.to_owned()).ok()
            ));
        }
    }
    eprintln!(
        "java differential: {} cases, {agree} agree ({:.1} %), {} known differences",
        cases.len(),
        100.0 * agree as f64 / cases.len() as f64,
        known_seen.len()
    );
    eprintln!("error index agrees with Java for {index_agree} of {index_cases} rejected patterns");
    for d in &index_diffs {
        eprintln!("  index: {d}");
    }
    for k in &known_seen {
        eprintln!("  known: {k}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
