//! Java regular expressions for `matches`, `replaceAll`, `replaceFirst` and
//! `split`.
//!
//! Patterns and replacements that are plain text (after Java's escapes) take
//! a fast literal path with Java's exact semantics; everything else goes to
//! the `apigw-javaregex` crate.

/// Returns the literal text a Java regex matches, if it is a plain string.
fn literal_pattern(p: &str) -> Option<String> {
    let mut out = String::new();
    let mut it = p.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                let n = it.next()?;
                if n.is_ascii_alphanumeric() {
                    return None;
                }
                out.push(n);
            }
            '.' | '$' | '^' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                return None;
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Returns the literal text of a Java replacement string, if it has no
/// group references.
fn literal_replacement(r: &str) -> Result<Option<String>, String> {
    let mut out = String::new();
    let mut it = r.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                match it.next() {
                    Some(n) => out.push(n),
                    None => return Err(
                        "java.lang.IllegalArgumentException: character to be escaped is missing"
                            .into(),
                    ),
                }
            }
            '$' => return Ok(None),
            c => out.push(c),
        }
    }
    Ok(Some(out))
}

fn compile(p: &str) -> Result<apigw_javaregex::JavaRegex, String> {
    apigw_javaregex::JavaRegex::new(p)
        .map_err(|e| format!("java.util.regex.PatternSyntaxException: {e}"))
}

pub(crate) fn matches(p: &str, s: &str) -> Result<bool, String> {
    if let Some(l) = literal_pattern(p) {
        return Ok(l == s);
    }
    compile(p)?
        .is_full_match(s)
        .map_err(|e| format!("java.lang.RuntimeException: {e}"))
}

pub(crate) fn replace_all(p: &str, s: &str, r: &str) -> Result<String, String> {
    if let (Some(l), Some(rl)) = (literal_pattern(p), literal_replacement(r)?)
        && !l.is_empty()
    {
        return Ok(s.replace(&l, &rl));
    }
    compile(p)?
        .replace_all(s, r)
        .map_err(|e| format!("java.lang.IllegalArgumentException: {e}"))
}

pub(crate) fn replace_first(p: &str, s: &str, r: &str) -> Result<String, String> {
    if let (Some(l), Some(rl)) = (literal_pattern(p), literal_replacement(r)?)
        && !l.is_empty()
    {
        return Ok(s.replacen(&l, &rl, 1));
    }
    compile(p)?
        .replace_first(s, r)
        .map_err(|e| format!("java.lang.IllegalArgumentException: {e}"))
}

pub(crate) fn split(p: &str, s: &str, limit: i32) -> Result<Vec<String>, String> {
    if p.is_empty() {
        // every UTF-16 unit on its own (Java 8+: no leading empty string)
        let u: Vec<u16> = crate::value::java_units(s);
        if u.is_empty() {
            return Ok(vec![String::new()]);
        }
        let mut parts: Vec<String> = Vec::new();
        for (i, c) in u.iter().enumerate() {
            if limit > 0 && parts.len() as i32 == limit - 1 {
                parts.push(crate::value::from_utf16_java(&u[i..]));
                return Ok(parts);
            }
            parts.push(crate::value::from_utf16_java(&[*c]));
        }
        if limit != 0 {
            parts.push(String::new());
        }
        return Ok(parts);
    }
    if let Some(l) = literal_pattern(p)
        && !l.is_empty()
    {
        return Ok(split_literal(s, &l, limit));
    }
    Ok(compile(p)?.split(s, limit))
}

/// Java's `String.split` for a non-empty literal separator.
fn split_literal(s: &str, sep: &str, limit: i32) -> Vec<String> {
    if s.is_empty() {
        return vec![String::new()];
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = s;
    loop {
        if limit > 0 && parts.len() as i32 == limit - 1 {
            parts.push(rest.to_string());
            break;
        }
        match rest.find(sep) {
            Some(i) => {
                parts.push(rest[..i].to_string());
                rest = &rest[i + sep.len()..];
            }
            None => {
                parts.push(rest.to_string());
                break;
            }
        }
    }
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
            parts.clear();
        }
    }
    parts
}
