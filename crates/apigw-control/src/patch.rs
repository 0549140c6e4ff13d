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
    /// The path as sent; `None` when the operation has no path.
    pub(crate) path: Option<String>,
    pub(crate) value: Option<String>,
}

impl PatchOp {
    /// The first path segment (`responseTemplates` of `/responseTemplates/application~1json`).
    pub(crate) fn head(&self) -> &str {
        let path = self.path.as_deref().unwrap_or("");
        let p = path.strip_prefix('/').unwrap_or(path);
        p.split('/').next().unwrap_or("")
    }

    /// The second path segment, unescaped (`application/json` of
    /// `/responseTemplates/application~1json`); `None` when the path has one segment, or more
    /// than two (an unescaped `/` in a key makes the path invalid, as on AWS).
    pub(crate) fn key(&self) -> Option<String> {
        let path = self.path.as_deref()?;
        let p = path.strip_prefix('/').unwrap_or(path);
        let (_, rest) = p.split_once('/')?;
        (!rest.contains('/')).then(|| unescape(rest))
    }

    /// Whether the path has more than one segment (a keyed path).
    pub(crate) fn is_keyed(&self) -> bool {
        let path = self.path.as_deref().unwrap_or("");
        path.strip_prefix('/').unwrap_or(path).contains('/')
    }

    /// The `Invalid patch path` error for this operation (`null` when it has no path).
    pub(crate) fn invalid_path(&self) -> ApiError {
        ApiError::bad_request(format!(
            "Invalid patch path {}",
            self.path.as_deref().unwrap_or("null")
        ))
    }

    /// Fails unless the operation is a `replace` (scalar members).
    pub(crate) fn replace_only(&self) -> Result<(), ApiError> {
        if self.op == Op::Replace {
            Ok(())
        } else {
            Err(self.unsupported("replace"))
        }
    }

    /// The error for an operation not supported on a valid path.
    pub(crate) fn unsupported(&self, allowed: &str) -> ApiError {
        ApiError::bad_request(format!(
            "Invalid patch operation specified. Must be one of: [{allowed}]"
        ))
    }

    /// The value, required for add/replace (`Invalid null or empty value in <member>`, the
    /// text AWS uses for gateway responses).
    pub(crate) fn required_value(&self) -> Result<&str, ApiError> {
        self.value.as_deref().ok_or_else(|| {
            ApiError::bad_request(format!("Invalid null or empty value in {}", self.head()))
        })
    }
}

/// Unescapes a JSON-pointer token run: `~1` → `/`, `~0` → `~`.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Reads `patchOperations` from an update input; `shape` names the input for validation
/// messages (e.g. `updateIntegrationResponseInput`).
pub(crate) fn parse(input: &Map<String, Value>, shape: &str) -> Result<Vec<PatchOp>, ApiError> {
    let mut violations = Violations::default();
    let ops = parse_into(input, shape, &mut violations)?;
    violations.finish()?;
    Ok(ops)
}

/// As [`parse`], recording bad `op` values in `violations` (AWS reports them before the
/// other members' violations, e.g. the status code's).
pub(crate) fn parse_into(
    input: &Map<String, Value>,
    shape: &str,
    violations: &mut Violations,
) -> Result<Vec<PatchOp>, ApiError> {
    let list = match input.get("patchOperations") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::serialization(
                "Start of structure or map found where not expected.",
            ));
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(ApiError::serialization(
                "Start of list found where not expected.",
            ));
        };
        let input = Input(m);
        let op_text = input.string("op")?;
        let path = input.string("path")?;
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
    Ok(out)
}

/// What a keyed map holds, for the `remove`-of-a-missing-key error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapKind {
    /// Parameters: `Invalid parameter name specified`.
    Parameters,
    /// Templates or models keyed by content type: `Content-Type specified was not found`.
    ContentTypes,
}

/// Applies an add/replace/remove on a map member (`responseTemplates`, …) keyed by the
/// operation's key. `remove` of a missing key → `NotFoundException` (`Invalid parameter name
/// specified`, or `Content-Type specified was not found` for content-type maps); a map left
/// empty by a remove becomes absent.
pub(crate) fn apply_map_op(
    map: &mut Option<Map<String, Value>>,
    op: &PatchOp,
    key: String,
    value: Option<Value>,
    kind: MapKind,
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
                return Err(ApiError::not_found(match kind {
                    MapKind::Parameters => "Invalid parameter name specified",
                    MapKind::ContentTypes => "Content-Type specified was not found",
                }));
            }
            if map.as_ref().is_some_and(Map::is_empty) {
                *map = None;
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
        assert!(!p[1].is_keyed());
        let unescaped = PatchOp {
            op: Op::Add,
            path: Some("/requestModels/application/json".into()),
            value: None,
        };
        assert_eq!(
            unescaped.key(),
            None,
            "an unescaped / makes the path invalid"
        );
        assert_eq!(
            unescaped.invalid_path().message(),
            "Invalid patch path /requestModels/application/json"
        );
        let none = PatchOp {
            op: Op::Add,
            path: None,
            value: None,
        };
        assert_eq!(none.invalid_path().message(), "Invalid patch path null");
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
            path: Some("/responseTemplates/a~1b".into()),
            value: Some("t".into()),
        };
        apply_map_op(
            &mut m,
            &add,
            "a/b".into(),
            Some(json!("t")),
            MapKind::ContentTypes,
        )
        .unwrap();
        assert_eq!(m.as_ref().unwrap()["a/b"], json!("t"));
        let rm = PatchOp {
            op: Op::Remove,
            ..add.clone()
        };
        apply_map_op(&mut m, &rm, "a/b".into(), None, MapKind::ContentTypes).unwrap();
        assert!(m.is_none(), "an emptied map becomes absent");
        let e = apply_map_op(&mut m, &rm, "a/b".into(), None, MapKind::ContentTypes).unwrap_err();
        assert_eq!(e.message(), "Content-Type specified was not found");
        let e = apply_map_op(&mut m, &rm, "x".into(), None, MapKind::Parameters).unwrap_err();
        assert_eq!(e.message(), "Invalid parameter name specified");
    }
}
