//! Differential test of `apigw-vtl` against real Apache Velocity 1.7.
//!
//! Every template of `tests/differential/corpus/*.vtlcases` is rendered twice with the
//! fixed context of `tests/differential/context.json`: once by Velocity 1.7 (Java, through
//! `tests/differential/VtlOracle.java`, one JVM for the whole corpus) and once by this
//! crate with stock null handling (`NullRendering::Literal`). Outcomes (ok/error) and the
//! exact output bytes must agree, except for the cases listed in
//! `tests/differential/known-differences.txt`.
//!
//! Needs `java`, `javac` (JDK 17) and the Velocity 1.7 jars (Debian: `apt-get install -y
//! velocity openjdk-17-jdk-headless`); `VELOCITY_JARS` (a path list) overrides the search of
//! `/usr/share/java`. See `tests/differential/README.md`.
//!
//! Environment knobs: `VTL_DIFF_FILTER=substring` limits the detailed report to matching
//! case names (all cases still run and count); `VTL_DIFF_SHOW=N` (default 200) caps how many
//! differences are detailed on stdout (all of them go to `report.txt`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use apigw_vtl::{Context, NullRendering, Options, Template, Value};

const DIFF_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/differential");
const WORK_DIR: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/vtl-oracle");
const INSTALL_HINT: &str = "install the oracle with `apt-get update && apt-get install -y \
     velocity openjdk-17-jdk-headless` (Debian: velocity 1.7 pulls libcommons-collections3-java \
     and libcommons-lang-java; jars land in /usr/share/java), or point VELOCITY_JARS at \
     velocity-1.7.jar, commons-collections-3.x.jar and commons-lang-2.x.jar (a path list)";
/// How long one of our renders may take before it is reported as hanging.
const RENDER_TIMEOUT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------------------ corpus

/// One corpus case, read exactly as `VtlOracle.java` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Case {
    file: String,
    /// `<file stem>/<case name>`, unique over the corpus.
    name: String,
    flags: Vec<String>,
    source: String,
    /// The file's comment preamble starts with `GENERATED` (a tool wrote it): its cases are
    /// not checked against the `error` flag.
    generated: bool,
}

/// Parses one `.vtlcases` file. Keep in step with `VtlOracle.parseCases`:
/// a line starting with `=== ` starts a case (`=== name [flag ...]`), text before the first
/// header is a comment, the template runs to the start of the next header line (or end of
/// file) minus exactly one final `\n`; flag `crlf` turns every `\n` into `\r\n`, `cr` into
/// `\r`.
fn parse_cases(file_name: &str, stem: &str, text: &str) -> Result<Vec<Case>, String> {
    if text.contains('\r') {
        return Err(format!(
            "{file_name}: contains \\r; use the crlf/cr flags instead"
        ));
    }
    let mut headers = Vec::new();
    let mut pos = 0;
    loop {
        if text[pos..].starts_with("=== ") {
            headers.push(pos);
        }
        match text[pos..].find('\n') {
            Some(nl) => pos += nl + 1,
            None => break,
        }
    }
    let generated = text.starts_with("GENERATED");
    let mut cases = Vec::new();
    for (k, &h) in headers.iter().enumerate() {
        let eol = text[h..].find('\n').map(|n| h + n);
        let header = &text[h + 4..eol.unwrap_or(text.len())];
        let body_start = eol.map_or(text.len(), |e| e + 1);
        let body_end = headers.get(k + 1).copied().unwrap_or(text.len());
        let mut body = if body_start <= body_end {
            &text[body_start..body_end]
        } else {
            ""
        };
        if let Some(stripped) = body.strip_suffix('\n') {
            body = stripped;
        }
        let mut parts = header.split(' ').filter(|p| !p.is_empty());
        let Some(name) = parts.next() else {
            return Err(format!("{file_name}: empty case header at byte {h}"));
        };
        let flags: Vec<String> = parts.map(str::to_owned).collect();
        for flag in &flags {
            if !["crlf", "cr", "error"].contains(&flag.as_str()) {
                return Err(format!("{file_name}: case {name}: unknown flag {flag:?}"));
            }
        }
        let source = if flags.iter().any(|f| f == "crlf") {
            body.replace('\n', "\r\n")
        } else if flags.iter().any(|f| f == "cr") {
            body.replace('\n', "\r")
        } else {
            body.to_owned()
        };
        cases.push(Case {
            file: file_name.to_owned(),
            name: format!("{stem}/{name}"),
            flags,
            source,
            generated,
        });
    }
    Ok(cases)
}

fn read_corpus(dir: &Path) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".vtlcases")))
        .collect();
    // Java sorts by String.compareTo (UTF-16 order); the names are ASCII, so byte order agrees.
    files.sort();
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    for f in files {
        let file_name = f
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("non-UTF-8 corpus file name")?
            .to_owned();
        let stem = file_name.trim_end_matches(".vtlcases").to_owned();
        let text =
            std::fs::read_to_string(&f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        for case in parse_cases(&file_name, &stem, &text)? {
            if !seen.insert(case.name.clone()) {
                return Err(format!("duplicate case name {}", case.name));
            }
            all.push(case);
        }
    }
    Ok(all)
}

// ------------------------------------------------------------------------------ oracle

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok(Vec<u8>),
    /// Any parse or render error; the message is for the report only.
    Error(String),
}

impl Outcome {
    fn agrees_with(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Ok(a), Outcome::Ok(b)) => a == b,
            (Outcome::Error(_), Outcome::Error(_)) => true,
            _ => false,
        }
    }
}

struct OracleCase {
    name: String,
    source: Vec<u8>,
    outcome: Outcome,
}

fn find_jars() -> Result<Vec<PathBuf>, String> {
    if let Some(list) = std::env::var_os("VELOCITY_JARS") {
        let jars: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if jars.is_empty() {
            return Err(format!("VELOCITY_JARS is empty; {INSTALL_HINT}"));
        }
        for j in &jars {
            if !j.is_file() {
                return Err(format!(
                    "VELOCITY_JARS names {}, which does not exist; {INSTALL_HINT}",
                    j.display()
                ));
            }
        }
        return Ok(jars);
    }
    let dir = Path::new("/usr/share/java");
    let pick = |candidates: &[&str]| -> Option<PathBuf> {
        candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file())
    };
    let velocity = pick(&["velocity-1.7.jar", "velocity.jar"]);
    let collections = pick(&["commons-collections3.jar", "commons-collections3-3.2.2.jar"]);
    let lang = pick(&["commons-lang.jar", "commons-lang-2.6.jar"]);
    match (velocity, collections, lang) {
        (Some(v), Some(c), Some(l)) => Ok(vec![v, c, l]),
        (v, c, l) => Err(format!(
            "Velocity 1.7 jars not found in /usr/share/java (velocity: {}, \
             commons-collections3: {}, commons-lang 2: {}); {INSTALL_HINT}",
            v.is_some(),
            c.is_some(),
            l.is_some()
        )),
    }
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| {
        format!("cannot run {what} ({e}); a JDK 17 with `java` and `javac` on PATH is needed; {INSTALL_HINT}")
    })?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex: {e}")))
        .collect()
}

/// Compiles and runs `VtlOracle.java` once over the whole corpus.
fn run_oracle() -> Result<Vec<OracleCase>, String> {
    let jars = find_jars()?;
    let work = PathBuf::from(WORK_DIR);
    let classes = work.join("classes");
    std::fs::create_dir_all(&classes)
        .map_err(|e| format!("creating {}: {e}", classes.display()))?;
    let jar_path = std::env::join_paths(&jars).map_err(|e| e.to_string())?;
    let java_src = Path::new(DIFF_DIR).join("VtlOracle.java");
    run_tool(
        Command::new("javac")
            .arg("-encoding")
            .arg("UTF-8")
            .arg("-nowarn")
            .arg("-d")
            .arg(&classes)
            .arg("-cp")
            .arg(&jar_path)
            .arg(&java_src),
        "javac",
    )?;
    let mut cp = vec![classes];
    cp.extend(jars);
    let cp = std::env::join_paths(&cp).map_err(|e| e.to_string())?;
    // The JVM runs in the scratch dir, so nothing (e.g. a velocity.log) lands in the repo.
    let stdout = run_tool(
        Command::new("java")
            .current_dir(&work)
            .arg("-Dfile.encoding=UTF-8")
            .arg("-cp")
            .arg(&cp)
            .arg("VtlOracle")
            .arg(Path::new(DIFF_DIR).join("corpus"))
            .arg(Path::new(DIFF_DIR).join("context.json")),
        "java VtlOracle",
    )?;
    let doc: serde_json::Value =
        serde_json::from_slice(&stdout).map_err(|e| format!("oracle output is not JSON: {e}"))?;
    let version = doc["velocity"].as_str().unwrap_or("?");
    if version != "1.7" {
        return Err(format!(
            "the oracle jar is Velocity {version}, not 1.7; {INSTALL_HINT}"
        ));
    }
    let cases = doc["cases"]
        .as_array()
        .ok_or("oracle output has no cases")?;
    cases
        .iter()
        .map(|c| {
            let field = |k: &str| {
                c[k].as_str()
                    .ok_or_else(|| format!("oracle case lacks {k}"))
            };
            let outcome = match field("status")? {
                "ok" => Outcome::Ok(hex_decode(field("output")?)?),
                "error" => Outcome::Error(field("error")?.to_owned()),
                other => return Err(format!("bad oracle status {other}")),
            };
            Ok(OracleCase {
                name: field("name")?.to_owned(),
                source: hex_decode(field("source")?)?,
                outcome,
            })
        })
        .collect()
}

// ------------------------------------------------------------------------------ our side

/// JSON -> engine value with the same mapping as the Java side: integers that fit in i32
/// are ints, other integers longs, numbers with a fraction or exponent doubles.
fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::null(),
        serde_json::Value::Bool(b) => Value::bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(small) => Value::int(small),
                    Err(_) => Value::long(i),
                }
            } else if n.is_u64() {
                panic!("context.json: integer {n} does not fit in a Java long");
            } else {
                Value::double(n.as_f64().expect("finite JSON number"))
            }
        }
        serde_json::Value::String(s) => Value::string(s.as_str()),
        serde_json::Value::Array(items) => Value::list(items.iter().map(to_value).collect()),
        serde_json::Value::Object(members) => Value::map(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
    }
}

fn render_ours_inline(source: &str, context_json: &serde_json::Value) -> Outcome {
    let opts = Options {
        null_rendering: NullRendering::Literal,
        ..Options::default()
    };
    let tpl = match Template::compile(source, &opts) {
        Ok(t) => t,
        Err(e) => return Outcome::Error(format!("compile: {e}")),
    };
    let mut ctx = Context::new();
    if let serde_json::Value::Object(members) = context_json {
        for (k, v) in members {
            ctx.insert(k.as_str(), to_value(v));
        }
    }
    let mut out = String::new();
    match tpl.render(&ctx, &mut out) {
        Ok(()) => Outcome::Ok(out.into_bytes()),
        Err(e) => Outcome::Error(format!("render: {e}")),
    }
}

thread_local! {
    /// The message and location of the last panic on this render thread.
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keeps panics of render threads out of stderr (they are reported per case instead).
fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(RENDER_THREAD) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
}

const RENDER_THREAD: &str = "vtl-render";

/// Renders on a separate thread (large stack, timeout) so that a panic, a hang or deep
/// recursion in one case is reported as that case's mismatch instead of killing the run.
fn render_ours(source: &str, context_json: &Arc<serde_json::Value>) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let src = source.to_owned();
    let ctx = Arc::clone(context_json);
    let spawned = std::thread::Builder::new()
        .name(RENDER_THREAD.into())
        .stack_size(64 << 20)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| render_ours_inline(&src, &ctx));
            let outcome = result.unwrap_or_else(|_| {
                let msg = LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_default();
                Outcome::Error(format!("PANIC: {}", msg.replace('\n', " ")))
            });
            // The receiver may have given up (timeout); nothing to do then.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Outcome::Error(format!("PANIC: cannot spawn render thread: {e}"));
    }
    rx.recv_timeout(RENDER_TIMEOUT).unwrap_or_else(|_| {
        Outcome::Error(format!(
            "PANIC: no result within {RENDER_TIMEOUT:?} (hang?)"
        ))
    })
}

fn is_panic(o: &Outcome) -> bool {
    matches!(o, Outcome::Error(m) if m.starts_with("PANIC: "))
}

// ------------------------------------------------------------------------------ report

/// Rust-style escaping on one line: `\n`, `\r`, `\t`, `\\`, `\"`, other controls as `\u{..}`.
fn escaped(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// Multi-line view that shows whitespace: `·` space, `→` tab, `␍` CR, `⏎` end of line.
fn visible(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::from("      |");
    for ch in text.chars() {
        match ch {
            ' ' => out.push('·'),
            '\t' => out.push('→'),
            '\r' => out.push('␍'),
            '\n' => out.push_str("⏎\n      |"),
            c => out.push(c),
        }
    }
    out
}

/// Outputs longer than this are shown truncated in the report.
const SHOW_BYTES: usize = 4096;

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Ok(bytes) if bytes.len() > SHOW_BYTES => {
            let head = &bytes[..SHOW_BYTES];
            format!(
                "ok ({} bytes; first {SHOW_BYTES} shown) {}\n{}",
                bytes.len(),
                escaped(head),
                visible(head)
            )
        }
        Outcome::Ok(bytes) => format!("ok {}\n{}", escaped(bytes), visible(bytes)),
        Outcome::Error(msg) => {
            let first: String = msg.lines().next().unwrap_or("").chars().take(300).collect();
            format!("ERROR {first}")
        }
    }
}

/// `known-differences.txt`: `<case name> <reason...>` per line, `#` comments.
fn read_known_differences() -> Result<BTreeMap<String, String>, String> {
    let path = Path::new(DIFF_DIR).join("known-differences.txt");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut known = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line
            .split_once(char::is_whitespace)
            .map(|(n, r)| (n, r.trim()))
            .unwrap_or((line, ""));
        if reason.is_empty() {
            return Err(format!(
                "known-differences.txt:{}: {name} has no reason",
                n + 1
            ));
        }
        if known.insert(name.to_owned(), reason.to_owned()).is_some() {
            return Err(format!(
                "known-differences.txt:{}: {name} listed twice",
                n + 1
            ));
        }
    }
    Ok(known)
}

// ------------------------------------------------------------------------------ the test

#[test]
fn agrees_with_velocity_1_7() {
    let corpus = read_corpus(&Path::new(DIFF_DIR).join("corpus")).expect("corpus");
    let known = read_known_differences().expect("known differences");
    let context_text =
        std::fs::read_to_string(Path::new(DIFF_DIR).join("context.json")).expect("context.json");
    let context_json: Arc<serde_json::Value> =
        Arc::new(serde_json::from_str(&context_text).expect("context.json is JSON"));
    assert!(context_json.is_object(), "context.json must be an object");

    install_quiet_panic_hook();
    let oracle = match run_oracle() {
        Ok(o) => o,
        Err(e) => panic!("the Velocity 1.7 oracle is unavailable: {e}"),
    };

    // Both sides must have read the same corpus, byte for byte.
    let mut setup_errors = Vec::new();
    if oracle.len() != corpus.len() {
        setup_errors.push(format!(
            "oracle read {} cases, the Rust reader {}",
            oracle.len(),
            corpus.len()
        ));
    }
    for (ours, theirs) in corpus.iter().zip(&oracle) {
        if ours.name != theirs.name || ours.source.as_bytes() != theirs.source.as_slice() {
            setup_errors.push(format!(
                "corpus read differently: Rust {} {} vs Java {} {}",
                ours.name,
                escaped(ours.source.as_bytes()),
                theirs.name,
                escaped(&theirs.source)
            ));
        }
        // The `error` flag records the author's intent; it must match what Velocity does.
        let flagged = ours.flags.iter().any(|f| f == "error");
        let errored = matches!(theirs.outcome, Outcome::Error(_));
        if flagged != errored && !ours.generated {
            setup_errors.push(format!(
                "{}: flagged `error` = {flagged} but Velocity {} ({})",
                ours.name,
                if errored { "fails" } else { "renders it" },
                describe(&theirs.outcome)
            ));
        }
    }
    let names: HashSet<&str> = corpus.iter().map(|c| c.name.as_str()).collect();
    for name in known.keys() {
        if !names.contains(name.as_str()) {
            setup_errors.push(format!(
                "known-differences.txt lists {name}, which is not in the corpus"
            ));
        }
    }
    assert!(
        setup_errors.is_empty(),
        "differential setup is inconsistent:\n{}",
        setup_errors.join("\n")
    );

    let filter = std::env::var("VTL_DIFF_FILTER").unwrap_or_default();
    // Details of every difference go to report.txt; stdout gets the first `show` of them.
    let show: usize = std::env::var("VTL_DIFF_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut details = Vec::new();
    let mut known_details = Vec::new();
    let mut per_file: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut differ = 0usize;
    let mut panics = 0usize;
    let mut known_seen = Vec::new();
    let mut fixed_known = Vec::new();
    for (case, theirs) in corpus.iter().zip(&oracle) {
        let ours = render_ours(&case.source, &context_json);
        let agree = ours.agrees_with(&theirs.outcome);
        let entry = per_file.entry(case.file.as_str()).or_default();
        entry.1 += 1;
        if agree {
            entry.0 += 1;
        }
        if is_panic(&ours) {
            panics += 1;
        }
        match (agree, known.get(&case.name)) {
            (true, None) => continue,
            (true, Some(_)) => {
                fixed_known.push(case.name.clone());
                continue;
            }
            (false, Some(reason)) => known_seen.push(format!("{} ({reason})", case.name)),
            (false, None) => differ += 1,
        }
        if !filter.is_empty() && !case.name.contains(&filter) {
            continue;
        }
        let tag = if known.contains_key(&case.name) {
            "KNOWN DIFFERENCE"
        } else {
            "MISMATCH"
        };
        let mut d = String::new();
        let _ = writeln!(d, "==== {tag}: {}", case.name);
        let _ = writeln!(
            d,
            "  template: {}\n{}",
            escaped(case.source.as_bytes()),
            visible(case.source.as_bytes())
        );
        let _ = writeln!(d, "  velocity: {}", describe(&theirs.outcome));
        let _ = writeln!(d, "  ours:     {}", describe(&ours));
        // Real mismatches first, known differences after them.
        if known.contains_key(&case.name) {
            known_details.push(d);
        } else {
            details.push(d);
        }
    }

    details.append(&mut known_details);
    let total = corpus.len();
    let mut report = String::new();
    let _ = writeln!(report, "\n==== per corpus file (agree/total)");
    for (file, (ok, n)) in &per_file {
        let _ = writeln!(report, "  {file:<28} {ok:>4}/{n:<4}");
    }
    if !known_seen.is_empty() {
        let _ = writeln!(
            report,
            "\n==== {} known differences (not failures):",
            known_seen.len()
        );
        for k in &known_seen {
            let _ = writeln!(report, "  {k}");
        }
    }
    let agreeing = total - differ - known_seen.len();
    let _ = writeln!(
        report,
        "\n==== {agreeing} of {total} templates agree with Velocity 1.7 ({differ} differ, {} \
         known differences, {panics} panics/hangs)",
        known_seen.len()
    );
    // Keep the full report next to the compiled oracle for browsing.
    let report_path = Path::new(WORK_DIR).join("report.txt");
    let _ = std::fs::write(&report_path, format!("{}{report}", details.concat()));
    for d in details.iter().take(show) {
        print!("{d}");
    }
    if details.len() > show {
        println!(
            "\n==== {} more differences not shown (VTL_DIFF_SHOW={show}); all are in {}",
            details.len() - show,
            report_path.display()
        );
    }
    println!("{report}");

    let mut failures = Vec::new();
    if differ > 0 {
        failures.push(format!("{differ} of {total} templates differ"));
    }
    if !fixed_known.is_empty() {
        failures.push(format!(
            "these cases now agree with Velocity; remove them from known-differences.txt: {}",
            fixed_known.join(", ")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("; "));
}

// ------------------------------------------------------------------------------ format tests

#[test]
fn corpus_format_keeps_and_strips_newlines_exactly() {
    let text =
        "comment line\n=== a\nx\n=== b\nx\n\n=== c crlf\n1\n2\n\n=== d\n\n=== e\n=== f\nlast";
    let cases = parse_cases("t.vtlcases", "t", text).unwrap();
    let got: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.name.as_str(), c.source.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("t/a", "x"),
            ("t/b", "x\n"),
            ("t/c", "1\r\n2\r\n"),
            ("t/d", ""),
            ("t/e", ""),
            ("t/f", "last"),
        ]
    );
    let with_final_newline = parse_cases("t.vtlcases", "t", "=== a\nx\n").unwrap();
    assert_eq!(with_final_newline[0].source, "x");
    let two_final = parse_cases("t.vtlcases", "t", "=== a\nx\n\n").unwrap();
    assert_eq!(two_final[0].source, "x\n");
    let header_at_eof = parse_cases("t.vtlcases", "t", "=== a").unwrap();
    assert_eq!(header_at_eof[0].source, "");
    let cr = parse_cases("t.vtlcases", "t", "=== a cr error\n1\n2").unwrap();
    assert_eq!(cr[0].source, "1\r2");
    assert_eq!(cr[0].flags, vec!["cr", "error"]);
    // `===` not followed by a space, or not at the start of a line, is template text.
    let inner = parse_cases("t.vtlcases", "t", "=== a\n===x\n a === b\n").unwrap();
    assert_eq!(inner[0].source, "===x\n a === b");
    assert!(parse_cases("t.vtlcases", "t", "=== a\r\nx").is_err());
    assert!(parse_cases("t.vtlcases", "t", "=== a bogus\nx").is_err());
}

#[test]
fn corpus_is_well_formed() {
    let corpus = read_corpus(&Path::new(DIFF_DIR).join("corpus")).expect("corpus");
    assert!(
        corpus.len() >= 350,
        "corpus has only {} cases",
        corpus.len()
    );
    let known = read_known_differences().expect("known differences");
    let names: HashSet<&str> = corpus.iter().map(|c| c.name.as_str()).collect();
    for name in known.keys() {
        assert!(
            names.contains(name.as_str()),
            "known-differences.txt lists unknown case {name}"
        );
    }
}

#[test]
fn context_maps_numbers_like_the_java_side() {
    let v: serde_json::Value =
        serde_json::from_str(r#"{"i": 2147483647, "l": 2147483648, "d": 1e10, "z": -0.0}"#)
            .unwrap();
    assert!(v["i"].as_i64().is_some_and(|i| i32::try_from(i).is_ok()));
    assert!(v["l"].as_i64().is_some_and(|i| i32::try_from(i).is_err()));
    assert!(v["d"].is_f64());
    let z = v["z"].as_f64().unwrap();
    assert!(
        z == 0.0 && z.is_sign_negative(),
        "-0.0 must stay negative zero"
    );
}
