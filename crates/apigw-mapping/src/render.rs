//! Rendering mapping templates: the `$input`, `$util`, `$context` and `$stageVariables` objects
//! API Gateway gives a template (SPEC §5), exposed to `apigw-vtl` lazily through its host
//! interface, and `$context.responseOverride` (SPEC §5.9).

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use apigw_jsonpath::{JsonPath, QueryResult};
use apigw_vtl::{Call, Error, ErrorKind, Host, Object, Template, Value};
use bytes::Bytes;
use serde_json::Value as Json;

use crate::RequestContext;
use crate::util;

/// What the overrides of one invocation hold; shared by the request template (MOCK) and the
/// response template, since values written on the request side carry over (SPEC §5.7).
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    /// Created on first use: a template that never reads `$context` allocates neither.
    response: OnceCell<Rc<Override>>,
    request: OnceCell<Rc<Override>>,
}

impl Overrides {
    /// `$context.responseOverride`.
    pub(crate) fn response(&self) -> &Rc<Override> {
        self.response.get_or_init(Rc::default)
    }

    /// `$context.requestOverride`.
    pub(crate) fn request(&self) -> &Rc<Override> {
        self.request.get_or_init(Rc::default)
    }

    /// `$context.responseOverride` if anything created it (nothing was written otherwise).
    pub(crate) fn response_if_used(&self) -> Option<&Rc<Override>> {
        self.response.get()
    }
}

/// What a request template wrote to `$context.requestOverride` / `.responseOverride`, as plain
/// data (`Send`), to hand to the backend call and carry into the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverrideValues {
    /// `status`, printed.
    pub status: Option<String>,
    /// `header.NAME`, printed (lists joined with `,`).
    pub headers: Vec<(String, String)>,
    /// `path.NAME` (request side).
    pub path: Vec<(String, String)>,
    /// `querystring.NAME` (request side).
    pub querystring: Vec<(String, String)>,
    /// Other members (custom keys), printed.
    pub others: Vec<(String, String)>,
}

/// `$context.responseOverride` / `$context.requestOverride`.
#[derive(Debug, Default)]
pub(crate) struct Override {
    status: RefCell<Option<Value>>,
    headers: Rc<OverrideMap>,
    /// `path`, `querystring` (request side) and any other map-valued member.
    maps: RefCell<Vec<(String, Rc<OverrideMap>)>>,
    /// Other members (`$context.requestOverride.path.x`, custom keys): kept readable.
    others: RefCell<Vec<(String, Value)>>,
    /// The first parameter assigned more than once, if any ("overrides are final").
    set_twice: RefCell<Option<String>>,
    status_sets: Cell<u32>,
}

/// `….header` of an override: name → value, in assignment order.
#[derive(Debug, Default)]
pub(crate) struct OverrideMap {
    entries: RefCell<Vec<(String, Value)>>,
    set_twice: RefCell<Option<String>>,
}

impl Object for OverrideMap {
    fn get_property(&self, name: &str) -> Option<Value> {
        self.entries
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn set_property(&self, name: &str, value: Value) -> Result<bool, Error> {
        let mut entries = self.entries.borrow_mut();
        match entries.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => {
                self.set_twice
                    .borrow_mut()
                    .get_or_insert_with(|| format!("header.{name}"));
                slot.1 = value;
            }
            None => entries.push((name.to_owned(), value)),
        }
        Ok(true)
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        match (name, args) {
            ("get", [k]) => Ok(Call::Value(
                k.as_str()
                    .and_then(|k| self.get_property(k))
                    .unwrap_or_else(Value::null),
            )),
            ("put", [k, v]) => {
                let old = k.as_str().and_then(|k| self.get_property(k));
                if let Some(k) = k.as_str() {
                    self.set_property(k, v.clone())?;
                }
                Ok(Call::Value(old.unwrap_or_else(Value::null)))
            }
            ("isEmpty", []) => Ok(Call::Value(Value::bool(self.entries.borrow().is_empty()))),
            ("size", []) => Ok(Call::Value(Value::int(
                i32::try_from(self.entries.borrow().len()).unwrap_or(i32::MAX),
            ))),
            _ => Ok(Call::NotFound),
        }
    }

    fn write_string(&self, out: &mut String) {
        let entries = self.entries.borrow().clone();
        guarded(out, |out| write_java_map(&entries, out));
    }
}

/// `{k=v, …}` as Java's `AbstractMap.toString` prints it.
fn write_java_map(entries: &[(String, Value)], out: &mut String) {
    out.push('{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{k}={v}");
    }
    out.push('}');
}

impl Object for Override {
    fn get_property(&self, name: &str) -> Option<Value> {
        match name {
            "status" => self.status.borrow().clone(),
            "header" => Some(Value::object(self.headers.clone())),
            "path" | "querystring" => {
                let mut maps = self.maps.borrow_mut();
                let map = match maps.iter().find(|(n, _)| n == name) {
                    Some((_, m)) => m.clone(),
                    None => {
                        let m = Rc::new(OverrideMap::default());
                        maps.push((name.to_owned(), m.clone()));
                        m
                    }
                };
                Some(Value::object(map))
            }
            _ => self
                .others
                .borrow()
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone()),
        }
    }

    fn set_property(&self, name: &str, value: Value) -> Result<bool, Error> {
        if name == "status" {
            self.status_sets.set(self.status_sets.get() + 1);
            if self.status_sets.get() > 1 {
                self.set_twice
                    .borrow_mut()
                    .get_or_insert_with(|| "status".to_owned());
            }
            *self.status.borrow_mut() = Some(value);
        } else {
            let mut others = self.others.borrow_mut();
            match others.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => others.push((name.to_owned(), value)),
            }
        }
        Ok(true)
    }

    fn write_string(&self, out: &mut String) {
        guarded(out, |out| self.write_fields(out));
    }
}

impl Override {
    fn write_fields(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        if let Some(s) = &*self.status.borrow() {
            let _ = write!(out, "status={s}");
            first = false;
        }
        if !first {
            out.push_str(", ");
        }
        out.push_str("header=");
        self.headers.write_string(out);
        for (k, v) in self.others.borrow().iter() {
            let _ = write!(out, ", {k}={v}");
        }
        out.push('}');
    }
}

impl Override {
    /// The overriding status (SPEC §5.9): an integer, or a numeric string, in 100–599;
    /// anything else is ignored.
    pub(crate) fn status(&self) -> Option<u16> {
        let v = self.status.borrow();
        let v = v.as_ref()?;
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse::<i64>().ok()))?;
        (100..=599).contains(&n).then_some(n as u16)
    }

    /// The overriding headers, values printed as Velocity prints them (lists joined with `,`).
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        self.headers
            .entries
            .borrow()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v.as_list() {
                    Some(items) => items
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    None => v.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }

    /// The values written so far, as plain data.
    pub(crate) fn snapshot(&self) -> OverrideValues {
        let printed = |m: &OverrideMap| -> Vec<(String, String)> {
            m.entries
                .borrow()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        };
        let map = |name: &str| {
            self.maps
                .borrow()
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| printed(m))
                .unwrap_or_default()
        };
        OverrideValues {
            status: self.status.borrow().as_ref().map(ToString::to_string),
            headers: self.headers(),
            path: map("path"),
            querystring: map("querystring"),
            others: self
                .others
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
        }
    }

    /// Pre-fills values written by an earlier template (they count as not yet set here, so
    /// the response template may override them once).
    pub(crate) fn seed(&self, values: &OverrideValues) {
        let strings = |list: &[(String, String)]| -> Vec<(String, Value)> {
            list.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                .collect()
        };
        *self.status.borrow_mut() = values.status.as_deref().map(Value::string);
        *self.headers.entries.borrow_mut() = strings(&values.headers);
        *self.others.borrow_mut() = strings(&values.others);
        let mut maps = self.maps.borrow_mut();
        maps.clear();
        for (name, list) in [("path", &values.path), ("querystring", &values.querystring)] {
            if !list.is_empty() {
                let m = Rc::new(OverrideMap::default());
                *m.entries.borrow_mut() = strings(list);
                maps.push((name.to_owned(), m));
            }
        }
    }

    /// The first parameter overridden more than once.
    pub(crate) fn set_twice(&self) -> Option<String> {
        self.set_twice
            .borrow()
            .clone()
            .or_else(|| self.headers.set_twice.borrow().clone())
    }
}

/// The per-render data the host objects read.
pub(crate) struct Scope<'a> {
    /// The body the template sees (`$input.body`, `$input.path`, `$input.json`).
    pub(crate) body: Bytes,
    pub(crate) request: &'a RequestContext,
    pub(crate) overrides: &'a Overrides,
    /// `body` already parsed as JSON (by the `responseParameters` of the same response), so
    /// `$input` does not parse it again; taken by the first `$input` lookup.
    pub(crate) parsed_body: Cell<Option<Json>>,
    /// `body` already on a lazy JSON tape (made by the `responseParameters`), for `$input`.
    pub(crate) parsed_tape: Cell<Option<apigw_vtl::JsonText>>,
    /// What the template may read of the request.
    pub(crate) reads: &'a Reads,
    /// The `$input` object this render was given, emptied into the thread's spare when the
    /// render is over (see [`SPARE_INPUT`]).
    handed_input: RefCell<Option<Rc<Input>>>,
}

impl<'a> Scope<'a> {
    /// The scope of one render of a template that may read `reads`, over `body`.
    pub(crate) fn new(
        body: Bytes,
        request: &'a RequestContext,
        overrides: &'a Overrides,
        reads: &'a Reads,
    ) -> Scope<'a> {
        Scope {
            body,
            request,
            overrides,
            parsed_body: Cell::default(),
            parsed_tape: Cell::default(),
            reads,
            handed_input: RefCell::default(),
        }
    }

    /// `$input` for this render: the thread's spare object refilled, or a new one.
    fn input(&self) -> Rc<Input> {
        let mut input = SPARE_INPUT
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_else(|| Rc::new(Input::empty()));
        if Rc::get_mut(&mut input).is_none() {
            input = Rc::new(Input::empty());
        }
        if let Some(slot) = Rc::get_mut(&mut input) {
            slot.fill(
                self.body.clone(),
                self.request,
                self.parsed_body.take(),
                self.parsed_tape.take(),
                self.reads.params,
            );
        }
        // A second `$input` lookup (none today: the engine keeps the first) gets its own.
        if let Ok(mut handed) = self.handed_input.try_borrow_mut()
            && handed.is_none()
        {
            *handed = Some(input.clone());
        }
        input
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        // When the render kept no handle on `$input`, its object is emptied (body, tape and
        // parameters released now) and kept for the thread's next render.
        if let Some(mut input) = self.handed_input.get_mut().take()
            && let Some(slot) = Rc::get_mut(&mut input)
        {
            slot.clear();
            let _ = SPARE_INPUT.try_with(|spare| spare.set(Some(input)));
        }
    }
}

thread_local! {
    /// An empty `$input` object left by the thread's last render, for the next one (a service
    /// renders one response after another: one allocation less each).
    static SPARE_INPUT: Cell<Option<Rc<Input>>> = const { Cell::new(None) };
}

/// What a template may read of the request, worked out once when it compiles, so that a
/// render copies no more of the request into its objects than the template can reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Whether the template may read `$input.params` (else `$input` copies no parameters).
    pub(crate) params: bool,
    /// The top-level `$context` fields the template may read; `None` for all of them (the
    /// object used as a whole value, a `get` with a computed name, `#evaluate`).
    pub(crate) context_fields: Option<Box<[String]>>,
}

impl Reads {
    /// What `template` may read, from its static analysis.
    pub(crate) fn of(template: &Template) -> Reads {
        let analysis = template.analysis();
        let context_fields = if analysis.dynamic || analysis.whole.iter().any(|n| n == "context") {
            None
        } else {
            let mut fields: Vec<String> = Vec::new();
            let mut all = false;
            for m in analysis.members.iter().filter(|m| m.root == "context") {
                match (m.is_method, m.member.as_str(), &m.args) {
                    // `$context.get('name')`: that field.
                    (true, "get", Some(args)) => fields.extend(args.iter().cloned()),
                    // A name computed at render time: any field.
                    (true, "get", None) => all = true,
                    // Other methods are not found whatever the fields.
                    (true, _, _) => {}
                    (false, name, _) => fields.push(name.to_owned()),
                }
            }
            fields.sort_unstable();
            fields.dedup();
            (!all).then(|| fields.into_boxed_slice())
        };
        Reads {
            params: analysis.may_use_member("input", "params"),
            context_fields,
        }
    }

    /// The `$context` fields a render needs, as template values: those the template may read
    /// (typed ids included: see [`RequestContext::request_id`]).
    fn context(&self, request: &RequestContext) -> Vec<(String, Value)> {
        match &self.context_fields {
            None => request
                .context_fields()
                .map(|(k, v)| (k.to_owned(), v.to_vtl()))
                .collect(),
            Some(names) => names
                .iter()
                .filter_map(|n| Some((n.clone(), request.context_field(n)?.to_vtl())))
                .collect(),
        }
    }
}

impl Host for Scope<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "input" => Some(Value::object(self.input())),
            "util" => Some(util_value()),
            "context" => Some(Value::object(Rc::new(ContextObject {
                fields: self.reads.context(self.request),
                response_override: self.overrides.response().clone(),
                request_override: self.overrides.request().clone(),
            }))),
            "stageVariables" => Some(Value::map(
                self.request
                    .stage_variables
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                    .collect(),
            )),
            _ => None,
        }
    }
}

/// The output of a template that is exactly `prefix$input.json('$')suffix`, made straight from
/// the body (see [`body_json_call`]); `None` for any other template.
fn single_body_call(template: &Template, scope: &Scope<'_>) -> Option<Vec<u8>> {
    template
        .single_call()
        .and_then(|call| body_json_call(call, &scope.body, template))
}

/// Renders a compiled template with the API Gateway objects.
pub(crate) fn render(template: &Template, scope: &Scope<'_>) -> Result<String, Error> {
    // (A body that is not UTF-8 goes to the engine, which reports it.)
    if let Some(text) = single_body_call(template, scope).and_then(|b| String::from_utf8(b).ok()) {
        return Ok(text);
    }
    let ctx = apigw_vtl::Context::new().with_host(scope);
    // Room for the template's text and as much again as the body: most renders print one
    // or the other, so the output rarely regrows (capacity beyond what is written is never
    // touched).
    let mut out = String::with_capacity(template.size_hint() + scope.body.len());
    template.render(&ctx, &mut out)?;
    Ok(out)
}

/// Renders a response body: as [`render`], into a per-thread scratch buffer whose text is then
/// copied into a [`Bytes`] of exactly its length (one heap block, where handing over the
/// over-allocated `String` costs two: the buffer and the shared header `Bytes` adds). Outputs
/// beyond [`COPIED_OUTPUT`] bytes are handed over as they are (no copy).
///
/// `scope.body` must be valid UTF-8 (a converted text body is): the single-call shortcut
/// then hands over the body's compact form without checking it again (taking out whitespace
/// between tokens keeps UTF-8 valid).
pub(crate) fn render_body(template: &Template, scope: &Scope<'_>) -> Result<Bytes, Error> {
    debug_assert!(
        std::str::from_utf8(&scope.body).is_ok(),
        "render_body needs a text body"
    );
    if let Some(bytes) = single_body_call(template, scope) {
        return Ok(Bytes::from(bytes));
    }
    let ctx = apigw_vtl::Context::new().with_host(scope);
    // A render inside this render (none today) would find the cell empty and allocate.
    let mut out = OUTPUT.with(std::cell::Cell::take);
    out.clear();
    out.reserve(template.size_hint() + scope.body.len());
    let result = template.render(&ctx, &mut out);
    let bytes = if out.len() <= COPIED_OUTPUT {
        let bytes = Bytes::copy_from_slice(out.as_bytes());
        if out.capacity() <= POOLED_OUTPUT {
            out.clear();
            OUTPUT.with(|cell| cell.set(out));
        }
        bytes
    } else {
        Bytes::from(out)
    };
    result.map(|()| bytes)
}

/// Outputs up to this size are copied out of the per-thread buffer.
const COPIED_OUTPUT: usize = 2048;
/// The per-thread output buffer is kept while its capacity is at most this.
const POOLED_OUTPUT: usize = 64 * 1024;

thread_local! {
    static OUTPUT: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// Renders with extra `$context` members (e.g. `$context.error` in gateway responses).
pub(crate) fn render_with_context(
    template: &Template,
    scope: &Scope<'_>,
    extra: &serde_json::Map<String, Json>,
) -> Result<String, Error> {
    struct WithExtra<'s, 'a> {
        scope: &'s Scope<'a>,
        extra: &'s serde_json::Map<String, Json>,
    }
    impl Host for WithExtra<'_, '_> {
        fn lookup(&self, name: &str) -> Option<Value> {
            if name != "context" {
                return self.scope.lookup(name);
            }
            let mut fields = self.scope.request.context_map().into_owned();
            fields.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            Some(Value::object(Rc::new(ContextObject {
                fields: fields.iter().map(|(k, v)| (k.clone(), to_vtl(v))).collect(),
                response_override: self.scope.overrides.response().clone(),
                request_override: self.scope.overrides.request().clone(),
            })))
        }
    }
    let host = WithExtra { scope, extra };
    let ctx = apigw_vtl::Context::new().with_host(&host);
    let mut out = String::new();
    template.render(&ctx, &mut out)?;
    Ok(out)
}

/// Paths compiled per thread, by their text (templates call `$input.path` with the same
/// literal paths on every request).
const MAX_CACHED_PATHS: usize = 512;

thread_local! {
    static PATHS: RefCell<HashMap<Box<str>, Rc<JsonPath>, BuildHasherDefault<PathHasher>>> =
        RefCell::new(HashMap::default());
}

/// FNV-1a over the path's text, for the per-thread path cache: its keys are short and its
/// size is bounded by [`MAX_CACHED_PATHS`], so SipHash's flooding resistance buys nothing
/// there (a flood of colliding paths costs at most one scan of a bounded table).
#[derive(Default)]
struct PathHasher(u64);

impl Hasher for PathHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The text of a `$input.path` / `$input.json` argument: a string as it is, anything else
/// printed.
fn path_text(path: &Value) -> Cow<'_, str> {
    path.as_str()
        .map_or_else(|| Cow::Owned(path.to_string()), Cow::Borrowed)
}

/// Whether a path argument is the root `$` (surrounding whitespace allowed), checked without
/// trimming the common case of a longer path.
fn is_root_path(src: &str) -> bool {
    src == "$"
        || (src.starts_with(char::is_whitespace) || src.ends_with(char::is_whitespace))
            && src.trim() == "$"
}

/// `src` compiled, from the per-thread cache when it holds it (the cache is emptied when it
/// reaches [`MAX_CACHED_PATHS`], so it stays bounded whatever the templates hold).
fn compiled_path(src: &str) -> Result<Rc<JsonPath>, apigw_jsonpath::Error> {
    if let Some(p) = PATHS.with(|c| c.borrow().get(src).cloned()) {
        return Ok(p);
    }
    let compiled = Rc::new(JsonPath::parse(src)?);
    PATHS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_CACHED_PATHS {
            c.clear();
        }
        c.insert(src.into(), compiled.clone());
    });
    Ok(compiled)
}

/// `$input`.
#[derive(Debug)]
struct Input {
    body: Bytes,
    /// The body parsed as JSON, on first use.
    doc: OnceCell<Result<Json, String>>,
    /// The body checked and laid out on a lazy JSON tape, on first use (`None`: empty, not
    /// JSON, or beyond what the tape reader settles; the `serde_json` path decides).
    tape: OnceCell<Option<apigw_vtl::JsonText>>,
    params: Params,
}

/// The method request parameters `$input.params` reads.
#[derive(Debug)]
struct Params {
    path: Vec<(String, String)>,
    query: Vec<(String, String)>,
    header: Vec<(String, String)>,
}

impl Input {
    /// An object holding nothing (what a spare `$input` keeps between renders).
    fn empty() -> Input {
        Input {
            body: Bytes::new(),
            doc: OnceCell::new(),
            tape: OnceCell::new(),
            params: Params {
                path: Vec::new(),
                query: Vec::new(),
                header: Vec::new(),
            },
        }
    }

    /// Fills an empty object for one render.
    /// `parsed`: `body` already parsed by `serde_json` (the same value [`Input::document`]
    /// builds), if someone did.
    /// `params`: whether to copy the method request parameters (only templates that may
    /// read `$input.params` need them).
    fn fill(
        &mut self,
        body: Bytes,
        request: &RequestContext,
        parsed: Option<Json>,
        tape: Option<apigw_vtl::JsonText>,
        params: bool,
    ) {
        self.body = body;
        if let Some(v) = parsed {
            self.doc = OnceCell::from(Ok(v));
        }
        if let Some(t) = tape {
            self.tape = OnceCell::from(Some(t));
        }
        if params {
            self.params.path.clone_from(&request.path_parameters);
            self.params.query.clone_from(&request.query_string);
            self.params.header.clone_from(&request.headers);
        }
    }

    /// Releases what a render put in (the body, its readings, the parameters).
    fn clear(&mut self) {
        self.body = Bytes::new();
        self.doc.take();
        self.tape.take();
        self.params.path.clear();
        self.params.query.clear();
        self.params.header.clear();
    }

    /// The body as the JSON document JSONPath reads (json-smart's permissive reading, SPEC
    /// §5.3): an empty body is `{}`; a body starting with `{` or `[` must be valid JSON; other
    /// text that is not JSON is a string.
    fn document(&self) -> Result<&Json, Error> {
        self.doc
            .get_or_init(|| {
                let text = &self.body[..];
                let trimmed = text.trim_ascii();
                if trimmed.is_empty() {
                    return Ok(Json::Object(serde_json::Map::new()));
                }
                match serde_json::from_slice::<Json>(text) {
                    Ok(v) => Ok(v),
                    Err(e) if matches!(trimmed[0], b'{' | b'[') => {
                        Err(format!("Invalid JSON in the body: {e}"))
                    }
                    Err(_) => Ok(Json::String(String::from_utf8_lossy(text).into_owned())),
                }
            })
            .as_ref()
            .map_err(|e| Error::new(ErrorKind::Host, e.clone()))
    }

    /// `$input.path('$')`: the body read as [`Input::document`] does, parsed directly into
    /// template values (a fresh copy per call, as each call reads the body anew).
    fn root_value(&self) -> Result<Value, Error> {
        if let Some(tape) = self.tape() {
            return Ok(tape.value(json_array));
        }
        if let Some(Ok(doc)) = self.doc.get() {
            return Ok(to_vtl(doc));
        }
        let text = &self.body[..];
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            return Ok(Value::map(Vec::new()));
        }
        let mut de = serde_json::Deserializer::from_slice(text);
        let interned = RefCell::new(Interner::default());
        let visitor = VtlVisitor {
            interned: &interned,
        };
        match serde::Deserializer::deserialize_any(&mut de, visitor).and_then(|v| {
            de.end()?;
            Ok(v)
        }) {
            Ok(v) => Ok(v),
            Err(e) if matches!(trimmed[0], b'{' | b'[') => Err(Error::new(
                ErrorKind::Host,
                format!("Invalid JSON in the body: {e}"),
            )),
            Err(_) => Ok(Value::string(String::from_utf8_lossy(text).into_owned())),
        }
    }

    /// The body on the lazy JSON tape (read once per render, each `$input.path` call then
    /// gets fresh values from it).
    fn tape(&self) -> Option<&apigw_vtl::JsonText> {
        self.tape
            .get_or_init(|| crate::fastjson::read(&self.body))
            .as_ref()
    }

    fn query<'d>(&self, doc: &'d Json, path: &Value) -> Result<QueryResult<'d>, Error> {
        let src = path_text(path);
        let compiled = compiled_path(&src)
            .map_err(|e| Error::new(ErrorKind::Host, format!("Invalid JSONPath {src:?}: {e}")))?;
        Ok(compiled.query(doc))
    }

    fn body_text(&self) -> String {
        if self.body.is_empty() {
            "{}".to_owned()
        } else {
            String::from_utf8_lossy(&self.body).into_owned()
        }
    }

    fn params_map(list: &[(String, String)]) -> Value {
        Value::map(
            list.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                .collect(),
        )
    }
}

impl Object for Input {
    fn get_property(&self, name: &str) -> Option<Value> {
        match name {
            "body" => Some(Value::string(self.body_text())),
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        match (name, args) {
            ("path", [p]) if p.as_str().is_some_and(is_root_path) => {
                // The commonest call: the whole body, built straight into template values
                // without an intermediate DOM.
                Ok(Call::Value(self.root_value()?))
            }
            ("path", [p]) => {
                // A path of names and indexes walks the tape: no DOM, integers beyond `long`
                // kept exact.
                if let Ok(compiled) = compiled_path(&path_text(p))
                    && compiled.steps().is_some()
                    && let Some(tape) = self.tape()
                    && let Some(found) = crate::fastjson::with_tape_steps(&compiled, |steps| {
                        tape.value_at(steps, json_array)
                    })
                {
                    return Ok(Call::Value(found.unwrap_or_else(Value::null)));
                }
                let doc = self.document()?;
                Ok(Call::Value(match self.query(doc, p)? {
                    QueryResult::Nothing => Value::null(),
                    QueryResult::One(v) => to_vtl(v),
                    QueryResult::Many(list) => json_array(list.into_iter().map(to_vtl).collect()),
                    QueryResult::Computed(v) => to_vtl(&v),
                }))
            }
            ("json", [p]) => {
                let is_root = p.as_str().is_some_and(is_root_path);
                if is_root && let Some(text) = compact_json_text(&self.body)? {
                    return Ok(Call::Value(Value::string(text)));
                }
                let doc = self.document()?;
                // Other paths: json-smart serialises the values it read (numbers as Java
                // prints them, `/` escaped), which the template values reproduce.
                let value = match self.query(doc, p)? {
                    QueryResult::Nothing => return Ok(Call::Value(Value::string("\"\""))),
                    QueryResult::One(v) => to_vtl(v),
                    QueryResult::Many(list) => json_array(list.into_iter().map(to_vtl).collect()),
                    QueryResult::Computed(v) => to_vtl(&v),
                };
                let mut text = String::new();
                write_json(&value, &mut text);
                Ok(Call::Value(Value::string(text)))
            }
            ("params", []) => Ok(Call::Value(Value::map(vec![
                ("path".into(), Input::params_map(&self.params.path)),
                ("querystring".into(), Input::params_map(&self.params.query)),
                ("header".into(), Input::params_map(&self.params.header)),
            ]))),
            ("params", [name]) => {
                let name = name.to_string();
                let found = [&self.params.path, &self.params.query, &self.params.header]
                    .into_iter()
                    .find_map(|list| list.iter().find(|(k, _)| *k == name))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                Ok(Call::Value(Value::string(found)))
            }
            ("getBody", []) => Ok(Call::Value(Value::string(self.body_text()))),
            _ => Ok(Call::NotFound),
        }
    }

    fn write_string(&self, out: &mut String) {
        out.push_str("$input");
    }
}

/// `$input.json('$')` on a whole JSON body: the body's own text with insignificant whitespace
/// removed, numbers and strings exactly as written (no DOM). `None` when the body is not a
/// JSON container (the general path handles it).
/// A template that is exactly `prefix$input.json('$')suffix`, produced without the engine:
/// the body compacted straight into the output between the two texts, with no intermediate
/// string (the commonest passthrough-with-validation template, W3). `None` whenever the
/// engine must decide: another shape, a body that is empty or not a JSON object or array,
/// invalid JSON (the engine reports it), output over the template's output budget, or
/// characters the engine rewrites (U+100000 and above, see `apigw_vtl`'s stand-ins).
fn body_json_call(
    call: &apigw_vtl::SingleCall,
    body: &[u8],
    template: &Template,
) -> Option<Vec<u8>> {
    if call.root != "input"
        || call.method != "json"
        || !matches!(&call.args[..], [p] if is_root_path(p))
    {
        return None;
    }
    let trimmed = body.trim_ascii();
    if !matches!(trimmed.first(), Some(b'{' | b'[')) {
        return None;
    }
    let mut out = Vec::with_capacity(call.prefix.len() + trimmed.len() + call.suffix.len());
    out.extend_from_slice(call.prefix.as_bytes());
    let body_plane16 = crate::compact::compact(trimmed, &mut out).ok()?.plane16;
    out.extend_from_slice(call.suffix.as_bytes());
    let plane16 = |text: &str| text.as_bytes().contains(&0xF4);
    if out.len() > template.options().limits.max_output_bytes
        || body_plane16
        || plane16(&call.prefix)
        || plane16(&call.suffix)
    {
        return None;
    }
    // UTF-8 whenever the body is (the template's texts are): the caller's to check or know.
    Some(out)
}

fn compact_json_text(body: &[u8]) -> Result<Option<String>, Error> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Some("{}".to_owned()));
    }
    if !matches!(trimmed[0], b'{' | b'[') {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(trimmed.len());
    crate::compact::compact(trimmed, &mut out)
        .map_err(|e| Error::new(ErrorKind::Host, format!("Invalid JSON in the body: {e}")))?;
    String::from_utf8(out)
        .map(Some)
        .map_err(|e| Error::new(ErrorKind::Host, format!("body is not UTF-8: {e}")))
}

/// Converts JSON into the values a template sees: objects as insertion-ordered maps (printed
/// `{k=v}`), arrays as lists that print as compact JSON (json-smart's `JSONArray`), numbers as
/// `Integer`/`Long`/`Double`.
pub(crate) fn to_vtl(v: &Json) -> Value {
    match v {
        Json::Null => Value::null(),
        Json::Bool(b) => Value::bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                i32::try_from(i).map_or_else(|_| Value::long(i), Value::int)
            } else {
                Value::double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::string(s.as_str()),
        Json::Array(items) => json_array(items.iter().map(to_vtl).collect()),
        // Keys are unique in a JSON object map, so its entries become the map's storage.
        Json::Object(m) => Value::map_with_keys(
            m.iter()
                .map(|(k, v)| (Value::string(k.as_str()), to_vtl(v)))
                .collect(),
        ),
    }
}

/// Deserialises JSON straight into template values, with the same mapping as [`to_vtl`].
/// Object keys and short string values are interned for the whole document: a list of a
/// hundred objects with the same keys allocates each key once (Java strings are immutable, so
/// sharing is invisible to templates).
struct VtlVisitor<'i> {
    interned: &'i RefCell<Interner>,
}

/// Strings seen so far in one document (keys and values up to [`Interner::MAX_LEN`] bytes, the
/// first [`Interner::MAX_ENTRIES`] distinct ones): a linear scan, cheaper than hashing at
/// these sizes.
#[derive(Default)]
struct Interner {
    strings: Vec<Value>,
}

impl Interner {
    const MAX_LEN: usize = 24;
    const MAX_ENTRIES: usize = 48;

    fn get(&mut self, s: &str) -> Value {
        if s.len() > Self::MAX_LEN {
            return Value::string(s);
        }
        if let Some(v) = self.strings.iter().find(|v| v.as_str() == Some(s)) {
            return v.clone();
        }
        let v = Value::string(s);
        if self.strings.len() < Self::MAX_ENTRIES {
            self.strings.push(v.clone());
        }
        v
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for VtlVisitor<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An object key, interned.
struct Key<'i>(&'i RefCell<Interner>);

impl<'de> serde::de::DeserializeSeed<'de> for Key<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Key<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(self.0.borrow_mut().get(s))
    }
}

impl<'de> serde::de::Visitor<'de> for VtlVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::null())
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(i32::try_from(i).map_or_else(|_| Value::long(i), Value::int))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => i32::try_from(i).map_or_else(|_| Value::long(i), Value::int),
            Err(_) => Value::double(u as f64),
        })
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::double(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(self.interned.borrow_mut().get(s))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(VtlVisitor {
            interned: self.interned,
        })? {
            items.push(v);
        }
        Ok(json_array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).max(4));
        while let Some(k) = map.next_key_seed(Key(self.interned))? {
            let v = map.next_value_seed(VtlVisitor {
                interned: self.interned,
            })?;
            entries.push((k, v));
        }
        Ok(Value::map_with_keys(entries))
    }
}

pub(crate) fn json_array(items: Vec<Value>) -> Value {
    Value::object(Rc::new(JsonArray(RefCell::new(items))))
}

/// A JSON array from the body: a Java `List` whose `toString()` is compact JSON.
#[derive(Debug)]
struct JsonArray(RefCell<Vec<Value>>);

impl JsonArray {
    fn at(&self, i: &Value) -> Option<Value> {
        let items = self.0.borrow();
        let i = i.as_i64()?;
        usize::try_from(i).ok().and_then(|i| items.get(i).cloned())
    }
}

impl Object for JsonArray {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        let len = self.0.borrow().len();
        let int = |n: usize| Value::int(i32::try_from(n).unwrap_or(i32::MAX));
        Ok(match (name, args) {
            ("size", []) => Call::Value(int(len)),
            ("isEmpty", []) => Call::Value(Value::bool(len == 0)),
            ("get", [i]) => match self.at(i) {
                Some(v) => Call::Value(v),
                None => {
                    return Err(Error::new(
                        ErrorKind::Render,
                        format!("Index {i} out of bounds for length {len}"),
                    ));
                }
            },
            ("contains", [x]) => Call::Value(Value::bool(
                self.0
                    .borrow()
                    .iter()
                    .any(|v| v.to_string() == x.to_string()),
            )),
            ("indexOf", [x]) => Call::Value(Value::int(
                self.0
                    .borrow()
                    .iter()
                    .position(|v| v.to_string() == x.to_string())
                    .and_then(|p| i32::try_from(p).ok())
                    .unwrap_or(-1),
            )),
            ("add", [x]) => {
                self.0.borrow_mut().push(x.clone());
                Call::Value(Value::bool(true))
            }
            ("toString" | "toJSONString", []) => Call::Value(Value::string(self.to_string_value())),
            _ => Call::NotFound,
        })
    }

    /// `$list[i]` as Velocity 1.7 indexes a `List`: a negative index counts from the end, an
    /// index out of range fails the render.
    fn index(&self, key: &Value) -> Result<Option<Value>, Error> {
        let Some(i) = key.as_i64() else {
            return Ok(None);
        };
        let items = self.0.borrow();
        let len = items.len() as i64;
        let at = if i < 0 { len + i } else { i };
        match usize::try_from(at).ok().and_then(|a| items.get(a)) {
            Some(v) => Ok(Some(v.clone())),
            None => Err(Error::new(
                ErrorKind::Render,
                format!("Index {i} out of bounds for length {len}"),
            )),
        }
    }

    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.borrow().clone())
    }

    fn write_string(&self, out: &mut String) {
        // A snapshot: printing may run template-visible code paths that borrow the list.
        let items = self.0.borrow().clone();
        guarded(out, |out| write_json_array(&items, out));
    }
}

thread_local! {
    /// How deep the printing of host containers currently is (a template can make a list that
    /// contains itself: `$list.add($list)`).
    static PRINT_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `print` unless printing is already [`MAX_PRINT_DEPTH`] levels deep, where Java would
/// print `(this Collection)` for a self-reference or overflow its stack; we print the former.
fn guarded(out: &mut String, print: impl FnOnce(&mut String)) {
    const MAX_PRINT_DEPTH: u32 = 256;
    let depth = PRINT_DEPTH.with(std::cell::Cell::get);
    if depth >= MAX_PRINT_DEPTH {
        out.push_str("(this Collection)");
        return;
    }
    PRINT_DEPTH.with(|d| d.set(depth + 1));
    print(out);
    PRINT_DEPTH.with(|d| d.set(depth));
}

fn write_json_array(items: &[Value], out: &mut String) {
    out.push('[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json(v, out);
    }
    out.push(']');
}

/// Writes a template value as compact JSON (json-smart's `toJSONString`).
fn write_json(v: &Value, out: &mut String) {
    guarded(out, |out| write_json_value(v, out));
}

fn write_json_value(v: &Value, out: &mut String) {
    // A JSON container still on its tape prints as its materialized object.
    let v = &v.resolved();
    if v.is_null() {
        out.push_str("null");
    } else if let Some(b) = v.as_bool() {
        out.push_str(if b { "true" } else { "false" });
    } else if let Some(s) = v.as_str() {
        write_json_string(s, out);
    } else if v.as_f64().is_some() {
        let _ = write!(out, "{v}");
    } else if let Some(o) = v.as_object() {
        o.write_string(out);
    } else if let Some(entries) = v.as_map() {
        out.push('{');
        for (i, (k, val)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(k, out);
            out.push(':');
            write_json(val, out);
        }
        out.push('}');
    } else if let Some(items) = v.as_list() {
        write_json_array(&items, out);
    } else {
        write_json_string(&v.to_string(), out);
    }
}

/// A JSON string as json-smart writes it by default: `"` `\\` and `\b \f \n \r \t` by name,
/// `/` as `\/`, and U+0000–U+001F, U+007F–U+009F, U+2000–U+20FF as `\uXXXX`.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `$util`.
/// `$util` (one shared instance per thread).
pub(crate) fn util_value() -> Value {
    UTIL.with(|u| Value::object(u.clone()))
}

#[derive(Debug)]
struct Util;

thread_local! {
    /// `$util` has no state: one instance per thread serves every render.
    static UTIL: Rc<Util> = Rc::new(Util);
}

impl Object for Util {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        let text = |v: &Value| {
            if v.is_null() {
                None
            } else {
                Some(v.to_string())
            }
        };
        let host_err = |e: String| Error::new(ErrorKind::Render, e);
        Ok(match (name, args) {
            // A string that needs no escape is returned as it is (strings are immutable, so
            // sharing it is invisible); one holding surrogate stand-ins (0xF4 lead bytes) is
            // printed first, as any other value.
            ("escapeJavaScript", [s])
                if s.as_str().is_some_and(|t| t.bytes().all(util::js_plain)) =>
            {
                Call::Value(s.clone())
            }
            ("escapeJavaScript", [s]) => Call::Value(match s.as_str() {
                Some(t) if !t.as_bytes().contains(&0xF4) => {
                    Value::string(util::escape_javascript(t))
                }
                _ => match text(s) {
                    Some(t) => Value::string(util::escape_javascript(&t)),
                    None => Value::null(),
                },
            }),
            ("urlEncode", [s]) => Call::Value(Value::string(
                text(s).map(|s| util::url_encode(&s)).unwrap_or_default(),
            )),
            ("urlDecode", [s]) => Call::Value(Value::string(match text(s) {
                Some(s) => util::url_decode(&s).map_err(host_err)?,
                None => String::new(),
            })),
            ("base64Encode", [s]) => Call::Value(Value::string(
                text(s).map(|s| util::base64_encode(&s)).unwrap_or_default(),
            )),
            ("base64Decode", [s]) => Call::Value(Value::string(match text(s) {
                Some(s) => util::base64_decode(&s).map_err(host_err)?,
                None => String::new(),
            })),
            ("parseJson", [s]) => match text(s) {
                Some(s) => {
                    let parsed: Json = serde_json::from_str(&s)
                        .map_err(|e| host_err(format!("parseJson: {e}")))?;
                    Call::Value(to_vtl(&parsed))
                }
                None => Call::Value(Value::null()),
            },
            _ => Call::NotFound,
        })
    }

    /// `$util.escapeJavaScript($doc.field)` and `$util.urlEncode($doc.field)` printed
    /// straight from the document's text: what printing `call_method`'s result writes.
    fn write_call_str(&self, name: &str, arg: &str, out: &mut String) -> Option<Result<(), Error>> {
        // Text with 0xF4 lead bytes takes the general path, as in `call_method`.
        if arg.as_bytes().contains(&0xF4) {
            return None;
        }
        match name {
            "escapeJavaScript" => util::escape_javascript_into(arg, out),
            "urlEncode" => util::url_encode_into(arg, out),
            _ => return None,
        }
        Some(Ok(()))
    }

    fn write_string(&self, out: &mut String) {
        out.push_str("$util");
    }
}

/// `$context`.
#[derive(Debug)]
struct ContextObject {
    /// The fields, converted once per render: every read of `$context.identity` gives the
    /// same map, as reading a Java map's entry does.
    fields: Vec<(String, Value)>,
    response_override: Rc<Override>,
    request_override: Rc<Override>,
}

impl Object for ContextObject {
    fn get_property(&self, name: &str) -> Option<Value> {
        match name {
            "responseOverride" => Some(Value::object(self.response_override.clone())),
            "requestOverride" => Some(Value::object(self.request_override.clone())),
            _ => self
                .fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        match (name, args) {
            ("get", [k]) => Ok(Call::Value(
                k.as_str()
                    .and_then(|k| self.get_property(k))
                    .unwrap_or_else(Value::null),
            )),
            _ => Ok(Call::NotFound),
        }
    }

    fn write_string(&self, out: &mut String) {
        let v = Value::map_with_keys(
            self.fields
                .iter()
                .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
                .collect(),
        );
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_without_touching_strings_or_numbers() {
        let body = b"{ \"a\" : [1.50, 2e3 ],\n \"b\": \"x  y\\\" z\" }";
        assert_eq!(
            compact_json_text(body).unwrap().unwrap(),
            "{\"a\":[1.50,2e3],\"b\":\"x  y\\\" z\"}"
        );
        assert!(compact_json_text(b"{bad").is_err());
        assert_eq!(compact_json_text(b"").unwrap().unwrap(), "{}");
        assert_eq!(compact_json_text(b"a=b").unwrap(), None);
    }

    /// `$input.params` is there however the template reaches `$input` (the parameters are
    /// copied only for templates that may read them).
    #[test]
    fn params_reach_the_template_through_aliases() {
        let mut request = RequestContext::default();
        request.path_parameters.push(("id".into(), "7".into()));
        let overrides = Overrides::default();
        for (template, expected) in [
            ("$input.params('id')", "7"),
            ("#set($i = $input)$i.params('id')", "7"),
            ("#macro(m $x)$x.params().path.id#end#m($input)", "7"),
            ("#foreach($i in [$input])$i.params('id')#end", "7"),
            ("#evaluate('$input.params(\"id\")')", "7"),
            ("$input.path('$')", "{}"),
        ] {
            let t = Template::compile(template, &apigw_vtl::Options::default()).unwrap();
            let reads = Reads::of(&t);
            let scope = Scope::new(Bytes::new(), &request, &overrides, &reads);
            assert_eq!(render(&t, &scope).unwrap(), expected, "{template}");
        }
    }

    /// `prefix$input.json('$')suffix` skips the engine; it must print exactly what the engine
    /// prints (the `#set` in front keeps the same output but sends it through the engine).
    #[test]
    fn the_single_json_call_prints_what_the_engine_prints() {
        let render_result = |template: &str, body: &str| {
            let t = Template::compile(template, &apigw_vtl::Options::default()).unwrap();
            let request = RequestContext::default();
            let overrides = Overrides::default();
            let reads = Reads::default();
            let scope = Scope::new(Bytes::from(body.to_owned()), &request, &overrides, &reads);
            // Errors compared without their position (the `#set` moves the call).
            render(&t, &scope).map_err(|e| {
                let e = e.to_string();
                e.split(" (at line").next().unwrap_or_default().to_owned()
            })
        };
        let bodies = [
            "{\"a\": [1, 2.50, \"x y\"], \"b\": {\"c\": null}}",
            "  [ ]  ",
            "[1,\n 2]\n",
            "{\"k\": \"\\u00e9 \u{10F800} \u{10FFFF} \u{100000}\"}",
            "{\"a\": 1",
            "",
            "   ",
            "plain text",
            "12",
            "\"str\"",
        ];
        for (fast, slow) in [
            ("$input.json('$')", "#set($z = 1)$input.json('$')"),
            (
                "{\"data\": $input.json('$')}\n",
                "#set($z = 1){\"data\": $input.json('$')}\n",
            ),
            ("$input.json(' $ ')", "#set($z = 1)$input.json(' $ ')"),
            // Characters from U+100000 around the call (the engine's stand-ins).
            (
                "\u{100000}$input.json('$')",
                "#set($z = 1)\u{100000}$input.json('$')",
            ),
            (
                "$input.json('$')\u{10FFFF}",
                "#set($z = 1)$input.json('$')\u{10FFFF}",
            ),
        ] {
            assert!(
                Template::compile(fast, &apigw_vtl::Options::default())
                    .unwrap()
                    .single_call()
                    .is_some()
            );
            for body in bodies {
                assert_eq!(
                    render_result(fast, body),
                    render_result(slow, body),
                    "{fast} on {body:?}"
                );
            }
        }
    }

    #[test]
    fn root_paths_are_recognised_with_any_surrounding_whitespace() {
        for root in ["$", " $", "$ ", "\t$\n", "\u{a0}$\u{2003}"] {
            assert!(is_root_path(root), "{root:?}");
        }
        for other in ["", " ", "$.a", "$$", " $.a ", "$ .a", "\u{a0}$x", "x$"] {
            assert!(!is_root_path(other), "{other:?}");
        }
    }

    #[test]
    fn long_and_short_paths_walk_the_tape_alike() {
        // Nine steps (past the stack layout) and one step; indexes negative and positive;
        // a missing member; the root with whitespace around it.
        let body = r#"{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":[1,{"i":"deep"}]}}}}}}},"k":[5,6]}"#;
        let t = "$input.path('$.a.b.c.d.e.f.g.h[1].i') $input.path('$.a.b.c.d.e.f.g.h[-2]') \
                 $input.path('$.k[1]') $input.path('$.a.b.c.d.e.f.g.h[1].x') \
                 $input.path(' $ ').k";
        assert_eq!(render_mock(t, body), "deep 1 6  [5,6]");
    }

    #[test]
    fn compiled_paths_are_shared_and_the_cache_stays_bounded() {
        let a = compiled_path("$.shared.path").unwrap();
        let b = compiled_path("$.shared.path").unwrap();
        assert!(Rc::ptr_eq(&a, &b));
        assert!(compiled_path("$.a[").is_err());
        for i in 0..3 * MAX_CACHED_PATHS {
            compiled_path(&format!("$.p{i}")).unwrap();
            assert!(PATHS.with(|c| c.borrow().len()) <= MAX_CACHED_PATHS);
        }
    }

    /// The `$context` fields a template may read, as [`Reads::of`] finds them.
    fn context_fields(template: &str) -> Option<Vec<String>> {
        let t = Template::compile(template, &apigw_vtl::Options::default()).unwrap();
        Reads::of(&t).context_fields.map(Vec::from)
    }

    #[test]
    fn the_context_fields_a_template_may_read() {
        let some = |names: &[&str]| Some(names.iter().map(|n| n.to_string()).collect());
        assert_eq!(context_fields("$input.body"), some(&[]));
        assert_eq!(
            context_fields("$context.stage $context.requestId \"$context.stage\""),
            some(&["requestId", "stage"])
        );
        assert_eq!(
            context_fields("$context.identity.sourceIp $context.get('apiId') $context.size()"),
            some(&["apiId", "identity"])
        );
        assert_eq!(
            context_fields("#macro(m)$context.path#end#m()"),
            some(&["path"])
        );
        // The object reachable as a whole, or any field by a computed name: all of them.
        for template in [
            "$context",
            "#set($c = $context)$c.stage",
            "$util.toJson($context)",
            "#foreach($k in [$context])$k.stage#end",
            "$context.get($name)",
            "#evaluate('$context.stage')",
        ] {
            assert_eq!(context_fields(template), None, "{template}");
        }
    }

    /// `template` compiled with null references printing as `""`, as API Gateway runs it.
    fn compile_as_api_gateway(template: &str) -> Template {
        let options = apigw_vtl::Options {
            null_rendering: apigw_vtl::NullRendering::Empty,
            ..apigw_vtl::Options::default()
        };
        Template::compile(template, &options).unwrap()
    }

    /// Renders `template` over a typical `$context` with the fields [`Reads::of`] chose, and
    /// with all of them.
    fn with_chosen_and_all_context_fields(template: &str) -> (String, String) {
        let t = compile_as_api_gateway(template);
        let mut request = RequestContext::default();
        let serde_json::Value::Object(context) = serde_json::json!({
            "requestId": "r-1", "stage": "prod", "apiId": "a1", "path": "/prod/x",
            "requestTimeEpoch": 1_795_761_912_000_u64,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl", "caller": null},
            "authorizer": {"claims": {"sub": "u-9", "scope": "read write"}}
        }) else {
            unreachable!()
        };
        request.context = context;
        let render_with = |reads: &Reads| {
            let overrides = Overrides::default();
            let scope = Scope::new(Bytes::from_static(b"{}"), &request, &overrides, reads);
            render(&t, &scope).unwrap_or_else(|e| format!("error: {e}"))
        };
        let chosen = Reads::of(&t);
        let all = Reads {
            context_fields: None,
            ..chosen.clone()
        };
        (render_with(&chosen), render_with(&all))
    }

    #[test]
    fn the_spare_input_is_emptied_and_refilled_for_each_render() {
        let mut request = RequestContext::default();
        request.path_parameters.push(("id".into(), "7".into()));
        let overrides = Overrides::default();
        let compile = |src: &str| Template::compile(src, &apigw_vtl::Options::default()).unwrap();
        let with_params = compile("$input.params('id') $input.path('$.a')");
        let without = compile("[$input.params('id')] $input.path('$.a') $input.body");
        let run = |t: &Template, body: &'static str| {
            let reads = Reads::of(t);
            let scope = Scope::new(
                Bytes::from_static(body.as_bytes()),
                &request,
                &overrides,
                &reads,
            );
            render(t, &scope).unwrap()
        };
        assert_eq!(run(&with_params, r#"{"a": 1}"#), "7 1");
        // The spare holds no body, reading or parameter of the render before.
        SPARE_INPUT.with(|spare| {
            let input = spare.take().expect("the render left its $input");
            assert!(
                input.body.is_empty() && input.tape.get().is_none() && input.doc.get().is_none()
            );
            assert!(input.params.path.is_empty() && input.params.header.is_empty());
            spare.set(Some(input));
        });
        assert_eq!(run(&with_params, r#"{"a": 2}"#), "7 2");
        // Here `$input.params` is reached through `$input.params('id')` too, so the
        // parameters are copied; the body is the new one.
        assert_eq!(run(&without, r#"{"a": 3}"#), r#"[7] 3 {"a": 3}"#);
        // A template keeping `$input` past the render (in a map it returns) still works.
        let keeps = compile("#set($m = {'i': $input})$m.i.path('$.a')");
        assert_eq!(run(&keeps, r#"{"a": 4}"#), "4");
        assert_eq!(run(&with_params, r#"{"a": 5}"#), "7 5");
    }

    #[test]
    fn every_read_of_a_context_map_gives_the_same_map() {
        let (out, _) = with_chosen_and_all_context_fields(
            "#set($d = $context.identity.put('k', 'v'))$context.identity.k $context.identity.size()",
        );
        assert_eq!(out, "v 4");
    }

    #[test]
    fn a_render_sees_the_same_context_with_only_the_fields_it_may_read() {
        for template in [
            "$context.requestId/$context.stage/$context.missing/$!context.nothing",
            "$context.identity.sourceIp $context.identity $context.identity.size()",
            "$context.authorizer.claims.sub $context.authorizer.claims.get('scope')",
            "$context.get('apiId') $context.get('path') $context.get('nope')",
            "$context.requestTimeEpoch $context.keySet() $context.size()",
            "#set($c = $context)$c.stage $c.apiId",
            "$context",
            "#set($n = 'stage')$context.get($n)",
            "#if($context.stage == 'prod')yes#end $context.responseOverride.status",
            "#foreach($k in ['stage', 'apiId'])$context.get($k) #end",
            "#evaluate('$context.apiId')",
            "#macro(m $x)$x.stage#end#m($context)",
            // The same map on every read, as a Java map's entry is.
            "#set($d = $context.identity.put('k', 'v'))$context.identity.k $context.identity.size()",
        ] {
            let (chosen, all) = with_chosen_and_all_context_fields(template);
            assert_eq!(chosen, all, "{template}");
        }
    }

    fn render_mock(template: &str, body: &str) -> String {
        let t = compile_as_api_gateway(template);
        let request = RequestContext::default();
        let overrides = Overrides::default();
        let reads = Reads::of(&t);
        let scope = Scope::new(Bytes::from(body.to_owned()), &request, &overrides, &reads);
        render(&t, &scope).unwrap()
    }

    #[test]
    fn self_containing_values_print_without_overflowing_the_stack() {
        let out = render_mock("#set($a = $input.path('$'))#set($x = $a.add($a))$a", "[1]");
        assert!(out.starts_with("[1,[1,[1,"), "{out}");
        assert!(out.contains("(this Collection)"));
        let out = render_mock(
            "#set($context.responseOverride.header.h = $context.responseOverride.header)$context.responseOverride.header",
            "",
        );
        assert!(out.contains("(this Collection)"), "{out}");
        let out = render_mock(
            "#set($context.responseOverride.me = $context.responseOverride)$context.responseOverride",
            "",
        );
        assert!(out.contains("(this Collection)"), "{out}");
    }

    #[test]
    fn json_values_print_like_api_gateway() {
        let v: Json =
            serde_json::from_str(r#"{"foo": [{"nested": "bar"}], "n": 1, "d": {"x": true}}"#)
                .unwrap();
        assert_eq!(
            to_vtl(&v).to_string(),
            r#"{foo=[{"nested":"bar"}], n=1, d={x=true}}"#
        );
        let list: Json = serde_json::from_str(r#"[{"foo": "bar"}, 1.5, null]"#).unwrap();
        assert_eq!(to_vtl(&list).to_string(), r#"[{"foo":"bar"},1.5,null]"#);
    }
}
