//! The host interface: how a caller exposes its own objects to templates
//! lazily, without building maps per request.

use std::fmt;

use crate::error::Error;
use crate::value::Value;

/// Supplies top-level names that the template reads but neither the
/// [`Context`](crate::Context) nor a `#set` provided (`$input`, `$util`,
/// `$context`, `$stageVariables` in API Gateway).
///
/// A name is asked for at most once per render; the answer is cached for
/// the rest of that render.
///
/// # Example
///
/// ```
/// use apigw_vtl::{Context, Host, Options, Template, Value};
/// struct Vars;
/// impl Host for Vars {
///     fn lookup(&self, name: &str) -> Option<Value> {
///         (name == "greeting").then(|| Value::string("hi"))
///     }
/// }
/// let t = Template::compile("$greeting $other", &Options::default()).unwrap();
/// let mut out = String::new();
/// t.render(&Context::new().with_host(&Vars), &mut out).unwrap();
/// assert_eq!(out, "hi ");
/// ```
pub trait Host {
    /// Returns the value of a top-level name, or `None` if undefined.
    fn lookup(&self, name: &str) -> Option<Value>;
}

/// The answer of [`Object::call_method`].
#[derive(Debug)]
pub enum Call {
    /// The method exists and returned this value (`Value::null()` for a Java
    /// method returning `null`).
    Value(Value),
    /// The method exists and is `void` (Velocity renders `""`).
    Void,
    /// No such method: the reference renders as written (or empty).
    NotFound,
}

/// A host object: something the template can read properties of, call
/// methods on, index, iterate, print and assign properties to.
///
/// Every method has a default, so an object only implements what it
/// supports. Values returned are owned (`Value` is cheap to clone; share
/// big data with `Rc`/`Arc` inside your object).
///
/// # Example
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use apigw_vtl::{Call, Context, Host, Object, Options, Template, Value};
///
/// #[derive(Debug, Default)]
/// struct Override { status: Cell<Option<i64>> }
/// impl Object for Override {
///     fn set_property(&self, name: &str, v: Value) -> Result<bool, apigw_vtl::Error> {
///         if name == "status" { self.status.set(v.as_i64()); return Ok(true); }
///         Ok(false)
///     }
/// }
/// struct H(Rc<Override>);
/// impl Host for H {
///     fn lookup(&self, name: &str) -> Option<Value> {
///         (name == "o").then(|| Value::object(self.0.clone()))
///     }
/// }
/// let h = H(Rc::new(Override::default()));
/// let t = Template::compile("#set($o.status = 400)", &Options::default()).unwrap();
/// t.render(&Context::new().with_host(&h), &mut String::new()).unwrap();
/// assert_eq!(h.0.status.get(), Some(400));
/// ```
pub trait Object: fmt::Debug {
    /// Reads `$obj.name`; `None` when there is no such property.
    fn get_property(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }

    /// Calls `$obj.name(args…)` with evaluated arguments.
    ///
    /// # Errors
    ///
    /// An error aborts the render (Velocity's `MethodInvocationException`).
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        let _ = (name, args);
        Ok(Call::NotFound)
    }

    /// Prints `$obj.name(arg)`, a call with one string argument, straight into `out`,
    /// without making the result a value: the engine asks when a printed reference is such
    /// a call on a string read from a JSON document (`$util.escapeJavaScript($r.name)`).
    /// `None` (the default) when the object leaves it to [`Object::call_method`], whose
    /// result the engine then prints. An object answering `Some(Ok(()))` must have written
    /// exactly what printing that result would, and may do so only when the result is
    /// not null.
    ///
    /// # Errors
    ///
    /// An error aborts the render, as from [`Object::call_method`].
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Call, Context, Host, JsonText, Object, Options, Template, Value};
    /// #[derive(Debug)]
    /// struct Shout;
    /// impl Object for Shout {
    ///     fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, apigw_vtl::Error> {
    ///         Ok(match (name, args) {
    ///             ("up", [s]) => Call::Value(Value::string(s.to_string().to_uppercase())),
    ///             _ => Call::NotFound,
    ///         })
    ///     }
    ///     fn write_call_str(
    ///         &self,
    ///         name: &str,
    ///         arg: &str,
    ///         out: &mut String,
    ///     ) -> Option<Result<(), apigw_vtl::Error>> {
    ///         (name == "up").then(|| out.push_str(&arg.to_uppercase())).map(Ok)
    ///     }
    /// }
    /// struct H;
    /// impl Host for H {
    ///     fn lookup(&self, name: &str) -> Option<Value> {
    ///         (name == "s").then(|| Value::object(std::rc::Rc::new(Shout)))
    ///     }
    /// }
    /// let t = Template::compile("$s.up($doc.a) $s.up('b')", &Options::default()).unwrap();
    /// let text = JsonText::parse(br#"{"a": "x"}"#).unwrap();
    /// let mut ctx = Context::new().with_host(&H);
    /// ctx.insert("doc", text.value(Value::list));
    /// let mut out = String::new();
    /// t.render(&ctx, &mut out).unwrap();
    /// assert_eq!(out, "X B");
    /// ```
    fn write_call_str(&self, name: &str, arg: &str, out: &mut String) -> Option<Result<(), Error>> {
        let _ = (name, arg, out);
        None
    }

    /// Handles `#set($obj.name = value)`; returns `false` when the property
    /// cannot be set (the assignment is then ignored, as in Velocity).
    ///
    /// # Errors
    ///
    /// An error aborts the render.
    fn set_property(&self, name: &str, value: Value) -> Result<bool, Error> {
        let _ = (name, value);
        Ok(false)
    }

    /// Reads `$obj[key]`; `None` when not indexable.
    ///
    /// # Errors
    ///
    /// An error aborts the render (like an index out of bounds in Java).
    fn index(&self, key: &Value) -> Result<Option<Value>, Error> {
        let _ = key;
        Ok(None)
    }

    /// The elements `#foreach` iterates over; `None` when not iterable.
    fn iterate(&self) -> Option<Vec<Value>> {
        None
    }

    /// Appends what `$obj` prints (Java `toString()`).
    fn write_string(&self, out: &mut String) {
        out.push_str(&format!("{self:?}"));
    }

    /// Returns the printed form as a `String`.
    fn to_string_value(&self) -> String {
        let mut s = String::new();
        self.write_string(&mut s);
        s
    }
}
