//! Checks an API Gateway (REST API) definition without running it.
//!
//! Input is an OpenAPI export (Swagger 2.0 or OpenAPI 3.x, JSON or YAML, with the
//! `x-amazon-apigateway-*` extensions) or an apigw-control state directory (the proxy's
//! `--state-dir`, read without taking its lock). Every problem names the file, a JSON
//! pointer (RFC 6901) into it, and, for problems inside a template or a selection pattern,
//! the line and column there (1-based, columns in characters).
//!
//! ```
//! use apigw_lint::{Severity, lint_source};
//!
//! let doc = br#"
//! swagger: "2.0"
//! info: {title: pets}
//! paths:
//!   /pets:
//!     get:
//!       responses: {"200": {description: ok}}
//!       x-amazon-apigateway-integration:
//!         type: http
//!         httpMethod: GET
//!         uri: https://example.com/pets
//!         responses:
//!           default:
//!             statusCode: 200
//!             responseTemplates: {application/json: '$util.toJson($input.body)'}
//! "#;
//! let report = lint_source("pets.yaml", doc);
//! assert!(report.has_errors());
//! assert_eq!(
//!     report.to_text().lines().next().unwrap(),
//!     "pets.yaml:/paths/~1pets/get/x-amazon-apigateway-integration/responses/default/\
//!      responseTemplates/application~1json: error[unknown-util]: $util.toJson(…) does not \
//!      exist in API Gateway, whose $util has only escapeJavaScript, parseJson, urlEncode, \
//!      urlDecode, base64Encode, base64Decode; the reference renders as written \
//!      (line 1, column 7)"
//! );
//! assert_eq!(report.problems[0].severity, Severity::Error);
//! ```
//!
//! # Rules
//!
//! | id | severity | finds |
//! | --- | --- | --- |
//! | `aws-validation` | error | what AWS refuses at put time, with AWS's text (SPEC §8.2–8.3): an OpenAPI document is imported piece by piece through apigw-control's own import, a state file replayed through the `Put*` operations, so the texts are apigw-control's |
//! | `regex-syntax` | error | a `selectionPattern` Java cannot compile (it never matches); position from the regex error index |
//! | `several-defaults` | error | a second integration response without pattern (SPEC §2.9: AWS's choice is undocumented) |
//! | `matches-success` | warning | a Lambda selection pattern that matches `""`, the selection value of a successful invocation (SPEC §2.3), so successes get its status |
//! | `overlapping-patterns` | warning | two selection patterns that match a common selection value (SPEC §2.8); exact for status codes, a DFA product search for Lambda `errorMessage`s (see below) |
//! | `overlap-unchecked` | note | a Lambda pattern whose overlap could not be decided (backtracking constructs, DFA or search budget) |
//! | `missing-method-response` | error | an integration response `statusCode` without a method response (500 at runtime, SPEC §2.10) |
//! | `duplicate-status-code` | warning | OpenAPI responses sharing a `statusCode`: the import keeps only the later one |
//! | `unknown-util` | error | `$util.x` other than escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode |
//! | `vtl-parse-include` | error | `#parse` / `#include` (no file system) |
//! | `vtl-syntax` | error | a template that does not compile (Velocity 1.7 grammar, budgets) |
//! | `invalid-jsonpath` | error | `$input.path('…')` / `$input.json('…')` with a literal path that does not parse |
//! | `unsupported-jsonpath` | warning | such a path that Jayway accepts but this gateway does not implement |
//! | `binary-template` | error | a non-empty template on a response with `contentHandling: CONVERT_TO_BINARY`: the converted body is always binary, and a template on a binary body fails (SPEC §6.5) |
//! | `binary-media-type-never-matches` | warning | a `binaryMediaTypes` entry no media type can match (SPEC §6.2) |
//!
//! Selection rules (`several-defaults`, `matches-success`, `overlapping-patterns`,
//! `missing-method-response`)
//! skip `HTTP_PROXY` / `AWS_PROXY` integrations, whose integration responses are not used.
//! Template rules cover integration request templates, integration response templates and
//! gateway response templates. In a state directory, every working definition and every
//! deployment a stage serves is checked; `aws-validation` replays each through the ordinary
//! operations (`CreateResource`, `PutMethod`, …, `PutIntegrationResponse`) on an in-memory
//! store, so a state the store wrote passes and a hand-edited one gets AWS's texts.
//!
//! Pointers name the JSON value at fault. An OpenAPI selection pattern is the key of its
//! response object, so pattern problems point at that object
//! (`.../x-amazon-apigateway-integration/responses/4\d{2}`); in a state file they point at
//! `selectionPattern`. Lines and columns are counted inside the template or pattern text,
//! not the file.
//!
//! # Overlap method
//!
//! For HTTP, AWS-service and MOCK integrations the selection value is a status code, and
//! every pattern is run on `"100"` … `"599"`: exact. For Lambda integrations the selection
//! value is any `errorMessage` (or `""` on success); each pattern's whole-match translation
//! is compiled into a `regex-automata` dense DFA and the product of two DFAs is searched
//! breadth-first for a string both accept: a found string is a proof (reported as the
//! shortest witness), an exhausted product proves disjointness. Patterns a DFA cannot
//! express get an `overlap-unchecked` note; nothing is sampled.
//!
//! # Output
//!
//! Text ([`Report::to_text`]): one line per problem,
//! `FILE:POINTER: SEVERITY[RULE]: MESSAGE`, followed by ` (line L, column C)` when the
//! position is inside a template or pattern; files that could not be read give
//! `FILE: cannot lint: REASON`; a last line counts the problems. JSON ([`Report::to_json`]):
//! `{"problems": [{"file", "pointer", "severity", "rule", "message", "line"?, "column"?}],
//! "failures": [{"file", "message"}], "summary": {"errors", "warnings", "notes"}}`.
//!
//! Exit status of [`run`]: 0 when no errors (warnings and notes alone do not count unless
//! `--deny-warnings`), 1 when errors were found, 2 for a usage error or a file that could not
//! be read or parsed.
#![deny(missing_docs)]

mod aws;
mod model;
mod overlap;
mod rules;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The definition is refused by AWS or fails at runtime.
    Error,
    /// Legal, but ambiguous or surprising.
    Warning,
    /// Information about what the linter could not check.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A rule: its id, severity and what it finds.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The id shown in reports (`unknown-util`).
    pub id: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// One line on what it finds.
    pub summary: &'static str,
}

/// Every rule, as documented in the crate docs.
pub const RULES: &[Rule] = &[
    Rule {
        id: "aws-validation",
        severity: Severity::Error,
        summary: "AWS refuses this at put time (AWS's error text)",
    },
    Rule {
        id: "regex-syntax",
        severity: Severity::Error,
        summary: "selection pattern does not compile as a Java regex",
    },
    Rule {
        id: "several-defaults",
        severity: Severity::Error,
        summary: "more than one default integration response",
    },
    Rule {
        id: "matches-success",
        severity: Severity::Warning,
        summary: "Lambda selection pattern that also matches successful invocations",
    },
    Rule {
        id: "overlapping-patterns",
        severity: Severity::Warning,
        summary: "two selection patterns match a common value",
    },
    Rule {
        id: "overlap-unchecked",
        severity: Severity::Note,
        summary: "overlap of a Lambda selection pattern could not be decided",
    },
    Rule {
        id: "missing-method-response",
        severity: Severity::Error,
        summary: "integration response statusCode without a method response",
    },
    Rule {
        id: "duplicate-status-code",
        severity: Severity::Warning,
        summary: "OpenAPI integration responses share a statusCode; the import keeps the last",
    },
    Rule {
        id: "unknown-util",
        severity: Severity::Error,
        summary: "$util member API Gateway does not have",
    },
    Rule {
        id: "vtl-parse-include",
        severity: Severity::Error,
        summary: "#parse or #include in a template",
    },
    Rule {
        id: "vtl-syntax",
        severity: Severity::Error,
        summary: "template does not compile",
    },
    Rule {
        id: "invalid-jsonpath",
        severity: Severity::Error,
        summary: "literal JSONPath of $input.path/$input.json does not parse",
    },
    Rule {
        id: "unsupported-jsonpath",
        severity: Severity::Warning,
        summary: "literal JSONPath that Jayway accepts but this gateway does not implement",
    },
    Rule {
        id: "binary-template",
        severity: Severity::Error,
        summary: "template on a response whose converted body is always binary",
    },
    Rule {
        id: "binary-media-type-never-matches",
        severity: Severity::Warning,
        summary: "binaryMediaTypes entry that no media type can match",
    },
];

fn severity_of(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|r| r.id == rule)
        .map_or(Severity::Error, |r| r.severity)
}

/// A problem before it is tied to a file.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) pointer: String,
    pub(crate) rule: &'static str,
    pub(crate) message: String,
    pub(crate) pos: Option<(usize, usize)>,
}

impl Finding {
    pub(crate) fn new(pointer: String, rule: &'static str, message: String) -> Finding {
        Finding {
            pointer,
            rule,
            message,
            pos: None,
        }
    }

    pub(crate) fn at(mut self, line: usize, column: usize) -> Finding {
        self.pos = Some((line, column));
        self
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as it was named.
    pub file: String,
    /// A JSON pointer into the file (`/paths/~1pets/get/...`).
    pub pointer: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule id.
    pub rule: &'static str,
    /// What is wrong and what happens because of it.
    pub message: String,
    /// 1-based line inside the template or pattern the pointer names, when the problem has a
    /// position there.
    pub line: Option<usize>,
    /// 1-based column (in characters) on that line.
    pub column: Option<usize>,
}

/// A file that could not be linted (missing, unreadable, not OpenAPI, not a state file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file, as it was named.
    pub file: String,
    /// Why.
    pub message: String,
}

/// The result of linting one or more files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems, file by file in the order given, each file's in document order.
    pub problems: Vec<Problem>,
    /// Files that could not be linted.
    pub failures: Vec<Failure>,
}

impl Report {
    fn count(&self, s: Severity) -> usize {
        self.problems.iter().filter(|p| p.severity == s).count()
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// Whether any problem is a warning.
    pub fn has_warnings(&self) -> bool {
        self.count(Severity::Warning) > 0
    }

    /// The exit status for CI: 2 when a file could not be linted, else 1 when there are
    /// errors (or warnings, with `deny_warnings`), else 0.
    pub fn exit_status(&self, deny_warnings: bool) -> u8 {
        if !self.failures.is_empty() {
            2
        } else if self.has_errors() || (deny_warnings && self.has_warnings()) {
            1
        } else {
            0
        }
    }

    fn summary(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "{}, {}, {}",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
            plural(self.count(Severity::Note), "note")
        );
        if !self.failures.is_empty() {
            s.push_str(&format!(
                ", {} not linted",
                plural(self.failures.len(), "file")
            ));
        }
        s
    }

    /// The text report: one line per problem and per failure, and a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.failures {
            out.push_str(&format!("{}: cannot lint: {}\n", f.file, f.message));
        }
        for p in &self.problems {
            out.push_str(&format!(
                "{}:{}: {}[{}]: {}",
                p.file,
                p.pointer,
                p.severity.as_str(),
                p.rule,
                p.message
            ));
            if let (Some(l), Some(c)) = (p.line, p.column) {
                out.push_str(&format!(" (line {l}, column {c})"));
            }
            out.push('\n');
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The JSON report (pretty-printed, with a final newline).
    pub fn to_json(&self) -> String {
        let problems: Vec<Value> = self
            .problems
            .iter()
            .map(|p| {
                let mut o = json!({
                    "file": p.file,
                    "pointer": p.pointer,
                    "severity": p.severity.as_str(),
                    "rule": p.rule,
                    "message": p.message,
                });
                if let (Some(l), Some(c), Some(m)) = (p.line, p.column, o.as_object_mut()) {
                    m.insert("line".into(), json!(l));
                    m.insert("column".into(), json!(c));
                }
                o
            })
            .collect();
        let failures: Vec<Value> = self
            .failures
            .iter()
            .map(|f| json!({"file": f.file, "message": f.message}))
            .collect();
        let v = json!({
            "problems": problems,
            "failures": failures,
            "summary": {
                "errors": self.count(Severity::Error),
                "warnings": self.count(Severity::Warning),
                "notes": self.count(Severity::Note),
            },
        });
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    }

    fn add(&mut self, file: &str, findings: Vec<Finding>) {
        self.problems.extend(findings.into_iter().map(|f| Problem {
            file: file.to_owned(),
            pointer: f.pointer,
            severity: severity_of(f.rule),
            rule: f.rule,
            message: f.message,
            line: f.pos.map(|p| p.0),
            column: f.pos.map(|p| p.1),
        }));
    }

    fn fail(&mut self, file: &str, message: impl Into<String>) {
        self.failures.push(Failure {
            file: file.to_owned(),
            message: message.into(),
        });
    }
}

/// Lints an OpenAPI document held in memory; `name` is what the report calls the file.
///
/// An unparseable document, or one that is not Swagger 2.0 / OpenAPI 3.x, gives a
/// [`Failure`] with the import's text.
pub fn lint_source(name: &str, body: &[u8]) -> Report {
    let mut report = Report::default();
    match apigw_control::parse_openapi(body) {
        Err(e) => report.fail(name, e.message()),
        Ok(doc) => {
            let mut findings = Vec::new();
            aws::check(&doc, &mut findings);
            rules::check(&model::from_openapi(&doc), &mut findings);
            model::sort_in_document_order(&Value::Object(doc), &mut findings);
            report.add(name, findings);
        }
    }
    report
}

/// Lints an apigw-control `state.json` held in memory.
pub fn lint_state_source(name: &str, body: &[u8]) -> Report {
    let mut report = Report::default();
    let state =
        serde_json::from_slice::<Value>(body).map_err(|e| format!("state file is not JSON: {e}"));
    let checked = state.and_then(|state| {
        let mut findings = Vec::new();
        for d in model::from_state(&state)? {
            aws::check_stored(d.raw, &d.pointer, &mut findings);
            rules::check(&d.definition, &mut findings);
        }
        model::sort_in_document_order(&state, &mut findings);
        Ok(findings)
    });
    match checked {
        Err(e) => report.fail(name, e),
        Ok(findings) => {
            report.add(name, findings);
        }
    }
    report
}

/// Lints a file: an OpenAPI document, or a state directory (its `state.json`, named
/// `DIR/state.json` in the report). Missing or unreadable files become [`Failure`]s.
pub fn lint_path(path: &Path) -> Report {
    if path.is_dir() {
        let file = path.join(apigw_control::STATE_FILE);
        let name = file.display().to_string();
        match std::fs::read(&file) {
            Ok(body) => lint_state_source(&name, &body),
            Err(e) => {
                let mut r = Report::default();
                r.fail(&name, format!("cannot read the state file: {e}"));
                r
            }
        }
    } else {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(body) => lint_source(&name, &body),
            Err(e) => {
                let mut r = Report::default();
                r.fail(&name, format!("cannot read: {e}"));
                r
            }
        }
    }
}

/// Lints several files into one report, in the order given.
pub fn lint_files(paths: &[PathBuf]) -> Report {
    let mut report = Report::default();
    for p in paths {
        let r = lint_path(p);
        report.problems.extend(r.problems);
        report.failures.extend(r.failures);
    }
    report
}

const USAGE: &str = "usage: apigw-lint [--format text|json] [--deny-warnings] FILE|STATE_DIR...";

/// The command line: `apigw-lint [--format text|json] [--deny-warnings] FILE…` (arguments
/// without the program name). Prints the report on stdout; usage errors on stderr.
///
/// # Example
/// ```
/// let status = apigw_lint::run(["--format", "yaml"].map(String::from));
/// assert_eq!(status, std::process::ExitCode::from(2));
/// ```
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let mut json = false;
    let mut deny_warnings = false;
    let mut files = Vec::new();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--format" => match args.next().as_deref() {
                Some("text") => json = false,
                Some("json") => json = true,
                _ => {
                    eprintln!("apigw-lint: --format takes text or json\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--format=text" => json = false,
            "--format=json" => json = true,
            "--deny-warnings" => deny_warnings = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') && s != "-" => {
                eprintln!("apigw-lint: unknown option {s}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("apigw-lint: no file given\n{USAGE}");
        return ExitCode::from(2);
    }
    let report = lint_files(&files);
    print!(
        "{}",
        if json {
            report.to_json()
        } else {
            report.to_text()
        }
    );
    ExitCode::from(report.exit_status(deny_warnings))
}
