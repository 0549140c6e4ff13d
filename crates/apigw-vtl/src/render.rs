//! The interpreter: walks the compiled tree with Velocity 1.7's semantics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::*;
use crate::error::{Error, ErrorKind};
use crate::host::Call;
use crate::json::{Doc, Lookup};
use crate::methods;
use crate::parser::{Names, Parser};
use crate::value::{JMap, LoopScope, V, Value, java_equals};
use crate::{Context, NullRendering, Options};

/// Names every program interns first, in this order.
const VELOCITY_COUNT: NameId = 0;
const FOREACH: NameId = 1;
const VELOCITY_HAS_NEXT: NameId = 2;

#[derive(Debug)]
pub(crate) struct Program {
    pub src: Box<str>,
    pub nodes: Vec<Node>,
    pub macros: HashMap<Box<str>, Arc<MacroDef>>,
    pub names: Names,
    /// Whether `$velocityCount`/`$velocityHasNext` can be read (maintaining
    /// them costs time in every loop iteration).
    pub legacy_loop_vars: bool,
}

impl Program {
    pub fn compile(src: &str, options: &Options, mut names: Names) -> Result<Program, Error> {
        let limits = &options.limits;
        if src.len() > limits.max_template_bytes {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "template is {} bytes, more than the limit of {} bytes",
                    src.len(),
                    limits.max_template_bytes
                ),
            ));
        }
        names.intern("velocityCount");
        names.intern("foreach");
        names.intern("velocityHasNext");
        let out = Parser::new(src, &mut names, &[], limits.max_nesting).parse_template()?;
        let mut macros = HashMap::new();
        for m in out.macros {
            macros.entry(m.name.clone()).or_insert(m);
        }
        let legacy_loop_vars = src.contains("velocityCount")
            || src.contains("velocityHasNext")
            || src.contains("evaluate");
        Ok(Program {
            src: src.into(),
            nodes: out.nodes,
            macros,
            names,
            legacy_loop_vars,
        })
    }
}

/// What a `#foreach` iterates.
enum Items {
    /// A JSON array on its tape: the next element's node and the array's length; `watch`
    /// while the array may yet be materialized into a list.
    Tape {
        doc: crate::json::Doc,
        arr: u32,
        next: u32,
        len: usize,
        watch: bool,
    },
    /// A list, seen live (changes and all).
    Live(Rc<RefCell<Vec<Value>>>),
    /// A snapshot, consumed element by element.
    Owned(std::vec::IntoIter<Value>),
    /// A map's values or view, with the map's modification count.
    Map(Vec<Value>, Rc<RefCell<JMap>>, u64),
}

pub(crate) enum Flow {
    /// `#break`: ends the innermost `#foreach` (or the template).
    Break,
    /// `#break($foreach…)`: ends the loop with this scope.
    BreakTo(usize),
    Stop,
    Err(Error),
}

impl From<Error> for Flow {
    fn from(e: Error) -> Flow {
        Flow::Err(e)
    }
}

type R<T> = Result<T, Flow>;

fn rerr(offset: u32, msg: impl Into<String>) -> Flow {
    Flow::Err(Error::pending(ErrorKind::Render, msg, offset as usize))
}

#[derive(Clone)]
enum Slot {
    Unresolved,
    Val(Value),
    Removed,
}

/// Slot vectors larger than this are not kept for the next render.
const MAX_POOLED_SLOTS: usize = 1024;

thread_local! {
    /// An empty slot vector kept from the last render on this thread.
    static SLOTS: std::cell::Cell<Vec<Slot>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A macro invocation's local context (Velocity's `ProxyVMContext`).
pub(crate) struct Env<'e> {
    vals: RefCell<Vec<(NameId, Option<Value>)>>,
    args: Vec<(NameId, &'e Expr)>,
    caller: Option<&'e Env<'e>>,
    /// Velocity's `Foreach.NullHolderContext`: while active, the loop
    /// variable reads as null; everything else passes through.
    hold: Option<(NameId, std::cell::Cell<bool>)>,
}

impl Env<'_> {
    fn root() -> Env<'static> {
        Env {
            vals: RefCell::new(Vec::new()),
            args: Vec::new(),
            caller: None,
            hold: None,
        }
    }
}

struct Renderer<'p, 'c> {
    prog: &'p Program,
    opts: &'p Options,
    ctx: &'c Context<'c>,
    slots: Vec<Slot>,
    dyn_names: Option<Names>,
    /// Macros defined by `#evaluate`d text (made on first use).
    dyn_macros: Option<HashMap<Box<str>, Arc<MacroDef>>>,
    iterations: u64,
    depth: usize,
    /// The output length at which the output budget is exceeded.
    limit: usize,
    legacy_loop_vars: bool,
    /// Render depth per `#define` block (Velocity's
    /// `directive.define.max.depth`, 2).
    define_depth: Vec<(usize, u32)>,
}

pub(crate) fn render(
    prog: &Program,
    opts: &Options,
    ctx: &Context<'_>,
    out: &mut String,
) -> Result<(), Error> {
    // Lists and maps made from here on are noted: the cycles among them are collected when
    // the outermost render ends (see `cycles.rs`), after its own values are dropped.
    let running = crate::cycles::RenderGuard::enter();
    // The variable slots come from a per-thread pool (a render inside a render, from a host
    // object, simply gets a new vector).
    let mut slots = SLOTS.with(std::cell::Cell::take);
    // (The pooled vector is empty: filled without cloning a template slot.)
    let n = prog.names.list.len();
    slots.clear();
    slots.extend(std::iter::repeat_with(|| Slot::Unresolved).take(n));
    let mut r = Renderer {
        prog,
        opts,
        ctx,
        slots,
        dyn_names: None,
        dyn_macros: None,
        iterations: 0,
        depth: 0,
        limit: out.len().saturating_add(opts.limits.max_output_bytes),
        legacy_loop_vars: prog.legacy_loop_vars,
        define_depth: Vec::new(),
    };
    let env = Env::root();
    let base = out.len();
    let result = r.nodes(&prog.nodes, &env, out);
    let mut slots = std::mem::take(&mut r.slots);
    drop(r);
    slots.clear();
    if slots.capacity() <= MAX_POOLED_SLOTS {
        SLOTS.with(|pool| pool.set(slots));
    }
    drop(env);
    drop(running);
    let r = result;
    crate::value::fix_output(out, base);
    match r {
        Ok(()) | Err(Flow::Break) | Err(Flow::BreakTo(_)) | Err(Flow::Stop) => Ok(()),
        Err(Flow::Err(e)) => Err(e.resolve(&prog.src)),
    }
}

/// Prints a string, number or boolean as Java does: `false` for other values (nothing
/// printed).
#[inline(always)]
fn write_plain(v: &Value, out: &mut String) -> bool {
    match &v.0 {
        V::Str(s) => crate::value::push_short(out, s),
        V::Int(i) => crate::value::write_int(i64::from(*i), out),
        V::Long(_) | V::Bool(_) | V::Double(_) => v.write_java(out),
        _ => return false,
    }
    true
}

/// The value of `#if($foreach.hasNext)`, `.first` or `.last` read from the loop scope in
/// the template's own context; `None` for any other condition.
#[inline(always)]
fn loop_condition(e: &Expr, slots: &[Slot], env: &Env<'_>) -> Option<bool> {
    let Expr::Ref(r) = e else {
        return None;
    };
    if !matches!(
        r.loop_prop,
        LoopProp::HasNext | LoopProp::First | LoopProp::Last
    ) || env.caller.is_some()
    {
        return None;
    }
    let Some(Slot::Val(Value(V::Loop(s)))) = slots.get(r.root as usize) else {
        return None;
    };
    Some(match r.loop_prop {
        LoopProp::HasNext => s.has_next.get(),
        LoopProp::First => s.index.get() == 0,
        _ => !s.has_next.get(),
    })
}

/// Where [`tape_walk`] ended.
enum TapeWalk {
    /// At this node, after this many parts (a step the tape cannot answer, or the end).
    At(u32, usize),
    /// A member is missing: the reference is null.
    Absent,
}

/// Walks `steps` (properties other than `class` and non-negative integer indexes, see
/// [`RefNode::tape_steps`]) from node `node` of `doc` as far as the tape answers them alone,
/// as [`methods::get_property`] and [`methods::index`] would: it stops before a container that
/// has been materialized, a step on a node of the wrong kind, or an index out of range (the
/// general path then reads the rest, with the same result).
#[inline]
fn tape_walk(doc: &Doc, mut node: u32, steps: &[Part]) -> TapeWalk {
    for (n, p) in steps.iter().enumerate() {
        let next = match p {
            Part::Prop(name, _) => match doc.member(node, name) {
                Lookup::Found(m) => Some(m),
                Lookup::Absent => return TapeWalk::Absent,
                Lookup::Materialize => None,
            },
            Part::Index(Expr::Int(k), _) => doc.element(node, i64::from(*k)),
            _ => None,
        };
        match next {
            Some(m) => node = m,
            None => return TapeWalk::At(node, n),
        }
    }
    TapeWalk::At(node, steps.len())
}

/// A host object's error as the render's: placed at `sp` (the call or the property set)
/// unless it has a place.
fn host_error(e: Error, sp: Span) -> Flow {
    if e.has_pos() {
        Flow::Err(e)
    } else {
        Flow::Err(Error::pending(
            e.kind(),
            e.detail().to_string(),
            sp.start as usize,
        ))
    }
}

fn is_constant(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::Range(_)
            | Expr::Ref(_)
            | Expr::List(_)
            | Expr::Map(_)
            | Expr::Str(_)
            | Expr::Interp(_)
    )
}

impl<'p, 'c> Renderer<'p, 'c> {
    fn name(&self, id: NameId) -> &str {
        if let Some(n) = &self.dyn_names {
            return n.list.get(id as usize).map_or("", |s| s);
        }
        self.prog.names.list.get(id as usize).map_or("", |s| s)
    }

    fn global(&mut self, id: NameId) -> Value {
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, Slot::Unresolved);
        }
        match &self.slots[i] {
            Slot::Val(v) => v.clone(),
            Slot::Removed => Value::null(),
            Slot::Unresolved => {
                let v = self.ctx.lookup(self.name(id));
                match v {
                    Some(v) => {
                        self.slots[i] = Slot::Val(v.clone());
                        v
                    }
                    None => {
                        self.slots[i] = Slot::Removed;
                        Value::null()
                    }
                }
            }
        }
    }

    fn set_global(&mut self, id: NameId, v: Option<Value>) {
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, Slot::Unresolved);
        }
        self.slots[i] = match v {
            Some(v) => Slot::Val(v),
            None => Slot::Unresolved,
        };
    }

    fn get_var(&mut self, id: NameId, env: &Env<'_>) -> R<Value> {
        if env.caller.is_none() {
            if let Some(Slot::Val(v)) = self.slots.get(id as usize) {
                return Ok(v.clone());
            }
            return Ok(self.global(id));
        }
        let mut e = env;
        while let Some(caller) = e.caller {
            if let Some((hid, active)) = &e.hold {
                if *hid == id && active.get() {
                    return Ok(Value::null());
                }
                e = caller;
                continue;
            }
            let mut hidden = false;
            if let Some((_, v)) = e.vals.borrow().iter().find(|(n, _)| *n == id) {
                match v {
                    Some(v) => return Ok(v.clone()),
                    None => hidden = true,
                }
            }
            if !hidden && let Some((_, ex)) = e.args.iter().find(|(n, _)| *n == id) {
                return self.value(ex, caller);
            }
            e = caller;
        }
        Ok(self.global(id))
    }

    fn set_var(&mut self, id: NameId, v: Option<Value>, env: &Env<'_>) {
        let mut e = env;
        while let Some(caller) = e.caller {
            if let Some((hid, active)) = &e.hold {
                // a remove of the loop variable ends the null holding
                if *hid == id && v.is_none() {
                    active.set(false);
                }
                e = caller;
                continue;
            }
            let mut vals = e.vals.borrow_mut();
            match vals.iter_mut().find(|(n, _)| *n == id) {
                Some(slot) => slot.1 = v.clone(),
                None => vals.push((id, v.clone())),
            }
            drop(vals);
            e = caller;
        }
        self.set_global(id, v);
    }

    /// The output budget: one compare per check.
    #[inline(always)]
    fn check_output(&self, out: &str) -> R<()> {
        if out.len() > self.limit {
            return Err(self.over_limit());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn over_limit(&self) -> Flow {
        let max = self.opts.limits.max_output_bytes;
        Flow::Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("output exceeds the limit of {max} bytes"),
        ))
    }

    fn nodes<'a>(&mut self, nodes: &'a [Node], env: &'a Env<'a>, out: &mut String) -> R<()> {
        self.walk(nodes, env, out)
    }

    /// The walk of [`Renderer::nodes`], in line where a loop renders its body.
    #[inline(always)]
    fn walk<'a>(&mut self, nodes: &'a [Node], env: &'a Env<'a>, out: &mut String) -> R<()> {
        for n in nodes {
            match n {
                // Text is bounded by the template's size: the output budget is checked after
                // the nodes that can print values, and at every loop iteration.
                Node::Text(t) => {
                    crate::value::push_short(out, t);
                    continue;
                }
                Node::Ref(r) => self.render_ref(r, env, out)?,
                Node::If(i) => {
                    let mut done = false;
                    for (c, body) in &i.branches {
                        let yes = match loop_condition(c, &self.slots, env) {
                            Some(b) => b,
                            None => self.truthy(c, env)?,
                        };
                        if yes {
                            // `#if(…)text#end`, the usual separator, without a call
                            if let [Node::Text(t)] = &body[..] {
                                crate::value::push_short(out, t);
                            } else {
                                self.nodes(body, env, out)?;
                            }
                            done = true;
                            break;
                        }
                    }
                    if !done && let Some(b) = &i.otherwise {
                        self.nodes(b, env, out)?;
                    }
                }
                Node::Foreach(f) => self.foreach(f, env, out)?,
                _ => self.rare_node(n, env, out)?,
            }
            self.check_output(out)?;
        }
        Ok(())
    }

    /// The node kinds templates use seldom, out of the hot walk of [`Renderer::nodes`].
    #[inline(never)]
    fn rare_node<'a>(&mut self, n: &'a Node, env: &'a Env<'a>, out: &mut String) -> R<()> {
        match n {
            Node::Set(s) => self.set(s, env)?,
            Node::MacroDef => {}
            Node::Call(c) => self.call_macro(c, env, out)?,
            Node::Define(d) => {
                self.set_var(d.name, Some(Value(V::Block(d.body.clone()))), env);
            }
            Node::Evaluate(e) => self.evaluate(&e.0, e.1, env, out)?,
            Node::Break(arg, sp) => {
                let Some(arg) = arg else {
                    return Err(Flow::Break);
                };
                let v = self.value(arg, env)?;
                if let V::Loop(s) = &v.0 {
                    return Err(Flow::BreakTo(Rc::as_ptr(s) as usize));
                }
                let shown = if v.is_null() {
                    arg.literal()
                } else {
                    v.to_string()
                };
                return Err(rerr(
                    sp.start,
                    format!(
                        "{shown} is not a valid org.apache.velocity.runtime.directive.Scope instance"
                    ),
                ));
            }
            Node::Stop => return Err(Flow::Stop),
            Node::Literal(t) => out.push_str(t),
            Node::Text(t) => out.push_str(t),
            Node::Ref(r) => self.render_ref(r, env, out)?,
            Node::If(_) | Node::Foreach(_) => self.nodes(std::slice::from_ref(n), env, out)?,
        }
        Ok(())
    }

    fn enter(&mut self, offset: u32, what: &str) -> R<()> {
        if self.depth >= self.opts.limits.max_call_depth {
            return Err(Flow::Err(Error::pending(
                ErrorKind::LimitExceeded,
                format!(
                    "max calling depth of {} was exceeded ({what})",
                    self.opts.limits.max_call_depth
                ),
                offset as usize,
            )));
        }
        self.depth += 1;
        Ok(())
    }

    fn null_string<'a>(&self, r: &'a RefNode, env: &'a Env<'a>) -> &'a str {
        if r.parts.is_empty() && r.literal.len() == r.root_name.len() + 1 {
            let mut e = env;
            while let Some(caller) = e.caller {
                if e.vals.borrow().iter().any(|(n, _)| *n == r.root) {
                    return &r.literal;
                }
                if let Some((_, ex)) = e.args.iter().find(|(n, _)| *n == r.root) {
                    if let Expr::Ref(a) = ex {
                        return &a.literal;
                    }
                    return &r.literal;
                }
                e = caller;
            }
        }
        &r.literal
    }

    /// Prints a reference; `$x` or `$x.key` printing a plain value in line.
    #[inline(always)]
    fn render_ref<'a>(&mut self, r: &'a RefNode, env: &'a Env<'a>, out: &mut String) -> R<()> {
        // `$x.key` on a JSON object still on its tape (a loop's usual reference).
        if r.plain
            && env.caller.is_none()
            && let Some(Slot::Val(Value(V::Json(doc, i)))) = self.slots.get(r.root as usize)
            && let Some(Part::Prop(name, _)) = r.parts.first()
        {
            if doc.print_member(*i, name, out) {
                return Ok(());
            }
            return self.render_ref_slow(r, env, out);
        }
        // Fast path: `$x` or `$map.key` printing a plain value, written
        // straight from the slot without cloning it.
        if r.plain
            && env.caller.is_none()
            && let Some(Slot::Val(root)) = self.slots.get(r.root as usize)
        {
            match (&r.parts.first(), &root.0) {
                (None, _) if write_plain(root, out) => return Ok(()),
                (Some(Part::Prop(name, _)), V::Map(m)) => {
                    let m = m.borrow();
                    if let Some(v) = m.get_str(name)
                        && write_plain(v, out)
                    {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        self.render_ref_slow(r, env, out)
    }

    #[inline(never)]
    fn render_ref_slow<'a>(&mut self, r: &'a RefNode, env: &'a Env<'a>, out: &mut String) -> R<()> {
        // `$x.a.b[0]`, properties and literal indexes on a JSON document still on its tape:
        // a scalar at the end is printed from there (no value made).
        if r.tape_print
            && env.caller.is_none()
            && let Some(Slot::Val(Value(V::Json(doc, i)))) = self.slots.get(r.root as usize)
            && let TapeWalk::At(node, n) = tape_walk(doc, *i, &r.parts)
            && n == r.parts.len()
            && doc.print_node(node, out)
        {
            return Ok(());
        }
        if r.print_call && env.caller.is_none() && self.print_call(r, env, out)? {
            return Ok(());
        }
        if r.kind == RefKind::Runt {
            out.push_str(&r.root_name);
            return Ok(());
        }
        let v = self.eval_ref(r, env)?;
        if r.escaped {
            out.push_str(&r.esc_prefix);
            if v.is_null() {
                out.push('\\');
            }
            out.push_str(self.null_string(r, env));
            return Ok(());
        }
        if v.is_null() {
            match self.opts.null_rendering {
                NullRendering::Literal => {
                    out.push_str(&r.esc_prefix);
                    out.push_str(&r.esc_prefix);
                    out.push_str(&r.more_prefix);
                    if r.kind != RefKind::Quiet {
                        out.push_str(self.null_string(r, env));
                    }
                }
                NullRendering::Empty => {
                    out.push_str(&r.esc_prefix);
                    out.push_str(&r.more_prefix);
                }
            }
            return Ok(());
        }
        if let V::Block(b) = &v.0 {
            // Renderable values render themselves: no escape or MORE
            // prefix (`#$dd` prints the block only).
            // A block rendered more than twice inside itself prints the
            // reference as written.
            let key = Arc::as_ptr(b) as usize;
            let d = self
                .define_depth
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, d)| *d);
            if d >= 2 {
                out.push_str(self.null_string(r, env));
                return Ok(());
            }
            self.define_depth.push((key, d + 1));
            let res = self.write_value(&v, env, r.span.start, out);
            self.define_depth.pop();
            return res;
        }
        if !r.esc_prefix.is_empty() {
            out.push_str(&r.esc_prefix);
        }
        if !r.more_prefix.is_empty() {
            out.push_str(&r.more_prefix);
        }
        self.write_value(&v, env, r.span.start, out)
    }

    /// Prints a [`RefNode::print_call`] reference, `$obj.method($doc.a.b)`, through
    /// [`crate::Object::write_call_str`] when the receiver is a host object and the argument a
    /// string without escapes still on a JSON tape: no argument or result value is made.
    /// `false` when it does not apply (nothing written; the general path then evaluates
    /// the reference, with the same result).
    #[inline]
    fn print_call(&mut self, r: &RefNode, env: &Env<'_>, out: &mut String) -> R<bool> {
        let [Part::Method(name, args, sp)] = &r.parts[..] else {
            return Ok(false);
        };
        let [Expr::Ref(a)] = &args[..] else {
            return Ok(false);
        };
        // Only an argument whose variable holds a document on its tape can take this path.
        if !matches!(
            self.slots.get(a.root as usize),
            Some(Slot::Val(Value(V::Json(..))))
        ) {
            return Ok(false);
        }
        // The receiver (a global is looked up once per render, here or on the general path).
        let receiver = self.get_var(r.root, env)?;
        let V::Object(o) = &receiver.0 else {
            return Ok(false);
        };
        let Some(Slot::Val(Value(V::Json(doc, i)))) = self.slots.get(a.root as usize) else {
            return Ok(false);
        };
        let TapeWalk::At(node, n) = tape_walk(doc, *i, &a.parts) else {
            return Ok(false);
        };
        let Some(arg) = doc.plain_str(node).filter(|_| n == a.parts.len()) else {
            return Ok(false);
        };
        match o.write_call_str(name, arg, out) {
            None => Ok(false),
            Some(Ok(())) => Ok(true),
            Some(Err(e)) => Err(host_error(e, *sp)),
        }
    }

    fn write_value(&mut self, v: &Value, env: &Env<'_>, offset: u32, out: &mut String) -> R<()> {
        match &v.0 {
            V::Str(s) => out.push_str(s),
            V::Block(b) => {
                let b = b.clone();
                self.enter(offset, "#define")?;
                let r = self.nodes(&b, env, out);
                self.depth -= 1;
                r?;
            }
            _ => v.write_java(out),
        }
        Ok(())
    }

    fn stringify(&mut self, v: &Value, env: &Env<'_>, offset: u32) -> R<String> {
        let mut s = String::new();
        self.write_value(v, env, offset, &mut s)?;
        Ok(s)
    }

    pub(crate) fn eval_ref(&mut self, r: &RefNode, env: &Env<'_>) -> R<Value> {
        // A runt (`y` in `$x$.y`) prints as written but is no variable: as an argument it is
        // null, as Velocity 1.7 evaluates it.
        if r.kind == RefKind::Runt {
            return Ok(Value::null());
        }
        // Fast path for `$map.key…` on a variable of the template: read the
        // first property through the slot without cloning the map handle.
        if r.prop0
            && env.caller.is_none()
            && let Some(Part::Prop(name, _)) = r.parts.first()
            && let Some(Slot::Val(Value(V::Map(m)))) = self.slots.get(r.root as usize)
        {
            let mut v = m
                .borrow()
                .get_str(name)
                .cloned()
                .unwrap_or_else(Value::null);
            for p in &r.parts[1..] {
                if v.is_null() {
                    return Ok(v);
                }
                v = self.apply_part(&v, p, env)?;
            }
            return Ok(v);
        }
        // `$doc.a[0]…` on a JSON document still on its tape: the leading properties and
        // literal indexes are walked there without cloning the document handle.
        if r.tape_steps > 0
            && env.caller.is_none()
            && let Some(Slot::Val(Value(V::Json(doc, i)))) = self.slots.get(r.root as usize)
        {
            let (mut v, n) = match tape_walk(doc, *i, &r.parts[..usize::from(r.tape_steps)]) {
                TapeWalk::Absent => return Ok(Value::null()),
                TapeWalk::At(node, n) => (doc.value_at(node), n),
            };
            for p in &r.parts[n..] {
                if v.is_null() {
                    return Ok(v);
                }
                v = self.apply_part(&v, p, env)?;
            }
            return Ok(v);
        }
        // `$foreach.index`/`.hasNext`/… without cloning the scope.
        if r.loop_prop != LoopProp::None
            && env.caller.is_none()
            && let Some(Slot::Val(Value(V::Loop(s)))) = self.slots.get(r.root as usize)
        {
            let i = s.index.get();
            return Ok(match r.loop_prop {
                LoopProp::Index => Value::int(i as i32),
                LoopProp::Count => Value::int(i as i32 + 1),
                LoopProp::HasNext => Value::bool(s.has_next.get()),
                LoopProp::First => Value::bool(i == 0),
                LoopProp::Last | LoopProp::None => Value::bool(!s.has_next.get()),
            });
        }
        let mut v = self.get_var(r.root, env)?;
        for p in &r.parts {
            if v.is_null() {
                return Ok(v);
            }
            v = self.apply_part(&v, p, env)?;
        }
        Ok(v)
    }

    fn apply_part(&mut self, v: &Value, p: &Part, env: &Env<'_>) -> R<Value> {
        Ok(match p {
            Part::Prop(name, _) => methods::get_property(v, name),
            // Arguments live on the stack, exactly as many as given, for the common short
            // calls.
            Part::Method(name, args, sp) => match &args[..] {
                [] => self.call_method(v, name, &[], *sp, env)?,
                [a] => {
                    let a = [self.value(a, env)?];
                    self.call_method(v, name, &a, *sp, env)?
                }
                [a, b] => {
                    let a = [self.value(a, env)?, self.value(b, env)?];
                    self.call_method(v, name, &a, *sp, env)?
                }
                _ => {
                    let mut heap = Vec::with_capacity(args.len());
                    for e in args {
                        heap.push(self.value(e, env)?);
                    }
                    self.call_method(v, name, &heap, *sp, env)?
                }
            },
            Part::Index(e, sp) => {
                let k = self.value(e, env)?;
                methods::index(v, &k).map_err(|m| rerr(sp.start, m))?
            }
        })
    }

    /// Calls method `name` of `v` with the arguments evaluated.
    fn call_method(
        &mut self,
        v: &Value,
        name: &str,
        args: &[Value],
        sp: Span,
        env: &Env<'_>,
    ) -> R<Value> {
        // #define blocks are strings to their callers
        if let V::Block(_) = v.0 {
            let s = self.stringify(v, env, sp.start)?;
            return self.invoke(&Value::string(s), name, args, sp);
        }
        self.invoke(v, name, args, sp)
    }

    fn invoke(&mut self, v: &Value, name: &str, args: &[Value], sp: Span) -> R<Value> {
        if matches!(v.0, V::Json(..)) || args.iter().any(|a| matches!(a.0, V::Json(..))) {
            // Methods work on the materialized objects (see `json.rs`).
            let args: Vec<Value> = args.iter().map(Value::resolved).collect();
            return self.invoke(&v.resolved(), name, &args, sp);
        }
        if let V::Object(o) = &v.0 {
            return match o.call_method(name, args) {
                Ok(Call::Value(v)) => Ok(v),
                Ok(Call::Void) => Ok(Value::string("")),
                Ok(Call::NotFound) => {
                    Ok(methods::call_common(v, name, args).unwrap_or_else(Value::null))
                }
                Err(e) => Err(host_error(e, sp)),
            };
        }
        match methods::call(v, name, args) {
            Ok(Some(r)) => {
                self.check_size(v, &r, sp.start)?;
                Ok(r)
            }
            Ok(None) => Ok(Value::null()),
            Err(m) => Err(rerr(sp.start, m)),
        }
    }

    /// Bounds what templates can build outside the output: strings to
    /// `max_output_bytes` bytes, lists and maps to `max_output_bytes / 16`
    /// elements (`$l.addAll($l)` in a loop would otherwise exhaust memory).
    fn check_size(&self, receiver: &Value, result: &Value, offset: u32) -> R<()> {
        let max = self.opts.limits.max_output_bytes;
        let too_big = match &result.0 {
            V::Str(s) => s.len() > max,
            _ => false,
        } || match &receiver.0 {
            V::List(l) => l.borrow().len() > max / 16,
            V::Map(m) => m.borrow().entries.len() > max / 16,
            _ => false,
        };
        if too_big {
            return Err(Flow::Err(Error::pending(
                ErrorKind::LimitExceeded,
                format!("a value grew beyond the output limit of {max} bytes"),
                offset as usize,
            )));
        }
        Ok(())
    }

    fn set<'a>(&mut self, s: &'a SetNode, env: &'a Env<'a>) -> R<()> {
        let v = self.value(&s.rhs, env)?;
        if v.is_null() {
            return Ok(());
        }
        let lhs = &s.lhs;
        if lhs.parts.is_empty() {
            self.set_var(lhs.root, Some(v), env);
            return Ok(());
        }
        let mut base = self.get_var(lhs.root, env)?;
        let n = lhs.parts.len();
        for p in &lhs.parts[..n - 1] {
            if base.is_null() {
                return Ok(());
            }
            base = self.apply_part(&base, p, env)?;
        }
        if base.is_null() {
            return Ok(());
        }
        match &lhs.parts[n - 1] {
            Part::Prop(name, sp) => {
                methods::set_property(&base, name, v).map_err(|e| host_error(e, *sp))?
            }
            Part::Index(e, sp) => {
                let k = self.value(e, env)?;
                methods::set_index(&base, k, v).map_err(|m| rerr(sp.start, m))?;
            }
            Part::Method(..) => {}
        }
        Ok(())
    }

    fn foreach<'a>(&mut self, f: &'a ForeachNode, env: &'a Env<'a>, out: &mut String) -> R<()> {
        let it = self.value(&f.iter, env)?;
        // A JSON array still on its tape is iterated from there, node by node; other JSON
        // containers as their materialized objects.
        let tape = match &it.0 {
            V::Json(doc, i) => doc
                .array_items(*i)
                .map(|(first, len)| (doc.clone(), *i, first, len as usize)),
            _ => None,
        };
        let it = match (&tape, &it.0) {
            (None, V::Json(..)) => it.resolved(),
            _ => it,
        };
        let mut items = match &it.0 {
            _ if let Some((doc, arr, next, len)) = tape => Items::Tape {
                doc,
                arr,
                next,
                len,
                watch: true,
            },
            V::List(l) | V::Array(l) => Items::Live(l.clone()),
            V::Map(m) => {
                let mb = m.borrow();
                Items::Map(
                    mb.entries.iter().map(|(_, v)| v.clone()).collect(),
                    m.clone(),
                    mb.modcount,
                )
            }
            V::MapView(m, _) => {
                let mc = m.borrow().modcount;
                Items::Map(
                    crate::value::view_items(&it).unwrap_or_default(),
                    m.clone(),
                    mc,
                )
            }
            V::Iter(it) => {
                let mut b = it.borrow_mut();
                let rest = b.0[b.1.min(b.0.len())..].to_vec();
                b.1 = b.0.len();
                Items::Owned(rest.into_iter())
            }
            V::Object(o) => match o.iterate() {
                Some(v) => Items::Owned(v.into_iter()),
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        drop(it);
        let cme = |offset: u32| {
            rerr(
                offset,
                "Invocation of #foreach threw exception java.util.ConcurrentModificationException",
            )
        };
        let mut last_len = match &items {
            Items::Live(l) => l.borrow().len(),
            _ => 0,
        };
        let saved_var = self.get_var(f.var, env)?;
        let (saved_count, saved_has_next) = if self.legacy_loop_vars {
            (
                self.get_var(VELOCITY_COUNT, env)?,
                self.get_var(VELOCITY_HAS_NEXT, env)?,
            )
        } else {
            (Value::null(), Value::null())
        };
        let saved_scope = self.get_var(FOREACH, env)?;
        let scope = Rc::new(LoopScope {
            index: std::cell::Cell::new(0),
            has_next: std::cell::Cell::new(false),
            parent: saved_scope.clone(),
        });
        self.set_var(FOREACH, Some(Value(V::Loop(scope.clone()))), env);
        let holder = Env {
            vals: RefCell::new(Vec::new()),
            args: Vec::new(),
            caller: Some(env),
            hold: Some((f.var, std::cell::Cell::new(true))),
        };
        let root = env.caller.is_none();
        let mut i = 0usize;
        let mut result = Ok(());
        loop {
            // Each kind of items counts the iteration and puts the element (`put`: not
            // null) itself: no value travels out of the match.
            let put = match &mut items {
                Items::Tape {
                    doc,
                    arr,
                    next,
                    len,
                    watch,
                } => {
                    // The body materialized the array: a list is then iterated live (as
                    // Java's iterator over it would be, changes and all); any other array
                    // object was a snapshot from the start, which the tape still is.
                    if *watch && doc.is_made(*arr) {
                        let made = doc.materialize(*arr);
                        if let V::List(l) | V::Array(l) = &made.0 {
                            last_len = *len;
                            items = Items::Live(l.clone());
                            continue;
                        }
                        *watch = false;
                    }
                    if i >= *len {
                        break;
                    }
                    let node = *next;
                    let (container, after) = doc.container_and_next(node);
                    *next = after;
                    if let Err(e) = self.next_iteration(f, &scope, i, i + 1 < *len, env) {
                        result = Err(e);
                        break;
                    }
                    // The loop variable still holds the previous element of this document
                    // (the commonest case): it is pointed at this one in place, without
                    // touching the document's count of handles.
                    if container
                        && root
                        && let Some(Slot::Val(Value(V::Json(d, n)))) =
                            self.slots.get_mut(f.var as usize)
                        && d.same(doc)
                    {
                        *n = node;
                        true
                    } else {
                        self.put_element(f.var, doc.value_at(node), root, env)
                    }
                }
                Items::Live(l) => {
                    let item = {
                        let l = l.borrow();
                        let len = l.len();
                        if i >= len {
                            break;
                        }
                        // Java's iterators fail on the next `next()` after a structural
                        // change.
                        if i > 0 && len != last_len {
                            result = Err(cme(f.span.start));
                            break;
                        }
                        last_len = len;
                        (l[i].clone(), i + 1 < len)
                    };
                    if let Err(e) = self.next_iteration(f, &scope, i, item.1, env) {
                        result = Err(e);
                        break;
                    }
                    self.put_element(f.var, item.0, root, env)
                }
                Items::Owned(v) => {
                    let Some(item) = v.next() else {
                        break;
                    };
                    if let Err(e) = self.next_iteration(f, &scope, i, v.len() > 0, env) {
                        result = Err(e);
                        break;
                    }
                    self.put_element(f.var, item, root, env)
                }
                Items::Map(v, m, mc) => {
                    let len = v.len();
                    if i >= len {
                        break;
                    }
                    if i > 0 && m.borrow().modcount != *mc {
                        result = Err(cme(f.span.start));
                        break;
                    }
                    if let Err(e) = self.next_iteration(f, &scope, i, i + 1 < len, env) {
                        result = Err(e);
                        break;
                    }
                    let item = std::mem::replace(&mut v[i], Value::null());
                    self.put_element(f.var, item, root, env)
                }
            };
            // A null element is not put (Velocity's context ignores null
            // puts); the body renders in a null-holding context instead.
            let body_env = if put { env } else { &holder };
            match self
                .walk(&f.body, body_env, out)
                .and_then(|()| self.check_output(out))
            {
                Ok(()) => {}
                Err(Flow::Break) => break,
                Err(Flow::BreakTo(p)) if p == Rc::as_ptr(&scope) as usize => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            i += 1;
        }
        let restore = |v: Value| if v.is_null() { None } else { Some(v) };
        if self.legacy_loop_vars {
            self.set_var(VELOCITY_COUNT, restore(saved_count), env);
            self.set_var(VELOCITY_HAS_NEXT, restore(saved_has_next), env);
        }
        self.set_var(FOREACH, restore(saved_scope), env);
        self.set_var(f.var, restore(saved_var), env);
        result
    }

    /// Counts an iteration of loop `f` (an error past the limit) and sets its properties.
    #[inline(always)]
    fn next_iteration(
        &mut self,
        f: &ForeachNode,
        scope: &LoopScope,
        i: usize,
        has_next: bool,
        env: &Env<'_>,
    ) -> R<()> {
        self.iterations += 1;
        if self.iterations > self.opts.limits.max_loop_iterations {
            return Err(self.too_many_iterations(f));
        }
        scope.index.set(i);
        scope.has_next.set(has_next);
        if self.legacy_loop_vars {
            self.set_var(VELOCITY_COUNT, Some(Value::int((i + 1) as i32)), env);
            self.set_var(VELOCITY_HAS_NEXT, Some(Value::bool(has_next)), env);
        }
        Ok(())
    }

    /// Puts a loop's element into its variable `var`; `false` for null, which is not put
    /// (Velocity's context ignores null puts).
    #[inline(always)]
    fn put_element(&mut self, var: NameId, item: Value, root: bool, env: &Env<'_>) -> bool {
        if item.is_null() {
            return false;
        }
        match self.slots.get_mut(var as usize) {
            Some(slot) if root => *slot = Slot::Val(item),
            _ => self.set_var(var, Some(item), env),
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn too_many_iterations(&self, f: &ForeachNode) -> Flow {
        Flow::Err(Error::pending(
            ErrorKind::LimitExceeded,
            format!(
                "more than {} #foreach iterations",
                self.opts.limits.max_loop_iterations
            ),
            f.span.start as usize,
        ))
    }

    fn find_macro(&self, name: &str) -> Option<Arc<MacroDef>> {
        if let Some(m) = self.prog.macros.get(name) {
            return Some(m.clone());
        }
        self.dyn_macros.as_ref()?.get(name).cloned()
    }

    fn call_macro<'a>(&mut self, c: &'a CallNode, env: &'a Env<'a>, out: &mut String) -> R<()> {
        let Some(def) = self.find_macro(&c.name) else {
            out.push_str(&c.literal);
            return Ok(());
        };
        let mut vals = Vec::new();
        let mut args = Vec::new();
        for (i, (pid, _)) in def.params.iter().enumerate() {
            match c.args.get(i) {
                None => {}
                Some(e) if is_constant(e) => vals.push((*pid, Some(self.value(e, env)?))),
                Some(e) => args.push((*pid, e)),
            }
        }
        if let Some((body, id)) = &c.body {
            vals.push((*id, Some(Value(V::Block(body.clone())))));
        }
        let new_env = Env {
            vals: RefCell::new(vals),
            args,
            caller: Some(env),
            hold: None,
        };
        self.enter(c.span.start, &format!("macro #{}", c.name))?;
        let r = self.nodes(&def.body, &new_env, out);
        self.depth -= 1;
        // an unscoped #break ends the macro
        match r {
            Err(Flow::Break) => Ok(()),
            r => r,
        }
    }

    fn evaluate<'a>(
        &mut self,
        e: &'a Expr,
        span: Span,
        env: &'a Env<'a>,
        out: &mut String,
    ) -> R<()> {
        let v = self.value(e, env)?;
        if v.is_null() {
            return Ok(());
        }
        let text = self.stringify(&v, env, span.start)?;
        self.enter(span.start, "#evaluate")?;
        let names = self
            .dyn_names
            .take()
            .unwrap_or_else(|| self.prog.names.clone());
        let compiled = Program::compile(&text, self.opts, names.clone());
        let prog = match compiled {
            Ok(p) => p,
            Err(err) => {
                self.dyn_names = Some(names);
                self.depth -= 1;
                let mut e2 = Error::new(err.kind(), format!("in #evaluate: {err}"));
                e2 = Error::pending(e2.kind(), e2.detail().to_string(), span.start as usize);
                return Err(Flow::Err(e2));
            }
        };
        let Program {
            src,
            nodes,
            macros,
            names,
            legacy_loop_vars,
        } = prog;
        self.legacy_loop_vars |= legacy_loop_vars;
        self.dyn_names = Some(names);
        for (k, m) in macros {
            self.dyn_macros
                .get_or_insert_with(HashMap::new)
                .entry(k)
                .or_insert(m);
        }
        let r = self.nodes(&nodes, env, out);
        self.depth -= 1;
        match r {
            Err(Flow::Err(e)) => Err(Flow::Err(e.resolve(&src))),
            r => r,
        }
    }

    // ---------------- expressions ----------------

    /// Velocity's `Node.evaluate`: the boolean value of a condition.
    fn truthy<'a>(&mut self, e: &'a Expr, env: &'a Env<'a>) -> R<bool> {
        Ok(match e {
            // `#if($foreach.hasNext)` / `.first` / `.last` read the loop scope directly.
            Expr::Ref(r)
                if matches!(
                    r.loop_prop,
                    LoopProp::HasNext | LoopProp::First | LoopProp::Last
                ) && env.caller.is_none()
                    && let Some(Slot::Val(Value(V::Loop(s)))) = self.slots.get(r.root as usize) =>
            {
                match r.loop_prop {
                    LoopProp::HasNext => s.has_next.get(),
                    LoopProp::First => s.index.get() == 0,
                    _ => !s.has_next.get(),
                }
            }
            Expr::Ref(r) => {
                let v = self.eval_ref(r, env)?;
                match v.0 {
                    V::Null => false,
                    V::Bool(b) => b,
                    _ => true,
                }
            }
            Expr::Bool(b) => *b,
            Expr::Not(x) => !self.truthy(x, env)?,
            Expr::Bin(BinOp::And, lr, _) => self.truthy(&lr.0, env)? && self.truthy(&lr.1, env)?,
            Expr::Bin(BinOp::Or, lr, _) => self.truthy(&lr.0, env)? || self.truthy(&lr.1, env)?,
            Expr::Bin(
                op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge),
                lr,
                _,
            ) => {
                let l = self.value(&lr.0, env)?;
                let r = self.value(&lr.1, env)?;
                compare(
                    *op,
                    &l,
                    &r,
                    self.opts.null_rendering == NullRendering::Empty,
                )
            }
            _ => false,
        })
    }

    pub(crate) fn value<'a>(&mut self, e: &'a Expr, env: &'a Env<'a>) -> R<Value> {
        Ok(match e {
            Expr::Ref(r) => self.eval_ref(r, env)?,
            Expr::Str(s) => Value(V::Str(s.clone())),
            Expr::Interp(i) => {
                let mut s = String::new();
                self.nodes(&i.nodes, env, &mut s)?;
                if i.strip_last {
                    s.pop();
                }
                Value::string(crate::value::join_halves(s))
            }
            Expr::Int(i) => Value::int(*i),
            Expr::Long(i) => Value::long(*i),
            Expr::BigInt(i) => Value(V::BigInt(*i)),
            Expr::Double(d) => Value::double(*d),
            Expr::Bool(b) => Value::bool(*b),
            Expr::Word(w) => Value::string(&**w),
            Expr::List(items) => {
                let mut v = Vec::with_capacity(items.len());
                for x in items {
                    v.push(self.value(x, env)?);
                }
                Value::list(v)
            }
            Expr::Map(items) => {
                let mut m = JMap::default();
                for (k, x) in items {
                    let k = self.value(k, env)?;
                    let x = self.value(x, env)?;
                    m.put(k, x);
                }
                Value::jmap(m)
            }
            Expr::Range(ab) => {
                let a = self.value(&ab.0, env)?;
                let b = self.value(&ab.1, env)?;
                let (Some(a), Some(b)) = (int_value(&a), int_value(&b)) else {
                    return Ok(Value::null());
                };
                let n = (i64::from(a) - i64::from(b)).unsigned_abs() + 1;
                if n > self.opts.limits.max_loop_iterations {
                    return Err(Flow::Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!("range [{a}..{b}] is longer than the loop iteration limit"),
                    )));
                }
                let v: Vec<Value> = if a <= b {
                    (a..=b).map(Value::int).collect()
                } else {
                    (b..=a).rev().map(Value::int).collect()
                };
                Value::list(v)
            }
            Expr::Not(x) => Value::bool(!self.truthy(x, env)?),
            Expr::Bin(op, lr, sp) => match op {
                BinOp::And
                | BinOp::Or
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Gt
                | BinOp::Le
                | BinOp::Ge => Value::bool(self.truthy(e, env)?),
                _ => {
                    let l = self.value(&lr.0, env)?;
                    let r = self.value(&lr.1, env)?;
                    if *op == BinOp::Add && (matches!(l.0, V::Str(_)) || matches!(r.0, V::Str(_))) {
                        let ls = if l.is_null() {
                            lr.0.literal()
                        } else {
                            self.stringify(&l, env, sp.start)?
                        };
                        let rs = if r.is_null() {
                            lr.1.literal()
                        } else {
                            self.stringify(&r, env, sp.start)?
                        };
                        let joined = Value::string(crate::value::join_halves(ls + &rs));
                        self.check_size(&Value::null(), &joined, sp.start)?;
                        return Ok(joined);
                    }
                    math(*op, &l, &r)
                }
            },
        })
    }
}

fn int_value(v: &Value) -> Option<i32> {
    match v.0 {
        V::Int(i) => Some(i),
        V::Long(i) => Some(i as i32),
        V::BigInt(i) => Some(i as i32),
        V::Double(d) => Some(d as i32),
        V::Float(f) => Some(f as i32),
        _ => None,
    }
}

enum Num {
    I(i128, u8),
    D(f64),
    F(f32),
}

fn num(v: &Value) -> Option<Num> {
    Some(match v.0 {
        V::Int(i) => Num::I(i128::from(i), 1),
        V::Long(i) => Num::I(i128::from(i), 2),
        V::BigInt(i) => Num::I(i, 3),
        V::Double(d) => Num::D(d),
        V::Float(f) => Num::F(f),
        _ => return None,
    })
}

fn as_f64(n: &Num) -> f64 {
    match *n {
        Num::I(i, _) => i as f64,
        Num::D(d) => d,
        Num::F(f) => f64::from(f),
    }
}

fn as_f32(n: &Num) -> f32 {
    match *n {
        Num::I(i, _) => i as f32,
        Num::D(d) => d as f32,
        Num::F(f) => f,
    }
}

/// Velocity's `MathUtils.wrapPrimitive`: the smallest of the operands'
/// types that holds the result, widening on overflow.
fn wrap(v: i128, rank: u8) -> Value {
    if rank <= 1
        && let Ok(i) = i32::try_from(v)
    {
        return Value::int(i);
    }
    if rank <= 2
        && let Ok(i) = i64::try_from(v)
    {
        return Value::long(i);
    }
    Value(V::BigInt(v))
}

pub(crate) fn math(op: BinOp, l: &Value, r: &Value) -> Value {
    let (Some(a), Some(b)) = (num(l), num(r)) else {
        return Value::null();
    };
    // division by zero gives null
    if matches!(op, BinOp::Div | BinOp::Mod) {
        let zero = match b {
            Num::I(i, _) => i == 0,
            Num::D(d) => d == 0.0,
            Num::F(f) => f == 0.0,
        };
        if zero {
            return Value::null();
        }
    }
    match (&a, &b) {
        (Num::I(x, ra), Num::I(y, rb)) => {
            let rank = (*ra).max(*rb);
            let big = rank == 3;
            let (x, y) = (*x, *y);
            let res = if big {
                match op {
                    BinOp::Add => x.wrapping_add(y),
                    BinOp::Sub => x.wrapping_sub(y),
                    BinOp::Mul => x.wrapping_mul(y),
                    BinOp::Div => x.wrapping_div(y),
                    _ => x.wrapping_rem(y),
                }
            } else {
                // Velocity's MathUtils overflow checks, including their
                // blind spot (Long.MIN_VALUE * -1 wraps).
                let (x, y) = (x as i64, y as i64);
                let big = (i128::from(x), i128::from(y));
                match op {
                    BinOp::Add => {
                        let r = x.wrapping_add(y);
                        if (r ^ x) < 0 && (r ^ y) < 0 {
                            big.0 + big.1
                        } else {
                            i128::from(r)
                        }
                    }
                    BinOp::Sub => {
                        let r = x.wrapping_sub(y);
                        if (x ^ y) < 0 && (r ^ x) < 0 {
                            big.0 - big.1
                        } else {
                            i128::from(r)
                        }
                    }
                    BinOp::Mul => {
                        let r = x.wrapping_mul(y);
                        if y != 0 && r.wrapping_div(y) != x {
                            big.0 * big.1
                        } else {
                            i128::from(r)
                        }
                    }
                    BinOp::Div => i128::from(x.wrapping_div(y)),
                    _ => i128::from(x.wrapping_rem(y)),
                }
            };
            wrap(res, rank)
        }
        (Num::F(_), Num::F(_) | Num::I(..)) | (Num::I(..), Num::F(_)) => {
            // MathUtils' BASE_FLOAT: no Double involved
            let (x, y) = (as_f32(&a), as_f32(&b));
            Value(V::Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                _ => x % y,
            }))
        }
        _ => {
            let (x, y) = (as_f64(&a), as_f64(&b));
            Value::double(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                _ => x % y,
            })
        }
    }
}

fn num_cmp(a: &Num, b: &Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::I(x, _), Num::I(y, _)) => Some(x.cmp(y)),
        _ => as_f64(a).partial_cmp(&as_f64(b)),
    }
}

/// Velocity 1.7's comparison nodes.
///
/// With `null_is_empty` (API Gateway), a null operand of `==`/`!=` also
/// equals the empty string (SPEC §5.1: a null value compares equal to both
/// `$null` and `""`).
pub(crate) fn compare(op: BinOp, l: &Value, r: &Value, null_is_empty: bool) -> bool {
    use std::cmp::Ordering::*;
    match op {
        BinOp::Eq | BinOp::Ne => {
            let empty = |v: &Value| matches!(&v.0, V::Str(s) if s.is_empty());
            let eq = velocity_eq(l, r)
                || (null_is_empty && ((l.is_null() && empty(r)) || (r.is_null() && empty(l))));
            if op == BinOp::Eq { eq } else { !eq }
        }
        _ => {
            let (Some(a), Some(b)) = (num(l), num(r)) else {
                return false;
            };
            let Some(o) = num_cmp(&a, &b) else {
                return false;
            };
            match op {
                BinOp::Lt => o == Less,
                BinOp::Gt => o == Greater,
                BinOp::Le => o != Greater,
                _ => o != Less,
            }
        }
    }
}

fn velocity_eq(l: &Value, r: &Value) -> bool {
    if matches!(l.0, V::Json(..)) || matches!(r.0, V::Json(..)) {
        return velocity_eq(&l.resolved(), &r.resolved());
    }
    if l.is_null() || r.is_null() {
        return l.is_null() && r.is_null();
    }
    if let (Some(a), Some(b)) = (num(l), num(r)) {
        return num_cmp(&a, &b) == Some(std::cmp::Ordering::Equal);
    }
    let same_class = match (&l.0, &r.0) {
        (V::List(_), V::List(_)) | (V::Array(_), V::Array(_)) | (V::Map(_), V::Map(_)) => true,
        (V::Object(_), V::Object(_)) => true,
        _ => std::mem::discriminant(&l.0) == std::mem::discriminant(&r.0),
    };
    if same_class {
        return java_equals(l, r);
    }
    l.to_string() == r.to_string()
}
