//! Reading an operation's JSON input the way API Gateway's front end deserializes it: `null`
//! means absent, and a member of the wrong JSON type is a `SerializationException` whose text
//! names the Java class the value arrived as (`class java.lang.Boolean can not be converted to
//! an String`, SPEC §8.2–8.3).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The Java class AWS's deserializer reports for a JSON value.
fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(_) => "com.amazon.coral.value.json.numbers.TruncatingBigNumber",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
        Value::Null => "null",
    }
}

/// The `SerializationException` for `v` arriving where `target` was expected.
fn mismatch(v: &Value, target: &str) -> ApiError {
    match v {
        Value::Object(_) if target != "Map" => {
            ApiError::serialization("Start of structure or map found where not expected.")
        }
        Value::Array(_) if target != "List" => {
            ApiError::serialization("Start of list found where not expected.")
        }
        _ => ApiError::serialization(format!(
            "class {} can not be converted to an {target}",
            java_class(v)
        )),
    }
}

/// Parses a request body into the input object; an empty body is `{}`.
pub(crate) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(mismatch(&other, "Structure")),
        Err(e) => Err(ApiError::serialization(format!(
            "Unable to parse the request body as JSON: {e}"
        ))),
    }
}

/// A view of an input object with typed getters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> Input<'a> {
    /// A string member; `null` or absent → `None`.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(mismatch(v, "String")),
        }
    }

    /// A boolean member.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(mismatch(v, "Boolean")),
        }
    }

    /// An integer member.
    pub(crate) fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => Err(ApiError::serialization(format!(
                    "Unable to convert {n} to an Integer"
                ))),
            },
            Some(v) => Err(mismatch(v, "Integer")),
        }
    }

    /// A list of strings.
    pub(crate) fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(mismatch(other, "String")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(mismatch(v, "List")),
        }
    }

    /// A map of strings. `null` values are kept as `null` (API Gateway stores an empty or null
    /// template as `null`, SPEC §8.1); `""` values become `null` when `empty_is_null`.
    pub(crate) fn string_map(
        &self,
        key: &str,
        empty_is_null: bool,
    ) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let v = match v {
                        Value::Null => Value::Null,
                        Value::String(s) if s.is_empty() && empty_is_null => Value::Null,
                        Value::String(s) => Value::String(s.clone()),
                        other => return Err(mismatch(other, "String")),
                    };
                    out.insert(k.clone(), v);
                }
                Ok(Some(out))
            }
            Some(v) => Err(mismatch(v, "Map")),
        }
    }

    /// A map of booleans (method request/response parameters: name → required).
    pub(crate) fn bool_map(&self, key: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => {
                let mut out = Map::new();
                for (k, v) in m {
                    match v {
                        Value::Null => {}
                        Value::Bool(b) => {
                            out.insert(k.clone(), Value::Bool(*b));
                        }
                        other => return Err(mismatch(other, "Boolean")),
                    }
                }
                Ok(Some(out))
            }
            Some(v) => Err(mismatch(v, "Map")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn serialization_texts() {
        let m = obj(json!({"a": 123, "b": true, "c": {"x": 1}, "d": [1], "e": "s"}));
        let i = Input(&m);
        assert_eq!(
            i.string("a").unwrap_err().message(),
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
        );
        assert_eq!(
            i.string("b").unwrap_err().message(),
            "class java.lang.Boolean can not be converted to an String"
        );
        assert_eq!(
            i.string("c").unwrap_err().message(),
            "Start of structure or map found where not expected."
        );
        assert_eq!(
            i.string("d").unwrap_err().message(),
            "Start of list found where not expected."
        );
        assert_eq!(i.string("e").unwrap(), Some("s".into()));
        assert_eq!(i.string("zz").unwrap(), None);
        assert_eq!(
            i.boolean("e").unwrap_err().message(),
            "class java.lang.String can not be converted to an Boolean"
        );
    }

    #[test]
    fn maps_keep_null_and_blank_templates_as_null() {
        let m = obj(json!({"t": {"a": "", "b": null, "c": "x"}, "bad": {"a": 1}}));
        let i = Input(&m);
        let t = i.string_map("t", true).unwrap().unwrap();
        assert_eq!(Value::Object(t), json!({"a": null, "b": null, "c": "x"}));
        assert!(i.string_map("bad", true).is_err());
    }

    #[test]
    fn bodies() {
        assert!(parse_body(b"").unwrap().is_empty());
        assert!(parse_body(b"  ").unwrap().is_empty());
        assert!(parse_body(b"{\"a\":1}").is_ok());
        assert_eq!(
            parse_body(b"[1]").unwrap_err().message(),
            "Start of list found where not expected."
        );
        assert_eq!(
            parse_body(b"{bad").unwrap_err().kind(),
            crate::ErrorKind::Serialization
        );
    }
}
