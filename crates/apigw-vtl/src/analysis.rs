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

/// One written occurrence of a member on a top-level name, with its place
/// in the template source. Unlike [`Analysis::members`], every occurrence is
/// listed (not deduplicated), so a linter can point at each one.
///
/// # Example
///
/// ```
/// use apigw_vtl::{Options, Template};
/// let t = Template::compile("a\n $util.toJson($x)", &Options::default()).unwrap();
/// let site = &t.analysis().sites[0];
/// assert_eq!((site.root.as_str(), site.member.as_str()), ("util", "toJson"));
/// assert_eq!(site.offset, Some(9)); // the byte offset of `toJson`
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSite {
    /// The top-level name (`util`).
    pub root: String,
    /// The property or method name (`toJson`).
    pub member: String,
    /// Whether it is a method call rather than a property.
    pub is_method: bool,
    /// The arguments when all are string literals; `None` otherwise.
    pub args: Option<Vec<String>>,
    /// The byte offset of the member name in the template source; `None`
    /// for a reference inside an interpolated double-quoted string literal
    /// (parsed as a separate text, so its offsets are not the template's).
    pub offset: Option<usize>,
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
    /// Top-level names also used as whole values (`$input`, `#set($i = $input)`,
    /// `$input[0]`), whose members the template may then reach through another name.
    pub whole: Vec<String>,
    /// Every occurrence of a first-level member, in the order the analysis
    /// visits them (template body first, then macro bodies).
    pub sites: Vec<MemberSite>,
}

impl Analysis {
    /// Returns whether the template reads this top-level name (always true
    /// when [`Analysis::dynamic`]).
    pub fn uses(&self, name: &str) -> bool {
        self.dynamic || self.names.iter().any(|n| n == name)
    }

    /// Returns whether the template may use `member` of top-level `root`: written as
    /// `$root.member…`, or reachable because `root` is also used as a whole value (an alias
    /// or an argument could reach any member), or `#evaluate` is present.
    ///
    /// # Example
    ///
    /// ```
    /// use apigw_vtl::{Options, Template};
    /// let t = |s| Template::compile(s, &Options::default()).unwrap();
    /// assert!(!t("$input.path('$')").analysis().may_use_member("input", "params"));
    /// assert!(t("$input.params('id')").analysis().may_use_member("input", "params"));
    /// assert!(t("#set($i = $input)$i.params()").analysis().may_use_member("input", "params"));
    /// ```
    pub fn may_use_member(&self, root: &str, member: &str) -> bool {
        self.dynamic
            || self.whole.iter().any(|n| n == root)
            || self
                .members
                .iter()
                .any(|m| m.root == root && m.member == member)
    }
}

pub(crate) fn analyze(p: &Program) -> Analysis {
    let mut w = Walk {
        a: Analysis::default(),
        in_string: 0,
    };
    nodes(&p.nodes, &mut w);
    for m in p.macros.values() {
        nodes(&m.body, &mut w);
    }
    w.a
}

/// The analysis being built, and how many interpolated string literals
/// enclose the current node (their offsets are not the template's).
struct Walk {
    a: Analysis,
    in_string: usize,
}

fn nodes(ns: &[Node], a: &mut Walk) {
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
                a.a.dynamic = true;
                expr(&e.0, a);
            }
            Node::MacroDef | Node::Text(_) | Node::Break(..) | Node::Stop | Node::Literal(_) => {}
        }
    }
}

fn reference(r: &RefNode, w: &mut Walk) {
    if r.kind == RefKind::Runt {
        return;
    }
    let a = &mut w.a;
    let name = &*r.root_name;
    if !matches!(name, "velocityCount" | "foreach" | "velocityHasNext")
        && !a.names.iter().any(|n| n == name)
    {
        a.names.push(name.to_string());
    }
    if matches!(r.parts.first(), None | Some(Part::Index(..)))
        && !matches!(name, "velocityCount" | "foreach" | "velocityHasNext")
        && !a.whole.iter().any(|n| n == name)
    {
        a.whole.push(name.to_string());
    }
    if let Some(first) = r.parts.first() {
        let (member, is_method, args, span) = match first {
            Part::Prop(n, sp) => (n.to_string(), false, Some(Vec::new()), *sp),
            Part::Method(n, args, sp) => {
                let lits: Option<Vec<String>> = args
                    .iter()
                    .map(|e| match e {
                        Expr::Str(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect();
                (n.to_string(), true, lits, *sp)
            }
            Part::Index(_, sp) => (String::new(), false, None, *sp),
        };
        if !member.is_empty() {
            a.sites.push(MemberSite {
                root: name.to_string(),
                member: member.clone(),
                is_method,
                args: args.clone(),
                offset: (w.in_string == 0).then_some(span.start as usize),
            });
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
                    expr(e, w);
                }
            }
            Part::Index(e, _) => expr(e, w),
            Part::Prop(..) => {}
        }
    }
}

fn expr(e: &Expr, a: &mut Walk) {
    match e {
        Expr::Ref(r) => reference(r, a),
        Expr::Interp(i) => {
            a.in_string += 1;
            nodes(&i.nodes, a);
            a.in_string -= 1;
        }
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
