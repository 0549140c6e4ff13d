//! `patchOperations` of the `Update*` operations: API Gateway's JSON-patch dialect, where
//! values are strings and a `/` inside a key is escaped `~1` (and `~` as `~0`).

use serde_json::{Map, Value};

use crate::error::{ApiError, Violations};
use crate::input::Input;

/// A patch operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

const OPS: [&str; 6] = ["add", "remove", "move", "test", "replace", "copy"];

/// One parsed operation.
#[derive(Debug, Clone)]
pub(crate) struct PatchOp {
    pub(crate) op: Op,
    pub(crate) path: String,
    pub(crate) value: Option<String>,
}

impl PatchOp {
    /// The first path segment (`responseTemplates` of `/responseTemplates/application~1json`).
    pub(crate) fn head(&self) -> &str {
        let p = self.path.strip_prefix('/').unwrap_or(&self.path);
        p.split('/').next().unwrap_or("")
    }

    /// The rest of the path after the first segment, unescaped (`application/json`); `None`
    /// when the path has a single segment.
    pub(crate) fn key(&self) -> Option<String> {
        let p = self.path.strip_prefix('/').unwrap_or(&self.path);
        let (_, rest) = p.split_once('/')?;
        Some(unescape(rest))
    }

    /// The `Invalid patch path` error for this operation.
    pub(crate) fn invalid_path(&self) -> ApiError {
        ApiError::bad_request(format!("Invalid patch path {}", self.path))
    }

    /// The error for an operation not supported on a valid path.
    pub(crate) fn unsupported(&self, allowed: &str) -> ApiError {
        ApiError::bad_request(format!(
            "Invalid patch operation specified. Must be one of: [{allowed}]"
        ))
    }

    /// The value, required for add/replace.
    pub(crate) fn required_value(&self) -> Result<&str, ApiError> {
        self.value
            .as_deref()
            .ok_or_else(|| ApiError::bad_request(format!("Invalid null value for {}", self.path)))
    }
}

/// Unescapes a JSON-pointer token run: `~1` → `/`, `~0` → `~`.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Reads `patchOperations` from an update input; `shape` names the input for validation
/// messages (e.g. `updateIntegrationResponseInput`).
pub(crate) fn parse(input: &Map<String, Value>, shape: &str) -> Result<Vec<PatchOp>, ApiError> {
    let list = match input.get("patchOperations") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::serialization(
                "Start of structure or map found where not expected.",
            ));
        }
    };
    let mut violations = Violations::default();
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(ApiError::serialization(
                "Start of list found where not expected.",
            ));
        };
        let input = Input(m);
        let op_text = input.string("op")?;
        let path = input.string("path")?.unwrap_or_default();
        let value = input.string("value")?;
        input.string("from")?;
        let op = match op_text.as_deref() {
            Some("add") => Op::Add,
            Some("remove") => Op::Remove,
            Some("replace") => Op::Replace,
            Some("move") => Op::Move,
            Some("copy") => Op::Copy,
            Some("test") => Op::Test,
            other => {
                violations.push(
                    other.unwrap_or("null"),
                    &format!("{shape}.patchOperations.{}.member.op", i + 1),
                    &format!("Member must satisfy enum value set: [{}]", OPS.join(", ")),
                );
                continue;
            }
        };
        out.push(PatchOp { op, path, value });
    }
    violations.finish()?;
    Ok(out)
}

/// Applies an add/replace/remove on a string map member (`responseTemplates`, …) keyed by the
/// operation's key. `remove` of a missing key → `NotFoundException` `Invalid parameter name
/// specified`; an empty value is stored as `null` when `empty_is_null`.
pub(crate) fn apply_map_op(
    map: &mut Option<Map<String, Value>>,
    op: &PatchOp,
    key: String,
    value: Option<Value>,
) -> Result<(), ApiError> {
    match op.op {
        Op::Add | Op::Replace => {
            let v = value.unwrap_or(Value::Null);
            map.get_or_insert_with(Map::new).insert(key, v);
            Ok(())
        }
        Op::Remove => {
            let removed = map.as_mut().and_then(|m| m.remove(&key));
            if removed.is_none() {
                return Err(ApiError::not_found("Invalid parameter name specified"));
            }
            Ok(())
        }
        _ => Err(op.unsupported("add, remove, replace")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: Value) -> Result<Vec<PatchOp>, ApiError> {
        parse(v.as_object().unwrap(), "updateIntegrationResponseInput")
    }

    #[test]
    fn parses_and_unescapes() {
        let p = ops(json!({"patchOperations": [
            {"op": "add", "path": "/responseTemplates/application~1json", "value": "x"},
            {"op": "replace", "path": "/selectionPattern", "value": "4\\d{2}"}
        ]}))
        .unwrap();
        assert_eq!(p[0].op, Op::Add);
        assert_eq!(p[0].head(), "responseTemplates");
        assert_eq!(p[0].key().as_deref(), Some("application/json"));
        assert_eq!(p[1].head(), "selectionPattern");
        assert_eq!(p[1].key(), None);
        assert_eq!(unescape("a~0b~1c"), "a~b/c");
    }

    #[test]
    fn bad_op_is_a_validation_error_with_one_based_index() {
        let e = ops(json!({"patchOperations": [
            {"op": "replace", "path": "/selectionPattern", "value": "x"},
            {"op": "wrong", "path": "/selectionPattern", "value": "x"}
        ]}))
        .unwrap_err();
        assert_eq!(
            e.message(),
            "1 validation error detected: Value 'wrong' at \
             'updateIntegrationResponseInput.patchOperations.2.member.op' failed to satisfy \
             constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"
        );
    }

    #[test]
    fn map_ops() {
        let mut m = None;
        let add = PatchOp {
            op: Op::Add,
            path: "/responseTemplates/a~1b".into(),
            value: Some("t".into()),
        };
        apply_map_op(&mut m, &add, "a/b".into(), Some(json!("t"))).unwrap();
        assert_eq!(m.as_ref().unwrap()["a/b"], json!("t"));
        let rm = PatchOp {
            op: Op::Remove,
            ..add.clone()
        };
        apply_map_op(&mut m, &rm, "a/b".into(), None).unwrap();
        let e = apply_map_op(&mut m, &rm, "a/b".into(), None).unwrap_err();
        assert_eq!(e.message(), "Invalid parameter name specified");
    }
}
