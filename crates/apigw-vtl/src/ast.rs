//! The compiled form of a template: a tree of nodes with names resolved to
//! slot numbers and all literal text owned. Everything here is immutable and
//! `Send + Sync`.

use std::sync::Arc;

/// A byte range of the source, for error reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
}

/// A name interned into the template's slot table.
pub(crate) type NameId = u32;

/// `repr(u8)`: a plain tag byte, cheaper to dispatch on than a niche in `Text`'s string.
#[derive(Debug)]
#[repr(u8)]
pub(crate) enum Node {
    Text(String),
    Ref(Box<RefNode>),
    Set(Box<SetNode>),
    If(Box<IfNode>),
    Foreach(Box<ForeachNode>),
    /// `#macro` definitions are hoisted into the template; the node stays
    /// only for `#break` scoping and renders nothing.
    MacroDef,
    Call(Box<CallNode>),
    Define(Box<DefineNode>),
    Evaluate(Box<(Expr, Span)>),
    Break(Option<Box<Expr>>, Span),
    Stop,
    /// `#literal() … #end`: the block's source text.
    Literal(Box<str>),
}

#[derive(Debug)]
pub(crate) struct SetNode {
    pub lhs: RefNode,
    pub rhs: Expr,
}

#[derive(Debug)]
pub(crate) struct IfNode {
    pub branches: Vec<(Expr, Vec<Node>)>,
    pub otherwise: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(crate) struct ForeachNode {
    pub var: NameId,
    pub iter: Expr,
    pub body: Vec<Node>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct MacroDef {
    pub name: Box<str>,
    pub params: Vec<(NameId, Box<str>)>,
    pub body: Vec<Node>,
}

#[derive(Debug)]
pub(crate) struct CallNode {
    pub name: Box<str>,
    pub args: Vec<Expr>,
    /// Source text printed when no such macro exists.
    pub literal: Box<str>,
    /// The body of a block macro call `#@name(...) body #end`, with the
    /// slot of `$bodyContent`.
    pub body: Option<(Arc<Vec<Node>>, NameId)>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct DefineNode {
    pub name: NameId,
    pub body: Arc<Vec<Node>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefKind {
    Normal,
    Quiet,
    /// An identifier that is not really a reference; prints its root.
    Runt,
}

#[derive(Debug)]
pub(crate) struct RefNode {
    pub kind: RefKind,
    pub root: NameId,
    pub root_name: Box<str>,
    pub parts: Vec<Part>,
    pub escaped: bool,
    pub esc_prefix: Box<str>,
    pub more_prefix: Box<str>,
    /// The reference as written (`$a.b`), Velocity's `literal()`.
    pub literal: Box<str>,
    pub span: Span,
    /// Classified once by [`RefNode::classified`]: the one property read when this is
    /// `$x.index`, `$x.hasNext`, … (a loop scope's property, when `$x` holds one).
    pub loop_prop: LoopProp,
    /// No escape, no prefix, not a runt, and at most one part, a property other than
    /// `class`: printable straight from a variable's value.
    pub plain: bool,
    /// The first part is a property other than `class`/`Class` (a map key or JSON member).
    pub prop0: bool,
    /// How many leading parts are steps a JSON tape answers by itself: properties other
    /// than `class`/`Class` and indexes by a non-negative integer literal (`$r.tags[0]`).
    pub tape_steps: u8,
    /// No escape, no prefix, not a runt, at least one part, and every part a tape step:
    /// printable straight from a JSON tape when the root holds a document.
    pub tape_print: bool,
    /// No escape, no prefix, not a runt, and exactly one part: a method call whose one
    /// argument is a [`RefNode::tape_print`] reference (`$util.escapeJavaScript($r.name)`):
    /// printable by the receiver itself from a string on a JSON tape
    /// ([`crate::Object::write_call_str`]).
    pub print_call: bool,
}

/// The properties of a `$foreach` scope read without a method call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum LoopProp {
    /// Not a single property of those below.
    None,
    Index,
    Count,
    HasNext,
    First,
    Last,
}

impl RefNode {
    /// Fills in the fields derived from the others (`loop_prop`, `plain`, `prop0`,
    /// `tape_steps`, `tape_print`, `print_call`).
    pub fn classified(mut self) -> RefNode {
        let first_prop = match self.parts.first() {
            Some(Part::Prop(name, _)) => Some(&**name),
            _ => None,
        };
        self.prop0 = first_prop.is_some_and(|n| n != "class" && n != "Class");
        self.loop_prop = match (self.parts.len(), first_prop) {
            (1, Some("index")) => LoopProp::Index,
            (1, Some("count")) => LoopProp::Count,
            (1, Some("hasNext")) => LoopProp::HasNext,
            (1, Some("first")) => LoopProp::First,
            (1, Some("last")) => LoopProp::Last,
            _ => LoopProp::None,
        };
        let steps = self
            .parts
            .iter()
            .take_while(|p| match p {
                Part::Prop(name, _) => &**name != "class" && &**name != "Class",
                Part::Index(Expr::Int(n), _) => *n >= 0,
                _ => false,
            })
            .count();
        self.tape_steps = u8::try_from(steps).unwrap_or(u8::MAX);
        self.plain = self.kind != RefKind::Runt
            && !self.escaped
            && self.esc_prefix.is_empty()
            && self.more_prefix.is_empty()
            && (self.parts.is_empty() || (self.parts.len() == 1 && self.prop0));
        self.tape_print = self.kind != RefKind::Runt
            && !self.escaped
            && self.esc_prefix.is_empty()
            && self.more_prefix.is_empty()
            && !self.parts.is_empty()
            && usize::from(self.tape_steps) == self.parts.len();
        self.print_call = self.kind != RefKind::Runt
            && !self.escaped
            && self.esc_prefix.is_empty()
            && self.more_prefix.is_empty()
            && matches!(&self.parts[..], [Part::Method(_, args, _)]
                if matches!(&args[..], [Expr::Ref(a)] if a.tape_print));
        self
    }
}

#[derive(Debug)]
pub(crate) enum Part {
    Prop(Box<str>, Span),
    Method(Box<str>, Vec<Expr>, Span),
    Index(Expr, Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug)]
pub(crate) enum Expr {
    Str(Arc<str>),
    Interp(Box<Interp>),
    Int(i32),
    Long(i64),
    BigInt(i128),
    Double(f64),
    Bool(bool),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<(Expr, Expr)>),
    Ref(Box<RefNode>),
    Word(Box<str>),
    Not(Box<Expr>),
    Bin(BinOp, Box<(Expr, Expr)>, Span),
}

#[derive(Debug)]
pub(crate) struct Interp {
    pub nodes: Vec<Node>,
    pub strip_last: bool,
}

impl Expr {
    /// Velocity's `literal()` of an expression node, used when a null
    /// operand is concatenated to a string.
    pub fn literal(&self) -> String {
        match self {
            Expr::Ref(r) => r.literal.to_string(),
            Expr::Str(s) => s.to_string(),
            Expr::Word(w) => w.to_string(),
            Expr::Int(i) => i.to_string(),
            Expr::Long(i) => i.to_string(),
            Expr::BigInt(i) => i.to_string(),
            Expr::Bool(b) => b.to_string(),
            _ => String::new(),
        }
    }
}
