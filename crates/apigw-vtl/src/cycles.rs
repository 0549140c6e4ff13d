//! Reference cycles among the lists and maps a render made, collected when the render ends.
//!
//! Template values are reference-counted, so a container that holds itself, directly or
//! through others (`#set($m = {})#set($_ = $m.put('self', $m))`), would never be freed: Java's
//! collector frees it, `Rc` does not. Every list and map made while a render runs is noted
//! (a weak handle); when the outermost render ends, the noted containers still alive are
//! examined as a graph: those referred to from anywhere else (a count of strong references
//! above the references the noted containers hold among themselves: the caller's values, a
//! host object, a JSON text's materialized containers) and everything they reach stay; the
//! rest can only be reached from each other, and are emptied, which frees them. Nothing the
//! render printed changes: the output is complete by then.
//!
//! Containers held by other kinds of values (arrays, iterators, map entries, host objects)
//! count as referred to from elsewhere: a cycle through those is kept, as before.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use crate::value::{JMap, V, Value};

/// The containers noted during the current outermost render.
#[derive(Default)]
struct Noted {
    lists: Vec<Weak<RefCell<Vec<Value>>>>,
    maps: Vec<Weak<RefCell<JMap>>>,
}

thread_local! {
    /// How many renders are running on this thread (nested ones included).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static NOTED: RefCell<Noted> = RefCell::new(Noted::default());
}

/// Noted lists and maps kept between renders at most (their buffers' capacity).
const MAX_KEPT: usize = 1024;

/// Notes a list made while a render runs.
#[inline]
pub(crate) fn note_list(l: &Rc<RefCell<Vec<Value>>>) {
    note(l, |n| &mut n.lists);
}

/// Notes a map made while a render runs.
#[inline]
pub(crate) fn note_map(m: &Rc<RefCell<JMap>>) {
    note(m, |n| &mut n.maps);
}

/// Notes `rc` in the list `which` picks, while a render runs (the dead ones are dropped
/// from the list when it is full, before it grows).
#[inline]
fn note<T>(rc: &Rc<T>, which: impl FnOnce(&mut Noted) -> &mut Vec<Weak<T>>) {
    if DEPTH.try_with(Cell::get).unwrap_or(0) == 0 {
        return;
    }
    let _ = NOTED.try_with(|n| {
        if let Ok(mut n) = n.try_borrow_mut() {
            let list = which(&mut n);
            if list.len() == list.capacity() && list.len() >= 64 {
                list.retain(|w| w.strong_count() > 0);
            }
            list.push(Rc::downgrade(rc));
        }
    });
}

/// Marks a render as running until the guard drops; the outermost one collects the cycles
/// of the containers made meanwhile when it ends (drop the render's own values first).
pub(crate) struct RenderGuard(());

impl RenderGuard {
    pub(crate) fn enter() -> RenderGuard {
        let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
        RenderGuard(())
    }
}

impl Drop for RenderGuard {
    fn drop(&mut self) {
        let outermost = DEPTH
            .try_with(|d| {
                let depth = d.get().saturating_sub(1);
                d.set(depth);
                depth == 0
            })
            .unwrap_or(false);
        if outermost {
            collect();
        }
    }
}

/// A noted container still alive.
enum Node {
    List(Rc<RefCell<Vec<Value>>>),
    Map(Rc<RefCell<JMap>>),
}

impl Node {
    fn addr(&self) -> usize {
        match self {
            Node::List(l) => Rc::as_ptr(l) as *const u8 as usize,
            Node::Map(m) => Rc::as_ptr(m) as *const u8 as usize,
        }
    }

    fn strong(&self) -> usize {
        match self {
            Node::List(l) => Rc::strong_count(l),
            Node::Map(m) => Rc::strong_count(m),
        }
    }

    /// Calls `f` with the address of every list or map this container holds directly;
    /// `false` when its contents cannot be looked at (then it counts as referred to from
    /// elsewhere).
    fn children(&self, mut f: impl FnMut(usize)) -> bool {
        let mut visit = |v: &Value| {
            if let Some(a) = container_addr(v) {
                f(a);
            }
        };
        match self {
            Node::List(l) => match l.try_borrow() {
                Ok(items) => items.iter().for_each(&mut visit),
                Err(_) => return false,
            },
            Node::Map(m) => match m.try_borrow() {
                Ok(m) => m.entries.iter().for_each(|(k, v)| {
                    visit(k);
                    visit(v);
                }),
                Err(_) => return false,
            },
        }
        true
    }

    /// Empties the container, returning what it held (dropped by the caller, with no
    /// borrow held).
    fn empty(&self) -> Option<Box<dyn std::any::Any>> {
        match self {
            Node::List(l) => l
                .try_borrow_mut()
                .ok()
                .map(|mut items| Box::new(std::mem::take(&mut *items)) as Box<dyn std::any::Any>),
            Node::Map(m) => m
                .try_borrow_mut()
                .ok()
                .map(|mut m| Box::new(std::mem::take(&mut m.entries)) as Box<dyn std::any::Any>),
        }
    }
}

/// The address of the list or map `v` refers to (a map's views share its map).
fn container_addr(v: &Value) -> Option<usize> {
    match &v.0 {
        V::List(l) => Some(Rc::as_ptr(l) as *const u8 as usize),
        V::Map(m) | V::MapView(m, _) => Some(Rc::as_ptr(m) as *const u8 as usize),
        _ => None,
    }
}

/// Empties the noted containers that only other noted containers refer to.
fn collect() {
    // (Most renders make no list or map: nothing to look at.)
    let taken = NOTED.try_with(|n| match n.try_borrow_mut() {
        Ok(mut n) if !(n.lists.is_empty() && n.maps.is_empty()) => Some(std::mem::take(&mut *n)),
        _ => None,
    });
    let Ok(Some(mut noted)) = taken else {
        return;
    };
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for l in noted.lists.drain(..).filter_map(|w| w.upgrade()) {
        let node = Node::List(l);
        if let std::collections::hash_map::Entry::Vacant(e) = index.entry(node.addr()) {
            e.insert(nodes.len());
            nodes.push(node);
        }
    }
    for m in noted.maps.drain(..).filter_map(|w| w.upgrade()) {
        let node = Node::Map(m);
        if let std::collections::hash_map::Entry::Vacant(e) = index.entry(node.addr()) {
            e.insert(nodes.len());
            nodes.push(node);
        }
    }
    // The buffers are kept for the next render (small ones only).
    if noted.lists.capacity() <= MAX_KEPT && noted.maps.capacity() <= MAX_KEPT {
        let _ = NOTED.try_with(|n| {
            if let Ok(mut n) = n.try_borrow_mut()
                && n.lists.is_empty()
                && n.maps.is_empty()
            {
                *n = noted;
            }
        });
    }
    if nodes.is_empty() {
        return;
    }
    // References among the noted containers, and whether each can be looked into.
    let mut inside = vec![0usize; nodes.len()];
    let mut readable = vec![true; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        readable[i] = node.children(|a| {
            if let Some(&j) = index.get(&a) {
                inside[j] += 1;
            }
        });
    }
    // Referred to from elsewhere (beyond our handle and the noted containers' references),
    // or not readable: kept, with everything they reach.
    let mut kept = vec![false; nodes.len()];
    let mut stack: Vec<usize> = (0..nodes.len())
        .filter(|&i| !readable[i] || nodes[i].strong() > 1 + inside[i])
        .collect();
    for &i in &stack {
        kept[i] = true;
    }
    while let Some(i) = stack.pop() {
        nodes[i].children(|a| {
            if let Some(&j) = index.get(&a)
                && !kept[j]
            {
                kept[j] = true;
                stack.push(j);
            }
        });
    }
    // The rest: emptied, their contents dropped once no borrow is held.
    let garbage: Vec<Box<dyn std::any::Any>> = nodes
        .iter()
        .zip(&kept)
        .filter(|(_, kept)| !**kept)
        .filter_map(|(node, _)| node.empty())
        .collect();
    drop(garbage);
    drop(nodes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Call, Context, Error, Host, Object, Options, Template};

    /// A weak handle on a watched list or map.
    type Watched = (
        Option<Weak<RefCell<Vec<Value>>>>,
        Option<Weak<RefCell<JMap>>>,
    );

    /// `$s.watch(x)` keeps a weak handle on list or map `x`; `$s.hold(x)` keeps `x`;
    /// `$s.inner()` renders another template (a render inside the render).
    #[derive(Debug, Default)]
    struct Spy {
        watched: RefCell<Vec<Watched>>,
        held: RefCell<Vec<Value>>,
    }

    impl Object for Spy {
        fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
            match (name, args) {
                ("watch", [v]) => {
                    self.watched.borrow_mut().push(match &v.0 {
                        V::List(l) => (Some(Rc::downgrade(l)), None),
                        V::Map(m) => (None, Some(Rc::downgrade(m))),
                        _ => (None, None),
                    });
                    Ok(Call::Void)
                }
                ("hold", [v]) => {
                    self.held.borrow_mut().push(v.clone());
                    Ok(Call::Void)
                }
                ("inner", []) => {
                    let t = Template::compile(
                        "#set($x = [1])#set($_ = $x.add($x))$x.size()",
                        &Options::default(),
                    )?;
                    Ok(Call::Value(Value::string(
                        t.render_to_string(&Context::new())?,
                    )))
                }
                _ => Ok(Call::NotFound),
            }
        }
    }

    impl Spy {
        /// How many of the watched containers are still alive.
        fn alive(&self) -> usize {
            self.watched
                .borrow()
                .iter()
                .filter(|(l, m)| {
                    l.as_ref().is_some_and(|w| w.strong_count() > 0)
                        || m.as_ref().is_some_and(|w| w.strong_count() > 0)
                })
                .count()
        }
    }

    struct SpyHost(Rc<Spy>);

    impl Host for SpyHost {
        fn lookup(&self, name: &str) -> Option<Value> {
            (name == "s").then(|| Value::object(self.0.clone()))
        }
    }

    fn render(template: &str, ctx: Context<'_>) -> String {
        let t = Template::compile(template, &Options::default()).unwrap();
        let mut out = String::new();
        t.render(&ctx, &mut out).unwrap();
        out
    }

    #[test]
    fn cycles_among_the_renders_own_containers_are_freed() {
        let spy = Rc::new(Spy::default());
        let host = SpyHost(spy.clone());
        let out = render(
            "#set($m = {})#set($_ = $m.put('self', $m))$m.size() $s.watch($m)\
             #set($a = [])#set($b = {'a': $a})#set($_ = $a.add($b))$a.size() $s.watch($a)$s.watch($b)\
             #set($l = [1, 2])$s.watch($l)\
             #foreach($i in [1..50])#set($c = [])#set($_ = $c.add($c))$s.watch($c)#end",
            Context::new().with_host(&host),
        );
        assert_eq!(out, "1 1 ");
        assert_eq!(spy.watched.borrow().len(), 54);
        assert_eq!(spy.alive(), 0);
    }

    #[test]
    fn containers_referred_to_from_outside_the_render_are_kept_with_their_cycles() {
        let spy = Rc::new(Spy::default());
        let host = SpyHost(spy.clone());
        let out = Value::list(Vec::new());
        let mut ctx = Context::new().with_host(&host);
        ctx.insert("out", out.clone());
        let printed = render(
            "#set($m = {'k': 1})#set($_ = $m.put('self', $m))#set($_ = $out.add($m))\
             #set($h = [7])#set($_ = $h.add($h))$s.hold($h)$s.watch($m)$s.watch($h)\
             #set($g = [])#set($_ = $g.add($g))$s.watch($g)\
             #set($x = [])#set($y = [$x])#set($_ = $x.add($y))#set($_ = $m.put('x', $x))$s.watch($y)",
            ctx,
        );
        assert_eq!(printed, "");
        // `$m` (in the caller's list), `$h` (held by a host object) and `$y` (reached from
        // `$m`) are kept whole; `$g` only refers to itself: freed.
        assert_eq!(spy.alive(), 3);
        assert!(
            out.to_string()
                .starts_with("[{k=1, self=(this Map), x=[[[[[["),
            "{out}"
        );
        assert_eq!(spy.held.borrow()[0].to_string(), "[7, (this Collection)]");
    }

    #[test]
    fn a_render_inside_a_render_collects_nothing_of_the_outer_one() {
        let spy = Rc::new(Spy::default());
        let host = SpyHost(spy.clone());
        let out = render(
            "#set($m = {'a': 1})#set($_ = $m.put('m', $m))$s.watch($m)$s.inner() $m.size() $m.a",
            Context::new().with_host(&host),
        );
        assert_eq!(out, "2 2 1");
        assert_eq!(spy.alive(), 0);
    }
}
