//! A byte-exact reimplementation of Apache Velocity 1.7's template language
//! (VTL), as AWS API Gateway runs it for mapping templates.
//!
//! Compile a template once, render it many times into a reusable buffer:
//!
//! ```
//! use apigw_vtl::{Context, Options, Template, Value};
//!
//! let tpl = Template::compile(
//!     "#set($n = $items.size())\n#foreach($i in $items)$i#if($foreach.hasNext), #end#end ($n)",
//!     &Options::default(),
//! )?;
//! let mut ctx = Context::new();
//! ctx.insert("items", Value::list(vec![Value::int(1), Value::string("two")]));
//! let mut out = String::new();
//! tpl.render(&ctx, &mut out)?;
//! assert_eq!(out, "1, two (2)");
//! # Ok::<(), apigw_vtl::Error>(())
//! ```
//!
//! # Behaviour
//!
//! The lexer is a port of Velocity 1.7's JavaCC token manager (lexical
//! states, state stack, MORE tokens), so whitespace comes out as Velocity
//! prints it: `#set(...)`, `#if(...)`, `#foreach(...)`, `#else` and `#end`
//! eat a following newline (with trailing blanks) but not the indentation
//! before them, except that a `#set` starting a token also eats the blanks
//! before it.
//!
//! Values follow Java: `Integer`/`Long`/`Double` arithmetic with Velocity's
//! widening on overflow, division by zero gives `null`, `Double.toString`
//! and `Float.toString` exactly as JDK 8–18 print them (`FloatingDecimal`), `List`/`Map` `toString`, UTF-16 string indexes. Regular
//! expression methods (`matches`, `replaceAll`, `replaceFirst`, `split`) use
//! Java regex syntax.
//!
//! Undefined references print as written in stock Velocity
//! ([`NullRendering::Literal`]); API Gateway prints nothing
//! ([`NullRendering::Empty`], the default).
//!
//! # Host objects
//!
//! A [`Host`] supplies top-level names lazily (asked at most once per
//! render); an [`Object`] answers property reads, method calls, indexing,
//! iteration, printing and property assignment, so
//! `#set($context.responseOverride.status = 400)` reaches the caller.
//! [`Template::analysis`] lists the top-level names a template reads and the
//! members with literal arguments it uses on them (`$input.path('$.x')`).
//!
//! # Known differences from Velocity 1.7
//!
//! - Strings are UTF-8; an unpaired surrogate (half an emoji from
//!   `substring`) is kept as a private-use stand-in (U+10F800–U+10FFFF) so
//!   Java's unit-wise operations still work, and prints as Java writes it.
//!   A template or value that itself contains those private-use characters
//!   would print them as `?`.
//! - Identity hash codes cannot be reproduced: a `String[]` from `split`
//!   prints as `[Ljava.lang.String;@…` with another number.
//! - Only the Java method surface templates use is there (String, List,
//!   Map, Map.Entry, numbers, booleans, a few static helpers reachable
//!   through instances); other reflection renders the reference as written.
//! - `#parse` and `#include` are compile errors (no file system); macros are
//!   local to a template (Velocity's engine-wide macro library is not
//!   shared between templates).
//!
//! # Untrusted templates
//!
//! Every budget in [`Limits`] has a default and produces an
//! [`ErrorKind::LimitExceeded`] error. No input panics.

#![deny(missing_docs)]

mod analysis;
mod ast;
mod cycles;
mod error;
mod host;
mod jdouble;
mod jregex;
mod json;
mod lexer;
mod methods;
mod parser;
mod render;
mod value;

use std::collections::HashMap;
use std::sync::Arc;

pub use analysis::{Analysis, MemberSite, MemberUse};
pub use error::{Error, ErrorKind};
pub use host::{Call, Host, Object};
pub use json::{JsonScalar, JsonStep, JsonText};
pub use value::Value;

/// How a null or undefined reference prints.
///
/// # Example
///
/// ```
/// use apigw_vtl::{Context, NullRendering, Options, Template};
/// let stock = Options { null_rendering: NullRendering::Literal, ..Options::default() };
/// let t = Template::compile("[$nope][$!nope]", &stock).unwrap();
/// assert_eq!(t.render_to_string(&Context::new()).unwrap(), "[$nope][]");
/// let t = Template::compile("[$nope][$!nope]", &Options::default()).unwrap();
/// assert_eq!(t.render_to_string(&Context::new()).unwrap(), "[][]");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NullRendering {
    /// As written in the template (`$foo`), like stock Velocity.
    Literal,
    /// As the empty string, like API Gateway (the default). In this mode a
    /// null operand of `==`/`!=` also equals `""`, as API Gateway's
    /// recordings show (`#if($x == "")` is true for a missing `$x`).
    #[default]
    Empty,
}

/// Budgets for untrusted templates. Each is checked with a clear
/// [`ErrorKind::LimitExceeded`] error.
///
/// # Example
///
/// ```
/// use apigw_vtl::{Context, ErrorKind, Limits, Options, Template};
/// let opts = Options {
///     limits: Limits { max_loop_iterations: 10, ..Limits::default() },
///     ..Options::default()
/// };
/// let t = Template::compile("#foreach($i in [1..11])$i#end", &opts).unwrap();
/// let err = t.render_to_string(&Context::new()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LimitExceeded);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum template source size in bytes (default 256 KiB; API Gateway
    /// caps mapping templates at 300 KB including everything else).
    pub max_template_bytes: usize,
    /// Maximum nesting of blocks and expressions at compile time
    /// (default 64).
    pub max_nesting: usize,
    /// Maximum macro call depth (default 20, Velocity's
    /// `velocimacro.max.depth`); also bounds nested `#evaluate` and
    /// `#define` rendering.
    pub max_call_depth: usize,
    /// Maximum total `#foreach` iterations per render (default 100 000).
    pub max_loop_iterations: u64,
    /// Maximum output size in bytes per render (default 10 MiB, API
    /// Gateway's payload limit). It also bounds what a template builds
    /// outside the output: any string value (concatenation, method results)
    /// and the element count of lists and maps grown through methods
    /// (`max_output_bytes / 16`).
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: 256 * 1024,
            max_nesting: 64,
            max_call_depth: 20,
            max_loop_iterations: 100_000,
            max_output_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Compile and render options.
///
/// # Example
///
/// ```
/// use apigw_vtl::{NullRendering, Options};
/// let api_gateway = Options::default();
/// assert_eq!(api_gateway.null_rendering, NullRendering::Empty);
/// let stock_velocity = Options { null_rendering: NullRendering::Literal, ..Options::default() };
/// # let _ = stock_velocity;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// How null and undefined references print.
    pub null_rendering: NullRendering,
    /// Budgets.
    pub limits: Limits,
}

/// The variables a render starts with, plus an optional [`Host`] consulted
/// for names that are not set.
///
/// Values set with `#set` during a render never leak into the `Context`.
///
/// # Example
///
/// ```
/// use apigw_vtl::{Context, Options, Template, Value};
/// let mut ctx = Context::new();
/// ctx.insert("name", Value::string("World"));
/// let t = Template::compile("Hello, $name!#set($name = 'x')", &Options::default()).unwrap();
/// assert_eq!(t.render_to_string(&ctx).unwrap(), "Hello, World!");
/// assert_eq!(t.render_to_string(&ctx).unwrap(), "Hello, World!");
/// ```
#[derive(Default)]
pub struct Context<'h> {
    /// The variables set, made on the first [`Context::insert`] (a context that only has a
    /// host, as API Gateway's renders, builds no map).
    vars: Option<HashMap<String, Value>>,
    host: Option<&'h dyn Host>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("vars", self.vars.as_ref().unwrap_or(&HashMap::new()))
            .field("host", &self.host.is_some())
            .finish()
    }
}

impl<'h> Context<'h> {
    /// Creates an empty context.
    pub fn new() -> Self {
        Context {
            vars: None,
            host: None,
        }
    }

    /// Sets a variable (a `null` value makes the name undefined, as
    /// `VelocityContext.put` of null does not define it usefully).
    pub fn insert(&mut self, name: impl Into<String>, value: Value) -> &mut Self {
        self.vars
            .get_or_insert_with(HashMap::new)
            .insert(name.into(), value);
        self
    }

    /// Attaches a host for names that are not set.
    pub fn with_host(mut self, host: &'h dyn Host) -> Self {
        self.host = Some(host);
        self
    }

    /// Attaches or replaces the host.
    pub fn set_host(&mut self, host: &'h dyn Host) -> &mut Self {
        self.host = Some(host);
        self
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(vars) = &self.vars
            && let Some(v) = vars.get(name)
        {
            return Some(v.clone());
        }
        self.host.and_then(|h| h.lookup(name))
    }
}

/// A compiled template: immutable, `Send + Sync`, cheap to share in an
/// `Arc`.
#[derive(Debug)]
pub struct Template {
    inner: Arc<render::Program>,
    options: Options,
    analysis: Analysis,
    source_len: usize,
    single_call: Option<SingleCall>,
}

/// A template that is exactly one method call on a top-level name, with string-literal
/// arguments, between plain text: `prefix$root.method('a', …)suffix` (no `$!`, no escape,
/// no directive, no macro). See [`Template::single_call`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleCall {
    /// The text before the reference.
    pub prefix: String,
    /// The top-level name (`input`).
    pub root: String,
    /// The method (`json`).
    pub method: String,
    /// The literal arguments.
    pub args: Vec<String>,
    /// The text after the reference.
    pub suffix: String,
}

fn single_call(prog: &render::Program) -> Option<SingleCall> {
    use ast::{Expr, Node, Part, RefKind};
    if !prog.macros.is_empty() {
        return None;
    }
    let text = |n: Option<&Node>| match n {
        Some(Node::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let prefix = text(prog.nodes.first());
    let rest = &prog.nodes[usize::from(prefix.is_some())..];
    let (Some(Node::Ref(r)), tail) = (rest.first(), rest.get(1..).unwrap_or_default()) else {
        return None;
    };
    let suffix = match tail {
        [] => String::new(),
        [n] => text(Some(n))?,
        _ => return None,
    };
    if r.kind != RefKind::Normal
        || r.escaped
        || !r.esc_prefix.is_empty()
        || !r.more_prefix.is_empty()
    {
        return None;
    }
    let [Part::Method(method, args, _)] = &r.parts[..] else {
        return None;
    };
    let args = args
        .iter()
        .map(|e| match e {
            Expr::Str(s) => Some(s.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(SingleCall {
        prefix: prefix.unwrap_or_default(),
        root: r.root_name.to_string(),
        method: method.to_string(),
        args,
        suffix,
    })
}

impl Template {
    /// Compiles a template.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Syntax`] when Velocity 1.7 would reject the template,
    /// [`ErrorKind::Unsupported`] for `#parse`/`#include`,
    /// [`ErrorKind::LimitExceeded`] when it is too big or too deeply nested.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Options, Template};
    /// let err = Template::compile("#parse('x.vm')", &Options::default()).unwrap_err();
    /// assert_eq!(err.kind(), apigw_vtl::ErrorKind::Unsupported);
    /// ```
    pub fn compile(src: &str, options: &Options) -> Result<Template, Error> {
        let prog = render::Program::compile(src, options, parser::Names::default())?;
        let analysis = analysis::analyze(&prog);
        let single_call = single_call(&prog);
        Ok(Template {
            single_call,
            inner: Arc::new(prog),
            options: options.clone(),
            analysis,
            source_len: src.len(),
        })
    }

    /// Renders into `out` (appending), so one buffer can be reused across
    /// renders.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Context, Options, Template, Value};
    /// let t = Template::compile("{\"n\": $n}", &Options::default()).unwrap();
    /// let mut buf = String::new();
    /// for n in 1..=2 {
    ///     buf.clear();
    ///     let mut ctx = Context::new();
    ///     ctx.insert("n", Value::int(n));
    ///     t.render(&ctx, &mut buf).unwrap();
    /// }
    /// assert_eq!(buf, "{\"n\": 2}");
    /// ```
    ///
    /// # Errors
    ///
    /// Errors of kind [`ErrorKind::Render`] (a method threw, as Velocity's
    /// `MethodInvocationException`), [`ErrorKind::LimitExceeded`] or
    /// [`ErrorKind::Host`]. On error `out` holds partial output.
    pub fn render(&self, ctx: &Context<'_>, out: &mut String) -> Result<(), Error> {
        render::render(&self.inner, &self.options, ctx, out)
    }

    /// A starting capacity for an output buffer: the template's length in bytes (what a
    /// template without loops or values mostly prints), so small renders need no regrowth.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Options, Template};
    /// let t = Template::compile("{\"n\": $n}", &Options::default())?;
    /// assert_eq!(t.size_hint(), 9);
    /// # Ok::<(), apigw_vtl::Error>(())
    /// ```
    pub fn size_hint(&self) -> usize {
        self.source_len
    }

    /// The template's shape when it is one method call between plain text, so a host that
    /// can produce that call's text directly may skip the engine (when the call succeeds with
    /// a string; on any other outcome it should render normally).
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Options, Template};
    /// let t = Template::compile("{\"data\": $input.json('$')}", &Options::default())?;
    /// let call = t.single_call().unwrap();
    /// assert_eq!((call.root.as_str(), call.method.as_str()), ("input", "json"));
    /// assert_eq!((call.prefix.as_str(), call.suffix.as_str()), ("{\"data\": ", "}"));
    /// assert_eq!(call.args, ["$"]);
    /// assert!(Template::compile("$!input.json('$')", &Options::default())?.single_call().is_none());
    /// # Ok::<(), apigw_vtl::Error>(())
    /// ```
    pub fn single_call(&self) -> Option<&SingleCall> {
        self.single_call.as_ref()
    }

    /// Renders into a new `String`.
    ///
    /// # Errors
    ///
    /// As [`Template::render`].
    pub fn render_to_string(&self, ctx: &Context<'_>) -> Result<String, Error> {
        let mut s = String::with_capacity(self.size_hint());
        self.render(ctx, &mut s)?;
        Ok(s)
    }

    /// Returns the static analysis of the template: the top-level names it
    /// reads and the members (with literal arguments) used on them.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// Returns the options the template was compiled with.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

#[cfg(test)]
mod send_sync {
    fn is_send_sync<T: Send + Sync>() {}
    #[test]
    fn template_is_send_sync() {
        is_send_sync::<super::Template>();
    }
}
