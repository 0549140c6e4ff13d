//! The two Rust engines behind one interface.

use crate::error::{Error, ErrorKind, MatchError};
use crate::limits::Limits;

/// A compiled translation: `regex` when possible, `fancy-regex` otherwise.
#[derive(Debug, Clone)]
pub(crate) enum Engine {
    Plain(regex::Regex),
    Fancy(fancy_regex::Regex),
}

fn budget_error(e: &fancy_regex::Error) -> MatchError {
    MatchError {
        message: match e {
            fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
                "match aborted: backtrack limit exceeded".to_owned()
            }
            other => format!("match aborted: {other}"),
        },
    }
}

/// Syntax/size limits applied to the translated pattern by the `regex` crate.
pub(crate) fn rust_nest_limit(limits: &Limits) -> u32 {
    // Each Java nesting level can become a few Rust levels (a group around a
    // repeated operand, the whole-match wrapper).
    limits.nest_limit.saturating_mul(3).saturating_add(10)
}

pub(crate) fn compile_error(java: &str, message: String, too_big: bool) -> Error {
    if too_big {
        Error::new(ErrorKind::CompiledTooBig, message, java, 0)
    } else {
        Error::new(ErrorKind::Internal, message, java, 0)
    }
}

impl Engine {
    pub(crate) fn compile(
        java: &str,
        rust: &str,
        fancy: bool,
        limits: &Limits,
    ) -> Result<Engine, Error> {
        if fancy {
            let mut b = fancy_regex::RegexBuilder::new(rust);
            b.backtrack_limit(limits.backtrack_limit)
                .delegate_size_limit(limits.size_limit)
                .delegate_dfa_size_limit(limits.dfa_size_limit);
            match b.build() {
                Ok(r) => Ok(Engine::Fancy(r)),
                Err(e) => {
                    let text = e.to_string();
                    let too_big = text.contains("too big")
                        || text.contains("too large")
                        || text.contains("size limit");
                    Err(compile_error(
                        java,
                        format!("fancy-regex rejected the translation: {text}"),
                        too_big,
                    ))
                }
            }
        } else {
            match regex::RegexBuilder::new(rust)
                .size_limit(limits.size_limit)
                .dfa_size_limit(limits.dfa_size_limit)
                .nest_limit(rust_nest_limit(limits))
                .build()
            {
                Ok(r) => Ok(Engine::Plain(r)),
                Err(regex::Error::CompiledTooBig(n)) => Err(compile_error(
                    java,
                    format!("Compiled pattern exceeds the size limit of {n} bytes"),
                    true,
                )),
                Err(e) => Err(compile_error(
                    java,
                    format!("regex rejected the translation: {e}"),
                    false,
                )),
            }
        }
    }

    pub(crate) fn is_match(&self, s: &str) -> Result<bool, MatchError> {
        match self {
            Engine::Plain(r) => Ok(r.is_match(s)),
            Engine::Fancy(r) => r.is_match(s).map_err(|e| budget_error(&e)),
        }
    }

    pub(crate) fn find_at(
        &self,
        s: &str,
        pos: usize,
    ) -> Result<Option<(usize, usize)>, MatchError> {
        match self {
            Engine::Plain(r) => Ok(r.find_at(s, pos).map(|m| (m.start(), m.end()))),
            Engine::Fancy(r) => r
                .find_from_pos(s, pos)
                .map(|m| m.map(|m| (m.start(), m.end())))
                .map_err(|e| budget_error(&e)),
        }
    }

    /// Fills `slots` (one per group, group 0 first) for the leftmost match
    /// at or after `pos`; returns whether there was one.
    pub(crate) fn captures_at(
        &self,
        s: &str,
        pos: usize,
        slots: &mut Vec<Option<(usize, usize)>>,
    ) -> Result<bool, MatchError> {
        slots.clear();
        match self {
            Engine::Plain(r) => {
                let mut locs = r.capture_locations();
                if r.captures_read_at(&mut locs, s, pos).is_none() {
                    return Ok(false);
                }
                slots.extend((0..locs.len()).map(|i| locs.get(i)));
                Ok(true)
            }
            Engine::Fancy(r) => match r.captures_from_pos(s, pos).map_err(|e| budget_error(&e))? {
                None => Ok(false),
                Some(c) => {
                    slots.extend((0..c.len()).map(|i| c.get(i).map(|m| (m.start(), m.end()))));
                    Ok(true)
                }
            },
        }
    }
}
