//! The checks on a [`Definition`]: selection patterns, method responses, templates, binary
//! conversion. Put-time errors come from [`crate::aws`].

use apigw_javaregex::JavaRegex;
use apigw_jsonpath::JsonPath;
use apigw_mapping::IntegrationKind;
use apigw_vtl::{ErrorKind, MemberSite, NullRendering, Options};

use crate::Finding;
use crate::model::{Definition, Integration, Method, Response, Template};
use crate::overlap::{self, Dfa, Overlap};

/// The methods API Gateway's `$util` has.
pub(crate) const UTIL_METHODS: [&str; 6] = [
    "escapeJavaScript",
    "parseJson",
    "urlEncode",
    "urlDecode",
    "base64Encode",
    "base64Decode",
];

/// 1-based line and column (in characters) of a byte offset in `src`.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        src[line_start..offset].chars().count() + 1,
    )
}

/// Checks everything in one definition.
pub(crate) fn check(def: &Definition, out: &mut Vec<Finding>) {
    for (entry, pointer) in &def.binary_media_types {
        binary_media_type(entry, pointer, out);
    }
    for t in &def.gateway_templates {
        template(t, out);
    }
    for m in &def.methods {
        method(m, out);
    }
}

/// `binary-media-type-never-matches`: entries no `Content-Type` or `Accept` can match
/// (SPEC §6.2: a value without `/`, an empty type or subtype, or `*/subtype`).
fn binary_media_type(entry: &str, pointer: &str, out: &mut Vec<Finding>) {
    let mime = apigw_mapping::content::mime_type(entry);
    let why = match mime.split_once('/') {
        None => Some("it has no '/'"),
        Some((t, s)) if t.is_empty() || s.is_empty() => Some("its type or subtype is empty"),
        Some(("*", s)) if s != "*" => Some("an entry '*/subtype' matches nothing (SPEC §6.2)"),
        Some(_) => None,
    };
    if let Some(why) = why {
        out.push(Finding::new(
            pointer.to_owned(),
            "binary-media-type-never-matches",
            format!("binaryMediaTypes entry '{entry}' never matches a media type: {why}"),
        ));
    }
}

fn method(m: &Method, out: &mut Vec<Finding>) {
    let Some(integ) = &m.integration else { return };
    for t in &integ.request_templates {
        template(t, out);
    }
    // An import keeps the last of several responses with one statusCode (SPEC §9.1).
    let mut kept: Vec<&Response> = Vec::new();
    for (i, r) in integ.responses.iter().enumerate() {
        let later = integ.responses[i + 1..]
            .iter()
            .find(|l| l.code().is_some() && l.code() == r.code());
        match (later, &r.status_code) {
            (Some(l), Some((code, _))) => out.push(Finding::new(
                r.pointer.clone(),
                "duplicate-status-code",
                format!(
                    "statusCode {code} is also the statusCode of the later response '{}'; an \
                     import keeps only the later one, so this response is dropped",
                    l.pattern.as_ref().map_or("default", |(p, _)| p.as_str())
                ),
            )),
            _ => kept.push(r),
        }
    }
    for r in &integ.responses {
        response(r, out);
    }
    if integ.kind.is_some_and(IntegrationKind::is_mapped) {
        selection(integ, &kept, &m.method_responses, out);
    }
}

fn response(r: &Response, out: &mut Vec<Finding>) {
    if let Some((p, pointer)) = &r.pattern
        && !p.is_empty()
        && let Err(e) = JavaRegex::new(p)
    {
        let (line, column) = line_column(p, e.byte_offset());
        out.push(
            Finding::new(
                pointer.clone(),
                "regex-syntax",
                format!(
                    "selection pattern '{p}' does not compile: {}; it never matches",
                    e.description()
                ),
            )
            .at(line, column),
        );
    }
    let to_binary = r
        .content_handling
        .as_ref()
        .is_some_and(|(c, _)| c == "CONVERT_TO_BINARY");
    for t in &r.templates {
        template(t, out);
        if to_binary && t.text.is_some() {
            out.push(Finding::new(
                t.pointer.clone(),
                "binary-template",
                "with contentHandling CONVERT_TO_BINARY the body is always binary after \
                 conversion, and a template on a binary body fails with 500 (SPEC §6.5): every \
                 request that selects this template fails; use CONVERT_TO_TEXT or an empty \
                 template"
                    .to_owned(),
            ));
        }
    }
}

/// `missing-method-response`, `several-defaults`, `matches-success`,
/// `overlapping-patterns`, `overlap-unchecked`, on the responses an import keeps.
fn selection(
    integ: &Integration,
    kept: &[&Response],
    method_responses: &[String],
    out: &mut Vec<Finding>,
) {
    for r in kept {
        if let Some((code, pointer)) = &r.status_code
            && !method_responses.contains(code)
        {
            out.push(Finding::new(
                pointer.clone(),
                "missing-method-response",
                format!(
                    "statusCode {code} has no method response: a request that selects this \
                     response fails with 500 \"Output mapping refers to an invalid method \
                     response\" (SPEC §2.10)"
                ),
            ));
        }
    }
    // Ascending statusCode order, as the engine tries them (SPEC §2.8, §2.9).
    let mut sorted: Vec<&Response> = kept
        .iter()
        .copied()
        .filter(|r| r.code().is_some())
        .collect();
    sorted.sort_by(|a, b| a.code().cmp(&b.code()));

    let defaults: Vec<&Response> = sorted.iter().copied().filter(|r| r.is_default()).collect();
    if let Some((first, rest)) = defaults.split_first() {
        for r in rest {
            out.push(Finding::new(
                r.pointer.clone(),
                "several-defaults",
                format!(
                    "statusCode {} is a second default response (no selectionPattern) besides \
                     {}: AWS does not document which default it uses; this gateway uses the \
                     lowest, {} (SPEC §2.9)",
                    r.code().unwrap_or_default(),
                    first.code().unwrap_or_default(),
                    first.code().unwrap_or_default()
                ),
            ));
        }
    }

    let compiled: Vec<(&Response, &str, &str, JavaRegex)> = sorted
        .iter()
        .filter_map(|r| {
            let (p, pointer) = r.pattern.as_ref().filter(|(p, _)| !p.is_empty())?;
            Some((*r, p.as_str(), pointer.as_str(), JavaRegex::new(p).ok()?))
        })
        .collect();
    let lambda = integ.kind == Some(IntegrationKind::Lambda);
    if lambda {
        for (r, p, pointer, re) in &compiled {
            if re.matches("") {
                out.push(Finding::new(
                    (*pointer).to_owned(),
                    "matches-success",
                    format!(
                        "selection pattern '{p}' matches the empty string, the selection value \
                         of a successful Lambda invocation (SPEC §2.3): successful responses get \
                         statusCode {} instead of the default; use a pattern that needs at \
                         least one character (`.+`)",
                        r.code().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    let dfas: Vec<Option<Dfa>> = if lambda {
        compiled.iter().map(|(_, _, _, re)| Dfa::new(re)).collect()
    } else {
        Vec::new()
    };
    if lambda {
        for ((_, p, pointer, _), dfa) in compiled.iter().zip(&dfas) {
            if dfa.is_none() {
                out.push(Finding::new(
                    (*pointer).to_owned(),
                    "overlap-unchecked",
                    format!(
                        "selection pattern '{p}' needs the backtracking engine (look-around, \
                         back-references, Unicode \\b) or a DFA over {} bytes, so whether it \
                         overlaps other patterns was not checked",
                        overlap::DFA_SIZE_LIMIT
                    ),
                ));
            }
        }
    }
    for (j, (later, lp, lpointer, lre)) in compiled.iter().enumerate() {
        for (i, (earlier, ep, _, ere)) in compiled.iter().enumerate().take(j) {
            let later_code = later.code().unwrap_or_default();
            let earlier_code = earlier.code().unwrap_or_default();
            let common = if lambda {
                let (Some(a), Some(b)) = (&dfas[i], &dfas[j]) else {
                    continue;
                };
                match overlap::product(a, b) {
                    Overlap::Disjoint => continue,
                    Overlap::Witness(w) => format!(
                        "the error message {} (shortest common match, found by a DFA product \
                         search)",
                        quote(&w)
                    ),
                    Overlap::Unknown => {
                        out.push(Finding::new(
                            (*lpointer).to_owned(),
                            "overlap-unchecked",
                            format!(
                                "whether selection pattern '{lp}' overlaps '{ep}' was not \
                                 decided within {} DFA state pairs",
                                overlap::PRODUCT_LIMIT
                            ),
                        ));
                        continue;
                    }
                }
            } else {
                let codes = overlap::common_status_codes(ere, lre);
                if codes.is_empty() {
                    continue;
                }
                let noun = if codes.len() == 1 {
                    "status code"
                } else {
                    "status codes"
                };
                format!("{noun} {}", overlap::ranges(&codes))
            };
            out.push(Finding::new(
                (*lpointer).to_owned(),
                "overlapping-patterns",
                format!(
                    "selection pattern '{lp}' (statusCode {later_code}) and '{ep}' (statusCode \
                     {earlier_code}) both match {common}; AWS does not document which wins, \
                     this gateway takes the lower statusCode, {earlier_code} (SPEC §2.8)"
                ),
            ));
        }
    }
}

/// A string in double quotes with control characters escaped.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.escape_debug())
}

fn vtl_options() -> Options {
    Options {
        null_rendering: NullRendering::Empty,
        ..Options::default()
    }
}

/// `vtl-syntax`, `vtl-parse-include`, `unknown-util`, `invalid-jsonpath`,
/// `unsupported-jsonpath`.
fn template(t: &Template, out: &mut Vec<Finding>) {
    let Some(src) = &t.text else { return };
    let compiled = match apigw_vtl::Template::compile(src, &vtl_options()) {
        Ok(c) => c,
        Err(e) => {
            let rule = if e.kind() == ErrorKind::Unsupported {
                "vtl-parse-include"
            } else {
                "vtl-syntax"
            };
            let mut f = Finding::new(
                t.pointer.clone(),
                rule,
                format!("template does not compile: {}", e.detail()),
            );
            if let (Some(l), Some(c)) = (e.line(), e.column()) {
                f = f.at(l, c);
            }
            out.push(f);
            return;
        }
    };
    let mut sites: Vec<&MemberSite> = compiled.analysis().sites.iter().collect();
    sites.sort_by_key(|s| s.offset.unwrap_or(usize::MAX));
    for s in sites {
        let at = |f: Finding, offset: Option<usize>| match offset {
            Some(o) => {
                let (l, c) = line_column(src, o);
                f.at(l, c)
            }
            None => f,
        };
        if s.root == "util" && !UTIL_METHODS.contains(&s.member.as_str()) {
            let what = if s.is_method {
                format!("$util.{}(…)", s.member)
            } else {
                format!("$util.{}", s.member)
            };
            out.push(at(
                Finding::new(
                    t.pointer.clone(),
                    "unknown-util",
                    format!(
                        "{what} does not exist in API Gateway, whose $util has only {}; the \
                         reference renders as written",
                        UTIL_METHODS.join(", ")
                    ),
                ),
                s.offset,
            ));
        }
        if s.root == "input"
            && s.is_method
            && matches!(s.member.as_str(), "path" | "json")
            && let Some([path]) = s.args.as_deref()
            && let Err(e) = JsonPath::parse(path)
        {
            let (rule, consequence) = if e.is_unsupported() {
                (
                    "unsupported-jsonpath",
                    "API Gateway (Jayway) accepts it, this gateway fails the render with 500",
                )
            } else {
                ("invalid-jsonpath", "the render fails with 500")
            };
            let offset = s.offset.map(|o| {
                literal_start(src, o + s.member.len(), path).map_or(o, |start| start + e.offset())
            });
            out.push(at(
                Finding::new(
                    t.pointer.clone(),
                    rule,
                    format!(
                        "$input.{}('{path}'): {}: {}; {consequence}",
                        s.member,
                        e.kind(),
                        e.detail()
                    ),
                ),
                offset,
            ));
        }
    }
}

/// The byte offset where the text of the string literal that is the first argument of the
/// call starting at `after_name` (just after the method name) begins, when that literal is
/// written exactly as `text` (no escapes); `None` otherwise.
fn literal_start(src: &str, after_name: usize, text: &str) -> Option<usize> {
    let rest = src.get(after_name..)?;
    let rest_trim = rest.strip_prefix('(')?;
    let ws = rest_trim.len() - rest_trim.trim_start().len();
    let quoted = &rest_trim[ws..];
    let q = quoted.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &quoted[1..];
    (body.starts_with(text) && body[text.len()..].starts_with(q)).then_some(after_name + 1 + ws + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é(", 2), (1, 2));
        let src = "x $input.path( '$.a[') y";
        let after = src.find("path").unwrap() + 4;
        assert_eq!(literal_start(src, after, "$.a["), Some(16));
        assert_eq!(literal_start(src, after, "other"), None);
    }

    fn findings(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        template(
            &Template {
                text: Some(src.to_owned()),
                pointer: "/t".into(),
            },
            &mut out,
        );
        out.iter()
            .map(|f| format!("{} {:?}", f.rule, f.pos))
            .collect()
    }

    #[test]
    fn template_rules() {
        assert_eq!(
            findings("{\n  \"a\": $util.toJson($x), \"b\": $util.escapeJavaScript($y)}"),
            ["unknown-util Some((2, 14))"]
        );
        assert_eq!(
            findings("$input.json('$')\n$input.path('$.a[0')"),
            ["invalid-jsonpath Some((2, 17))"]
        );
        assert_eq!(
            findings("a\n  #parse('x.vm')"),
            ["vtl-parse-include Some((2, 3))"]
        );
        // An unclosed `#if` is reported where it starts.
        assert_eq!(findings("x\n#if($a)"), ["vtl-syntax Some((2, 1))"]);
        assert!(findings("#set($r = $input.path('$.a'))$util.base64Encode($r)").is_empty());
    }
}
