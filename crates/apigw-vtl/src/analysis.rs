//! Static analysis of a compiled template: which top-level names it reads
//! and which members it uses on them with literal arguments, so a host can
//! skip work (no body parsing when `$input` is unused) and pre-compile
//! arguments (JSONPath strings of `$input.path('…')`).

use crate::ast::*;
use crate::render::Program;

/// One use of a member on a top-level name: `$input.path('$.x')` is
/// `root = "input"`, `member = "path"`, `args = Some(["$.x"])`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberUse {
    /// The top-level name (`input`).
    pub root: String,
    /// The property or method name (`path`, `body`).
    pub member: String,
    /// Whether it is a method call (`$input.json(...)`) rather than a
    /// property (`$input.body`).
    pub is_method: bool,
    /// The arguments when all are string literals; `None` otherwise.
    pub args: Option<Vec<String>>,
}

/// What a template uses. See [`Template::analysis`](crate::Template::analysis).
///
/// # Example
///
/// ```
/// use apigw_vtl::{Options, Template};
/// let t = Template::compile("#set($r = $input.path('$.a'))$r $util.x($r)", &Options::default()).unwrap();
/// let a = t.analysis();
/// assert!(a.uses("input"));
/// assert!(a.uses("util"));
/// assert_eq!(a.members[0].args, Some(vec!["$.a".to_string()]));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Top-level names read anywhere (in order of first use), excluding
    /// Velocity's loop variables.
    pub names: Vec<String>,
    /// First-level members used on top-level names, in source order.
    pub members: Vec<MemberUse>,
    /// Whether the template contains `#evaluate` (which can read anything).
    pub dynamic: bool,
}

impl Analysis {
    /// Returns whether the template reads this top-level name (always true
    /// when [`Analysis::dynamic`]).
    pub fn uses(&self, name: &str) -> bool {
        self.dynamic || self.names.iter().any(|n| n == name)
    }
}

pub(crate) fn analyze(p: &Program) -> Analysis {
    let mut a = Analysis::default();
    nodes(&p.nodes, &mut a);
    for m in p.macros.values() {
        nodes(&m.body, &mut a);
    }
    a
}

fn nodes(ns: &[Node], a: &mut Analysis) {
    for n in ns {
        match n {
            Node::Ref(r) => reference(r, a),
            Node::Set(s) => {
                reference(&s.lhs, a);
                expr(&s.rhs, a);
            }
            Node::If(i) => {
                for (c, b) in &i.branches {
                    expr(c, a);
                    nodes(b, a);
                }
                if let Some(b) = &i.otherwise {
                    nodes(b, a);
                }
            }
            Node::Foreach(f) => {
                expr(&f.iter, a);
                nodes(&f.body, a);
            }
            Node::Call(c) => {
                for e in &c.args {
                    expr(e, a);
                }
                if let Some((b, _)) = &c.body {
                    nodes(b, a);
                }
            }
            Node::Define(d) => nodes(&d.body, a),
            Node::Evaluate(e) => {
                a.dynamic = true;
                expr(&e.0, a);
            }
            Node::MacroDef | Node::Text(_) | Node::Break(..) | Node::Stop | Node::Literal(_) => {}
        }
    }
}

fn reference(r: &RefNode, a: &mut Analysis) {
    if r.kind == RefKind::Runt {
        return;
    }
    let name = &*r.root_name;
    if !matches!(name, "velocityCount" | "foreach" | "velocityHasNext")
        && !a.names.iter().any(|n| n == name)
    {
        a.names.push(name.to_string());
    }
    if let Some(first) = r.parts.first() {
        let (member, is_method, args) = match first {
            Part::Prop(n, _) => (n.to_string(), false, Some(Vec::new())),
            Part::Method(n, args, _) => {
                let lits: Option<Vec<String>> = args
                    .iter()
                    .map(|e| match e {
                        Expr::Str(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect();
                (n.to_string(), true, lits)
            }
            Part::Index(..) => (String::new(), false, None),
        };
        if !member.is_empty() {
            let u = MemberUse {
                root: name.to_string(),
                member,
                is_method,
                args,
            };
            if !a.members.contains(&u) {
                a.members.push(u);
            }
        }
    }
    for p in &r.parts {
        match p {
            Part::Method(_, args, _) => {
                for e in args {
                    expr(e, a);
                }
            }
            Part::Index(e, _) => expr(e, a),
            Part::Prop(..) => {}
        }
    }
}

fn expr(e: &Expr, a: &mut Analysis) {
    match e {
        Expr::Ref(r) => reference(r, a),
        Expr::Interp(i) => nodes(&i.nodes, a),
        Expr::List(v) => v.iter().for_each(|x| expr(x, a)),
        Expr::Map(v) => v.iter().for_each(|(k, x)| {
            expr(k, a);
            expr(x, a);
        }),
        Expr::Range(ab) => {
            expr(&ab.0, a);
            expr(&ab.1, a);
        }
        Expr::Not(x) => expr(x, a),
        Expr::Bin(_, lr, _) => {
            expr(&lr.0, a);
            expr(&lr.1, a);
        }
        _ => {}
    }
}
