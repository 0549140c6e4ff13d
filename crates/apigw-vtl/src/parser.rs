//! The parser: Velocity 1.7's grammar productions over the lazily produced
//! tokens of [`crate::lexer`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::error::{Error, ErrorKind};
use crate::lexer::{Lexer, St, Tk, Token};

/// Name interner shared by a template and what it compiles later
/// (`#evaluate`, interpolated strings).
#[derive(Debug, Default, Clone)]
pub(crate) struct Names {
    pub map: HashMap<Box<str>, NameId>,
    pub list: Vec<Box<str>>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> NameId {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.list.len() as NameId;
        self.list.push(s.into());
        self.map.insert(s.into(), i);
        i
    }
}

pub(crate) struct Output {
    pub nodes: Vec<Node>,
    pub macros: Vec<Arc<MacroDef>>,
}

/// Built-in directives of Velocity 1.7 (`directive.properties`).
fn is_directive(name: &str) -> bool {
    matches!(
        name,
        "foreach"
            | "include"
            | "parse"
            | "macro"
            | "literal"
            | "evaluate"
            | "break"
            | "define"
            | "stop"
    )
}

pub(crate) struct Parser<'s, 'n> {
    src: &'s str,
    lex: Lexer<'s>,
    toks: Vec<Token>,
    cur: usize,
    pub names: &'n mut Names,
    macro_names: Vec<String>,
    macros: Vec<Arc<MacroDef>>,
    depth: usize,
    max_depth: usize,
    /// Known macros from outside (for escape processing).
    outer_macros: &'n [Box<str>],
    /// Token images Velocity rewrites while parsing (escaped directives,
    /// the first token of a reference), for `literal()`.
    overrides: HashMap<usize, String>,
    /// Binary operators in the current outermost expression.
    ops: usize,
    expr_nest: usize,
}

type PResult<T> = Result<T, Error>;

fn is_text_tok(k: Tk) -> bool {
    matches!(
        k,
        Tk::Text
            | Tk::Dot
            | Tk::RParen
            | Tk::LParen
            | Tk::IntegerLiteral
            | Tk::FloatLiteral
            | Tk::StringLiteral
            | Tk::Escape
            | Tk::LCurly
            | Tk::RCurly
            | Tk::EmptyIndex
    )
}

fn is_statement_start(k: Tk) -> bool {
    is_text_tok(k)
        || matches!(
            k,
            Tk::If
                | Tk::Identifier
                | Tk::SingleLineCommentStart
                | Tk::FormalComment
                | Tk::MultiLineComment
                | Tk::TextBlock
                | Tk::SetDirective
                | Tk::EscapeDirective
                | Tk::DoubleEscape
                | Tk::Word
                | Tk::BracketedWord
        )
}

fn value_start(k: Tk) -> bool {
    matches!(
        k,
        Tk::StringLiteral
            | Tk::IntegerLiteral
            | Tk::LBracket
            | Tk::LeftCurley
            | Tk::True
            | Tk::False
            | Tk::Identifier
            | Tk::LCurly
            | Tk::FloatLiteral
    )
}

fn describe(k: Tk) -> &'static str {
    match k {
        Tk::Eof => "end of template",
        Tk::RParen | Tk::RefMod2RParen => "\")\"",
        Tk::LParen => "\"(\"",
        Tk::End => "#end",
        Tk::Else => "#else",
        Tk::ElseIf => "#elseif",
        Tk::Whitespace => "whitespace",
        Tk::Newline => "newline",
        Tk::Identifier => "identifier",
        Tk::Word => "word",
        _ => "token",
    }
}

impl<'s, 'n> Parser<'s, 'n> {
    pub fn new(
        src: &'s str,
        names: &'n mut Names,
        outer_macros: &'n [Box<str>],
        max_depth: usize,
    ) -> Self {
        Parser {
            src,
            lex: Lexer::new(src),
            toks: Vec::new(),
            cur: 0,
            names,
            macro_names: Vec::new(),
            macros: Vec::new(),
            depth: 0,
            max_depth,
            outer_macros,
            overrides: HashMap::new(),
            ops: 0,
            expr_nest: 0,
        }
    }

    fn err_at(&self, offset: usize, msg: impl Into<String>) -> Error {
        Error::at(ErrorKind::Syntax, msg, self.src, offset)
    }

    fn fill(&mut self, n: usize) -> PResult<()> {
        while self.toks.len() <= self.cur + n {
            match self.lex.next_token() {
                Ok(t) => self.toks.push(t),
                Err(e) => {
                    let msg = if e.eof {
                        "lexical error: unexpected end of template".to_string()
                    } else {
                        let c = self.src[e.pos..].chars().next().unwrap_or(' ');
                        format!("lexical error: unexpected character {c:?}")
                    };
                    return Err(self.err_at(e.pos, msg));
                }
            }
        }
        Ok(())
    }

    fn off(&mut self) -> usize {
        let _ = self.fill(0);
        self.toks.get(self.cur).map_or(self.src.len(), |t| t.start)
    }

    fn peek(&mut self, n: usize) -> PResult<Tk> {
        self.fill(n)?;
        Ok(self.toks[self.cur + n].kind)
    }

    fn tok(&self, i: usize) -> &Token {
        &self.toks[i]
    }

    fn next(&mut self) -> PResult<usize> {
        self.fill(0)?;
        let i = self.cur;
        self.cur += 1;
        Ok(i)
    }

    fn image(&self, i: usize) -> &'s str {
        let t = &self.toks[i];
        &self.src[t.start..t.end]
    }

    fn expect(&mut self, k: Tk, what: &str) -> PResult<usize> {
        let got = self.peek(0)?;
        if got != k {
            let t = &self.toks[self.cur];
            let shown = if t.start == t.end {
                describe(got).to_string()
            } else {
                format!("{:?}", &self.src[t.start..t.end])
            };
            return Err(self.err_at(t.start, format!("expected {what}, found {shown}")));
        }
        self.next()
    }

    fn opt(&mut self, k: Tk) -> PResult<bool> {
        if self.peek(0)? == k {
            self.cur += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub fn parse_template(mut self) -> PResult<Output> {
        let nodes = self.statements()?;
        let k = self.peek(0)?;
        if k != Tk::Eof {
            let t = &self.toks[self.cur];
            let what = match k {
                Tk::End => "#end without a matching directive".to_string(),
                Tk::Else | Tk::ElseIf => "#else/#elseif without #if".to_string(),
                _ => format!("unexpected {:?}", &self.src[t.start..t.end]),
            };
            return Err(self.err_at(t.start, what));
        }
        Ok(Output {
            nodes,
            macros: self.macros,
        })
    }

    fn statements(&mut self) -> PResult<Vec<Node>> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let off = self.toks.get(self.cur).map_or(self.lex.pos, |t| t.start);
            return Err(Error::at(
                ErrorKind::LimitExceeded,
                format!("nesting deeper than {} levels", self.max_depth),
                self.src,
                off,
            ));
        }
        let mut out = Vec::new();
        loop {
            let k = self.peek(0)?;
            if !is_statement_start(k) {
                break;
            }
            self.statement(&mut out)?;
        }
        self.depth -= 1;
        Ok(out)
    }

    fn push_text(out: &mut Vec<Node>, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(Node::Text(prev)) = out.last_mut() {
            prev.push_str(s);
        } else {
            out.push(Node::Text(s.into()));
        }
    }

    /// `SimpleNode.literal()` of the tokens `a..=b`.
    fn literal_range(&self, a: usize, b: usize) -> String {
        self.join_tokens(a, b, true)
    }

    /// `RuntimeMacro.getLiteral()` of the tokens `a..=b`: their images
    /// joined without the special text between them (`#m($x$)` prints
    /// `#m($x)`: the `$` ended by a terminator is a special token).
    fn images_range(&self, a: usize, b: usize) -> String {
        self.join_tokens(a, b, false)
    }

    /// The images of the tokens `a..=b` as Velocity rewrote them, each after
    /// its special text when `special`.
    fn join_tokens(&self, a: usize, b: usize, special: bool) -> String {
        let mut s = String::new();
        for i in a..=b.min(self.toks.len().saturating_sub(1)) {
            let t = &self.toks[i];
            if special && let Some(sp) = &t.special {
                s.push_str(sp);
            }
            match self.overrides.get(&i) {
                Some(o) => s.push_str(o),
                None => s.push_str(&self.src[t.start..t.end]),
            }
        }
        s
    }

    fn token_literal(&self, i: usize) -> String {
        let t = &self.toks[i];
        let mut s = String::new();
        if let Some(sp) = &t.special {
            s.push_str(sp);
        }
        s.push_str(&self.src[t.start..t.end]);
        s
    }

    fn statement(&mut self, out: &mut Vec<Node>) -> PResult<()> {
        let k = self.peek(0)?;
        match k {
            Tk::If => {
                let n = self.if_statement()?;
                out.push(n);
            }
            Tk::Identifier => {
                let r = self.reference()?;
                out.push(Node::Ref(Box::new(r)));
            }
            Tk::LCurly if self.peek(1)? == Tk::Identifier => {
                let r = self.reference()?;
                out.push(Node::Ref(Box::new(r)));
            }
            Tk::SingleLineCommentStart | Tk::FormalComment | Tk::MultiLineComment => {
                // ASTComment prints what a MORE prefix put before the `##`
                // or `#*` (`$!## c` prints `$!`).
                let i = self.next()?;
                let img = self.image(i);
                let cut = img.find("##").or_else(|| img.find("#*"));
                if let Some(c) = cut {
                    Self::push_text(out, &img[..c]);
                }
                if k == Tk::SingleLineCommentStart {
                    self.opt(Tk::SingleLineComment)?;
                }
            }
            Tk::TextBlock => {
                let i = self.next()?;
                let img = self.image(i);
                let inner = if img.len() >= 6 {
                    img.get(3..img.len() - 3).unwrap_or("")
                } else {
                    ""
                };
                Self::push_text(out, inner);
            }
            Tk::SetDirective => {
                let n = self.set_directive()?;
                out.push(n);
            }
            Tk::EscapeDirective => {
                let i = self.next()?;
                let img = self.image(i);
                let s = self.escaped_directive(img);
                self.overrides.insert(i, s.clone());
                Self::push_text(out, &s);
            }
            Tk::DoubleEscape => {
                let mut count = 0;
                loop {
                    self.next()?;
                    count += 1;
                    if self.peek(0)? != Tk::DoubleEscape {
                        break;
                    }
                }
                let nk = self.peek(0)?;
                let mut control = matches!(nk, Tk::If | Tk::Else | Tk::ElseIf | Tk::End);
                let img = self.image(self.cur);
                let tag = img.get(1..).unwrap_or("");
                if is_directive(tag) || self.is_macro(tag) {
                    control = true;
                }
                let s = if control { "\\" } else { "\\\\" };
                Self::push_text(out, &s.repeat(count));
            }
            Tk::Word | Tk::BracketedWord => {
                self.directive(out)?;
            }
            _ => {
                let i = self.next()?;
                let s = self.token_literal(i);
                Self::push_text(out, &s);
            }
        }
        Ok(())
    }

    fn is_macro(&self, name: &str) -> bool {
        self.macro_names.iter().any(|m| m == name) || self.outer_macros.iter().any(|m| &**m == name)
    }

    fn escaped_directive(&self, img: &str) -> String {
        let i_last = img.rfind('\\').unwrap_or(0);
        let dir = &img[i_last + 1..];
        let mut tag = &dir[1..];
        if tag.starts_with('{') && tag.len() >= 2 {
            tag = &tag[1..tag.len() - 1];
        }
        let recognized = is_directive(tag)
            || self.is_macro(tag)
            || matches!(tag, "if" | "end" | "set" | "else" | "elseif" | "stop");
        if recognized {
            format!("{}{}", &img[..i_last / 2], dir)
        } else {
            img.to_string()
        }
    }

    fn if_statement(&mut self) -> PResult<Node> {
        let start = self.next()?;
        let start_off = self.tok(start).start;
        self.opt(Tk::Whitespace)?;
        self.expect(Tk::LParen, "\"(\" after #if")?;
        let cond = self.expression()?;
        self.expect(Tk::RParen, "\")\" closing #if")?;
        let body = self.statements()?;
        let mut branches = vec![(cond, body)];
        while self.peek(0)? == Tk::ElseIf {
            self.next()?;
            self.opt(Tk::Whitespace)?;
            self.expect(Tk::LParen, "\"(\" after #elseif")?;
            let c = self.expression()?;
            self.expect(Tk::RParen, "\")\" closing #elseif")?;
            let b = self.statements()?;
            branches.push((c, b));
        }
        let mut otherwise = None;
        if self.peek(0)? == Tk::Else {
            self.next()?;
            otherwise = Some(self.statements()?);
        }
        if self.peek(0)? != Tk::End {
            let off = self.off();
            let mut e = self.err_at(off, "expected #end closing #if");
            if self.peek(0)? == Tk::Eof {
                e = self.err_at(start_off, "#if without a matching #end");
            }
            return Err(e);
        }
        self.next()?;
        Ok(Node::If(Box::new(IfNode {
            branches,
            otherwise,
        })))
    }

    fn set_directive(&mut self) -> PResult<Node> {
        let st = self.next()?;
        let _ = st;
        self.opt(Tk::Whitespace)?;
        let k = self.peek(0)?;
        if !(k == Tk::Identifier || k == Tk::LCurly) {
            let off = self.off();
            return Err(self.err_at(off, "expected a reference after #set("));
        }
        let mut lhs = self.reference()?;
        if lhs.parts.is_empty() {
            // Velocity sets the context key `firstToken.image.substring(1)`:
            // `$!x` sets "!x", `${x}` sets "{".
            let key = if lhs.literal.starts_with("${") {
                "{".to_string()
            } else if lhs.literal.starts_with("$!{") {
                "!{".to_string()
            } else {
                lhs.literal.get(1..).unwrap_or("").to_string()
            };
            lhs.root = self.names.intern(&key);
        }
        self.opt(Tk::Whitespace)?;
        self.expect(Tk::Equals, "\"=\" in #set")?;
        let rhs = self.expression()?;
        let rp = self.expect(Tk::RParen, "\")\" closing #set")?;
        let _ = rp;
        self.lex.in_set = false;
        self.opt(Tk::Newline)?;
        Ok(Node::Set(Box::new(SetNode { lhs, rhs })))
    }

    // ---------------- references ----------------

    fn reference(&mut self) -> PResult<RefNode> {
        // `$a[$b[$c[…]]]` nests through here without passing value().
        self.depth += 1;
        if self.depth > self.max_depth {
            let off = self.off();
            return Err(Error::at(
                ErrorKind::LimitExceeded,
                format!("nesting deeper than {} levels", self.max_depth),
                self.src,
                off,
            ));
        }
        let r = self.reference_inner();
        self.depth -= 1;
        r
    }

    fn reference_inner(&mut self) -> PResult<RefNode> {
        let first = self.next()?;
        let first_tok = self.tok(first).clone();
        let formal = first_tok.kind == Tk::LCurly;
        let img = &self.src[first_tok.start..first_tok.end];
        let ident = if formal {
            let i = self.expect(Tk::Identifier, "an identifier after ${")?;
            self.image(i).to_string()
        } else {
            img.to_string()
        };
        let mut parts = Vec::new();
        loop {
            while self.peek(0)? == Tk::IndexLBracket {
                parts.push(self.index()?);
            }
            if self.peek(0)? == Tk::Dot && self.peek(1)? == Tk::Identifier {
                self.next()?;
                let is_method = self.peek(1)? == Tk::LParen && {
                    let k = self.peek(2)?;
                    k == Tk::RefMod2RParen || k == Tk::Whitespace || value_start(k)
                };
                let id = self.next()?;
                let name: Box<str> = self.image(id).into();
                let sp = Span {
                    start: self.tok(id).start as u32,
                    end: self.tok(id).end as u32,
                };
                if is_method {
                    self.next()?; // (
                    let mut args = Vec::new();
                    if self.peek(0)? != Tk::RefMod2RParen {
                        args.push(self.parameter()?);
                        while self.opt(Tk::Comma)? {
                            args.push(self.parameter()?);
                        }
                    }
                    self.expect(Tk::RefMod2RParen, "\")\" closing the method call")?;
                    parts.push(Part::Method(name, args, sp));
                } else {
                    parts.push(Part::Prop(name, sp));
                }
            } else {
                break;
            }
        }
        if formal {
            self.expect(Tk::RCurly, "\"}\" closing ${")?;
        }
        let last_end = self.toks[self.cur - 1].end;
        // getRoot(): escapes, prefixes and the kind.
        let full = &self.src[first_tok.start..last_end];
        let bs = full.bytes().take_while(|&b| b == b'\\').count();
        let escaped = bs % 2 == 1;
        let esc_prefix: Box<str> = "\\".repeat(bs / 2).into();
        let after_bs = &full[bs..];
        let first_img = &img[bs..];
        // `$` position within the first token's image
        let loc = first_img.rfind('$');
        let (more_prefix, lit_start) = match loc {
            Some(l) if l > 0 => (first_img[..l].to_string(), bs + l),
            _ => (String::new(), bs),
        };
        let lit = self.ref_literal(first, first_tok.start + lit_start);
        let lit = lit.as_str();
        let _ = after_bs;
        let first_clean = &img[lit_start..];
        if lit_start > 0 {
            self.overrides.insert(first, first_clean.to_string());
        }
        // the $\! slash-bang case: not a reference at all
        if first_img.contains("\\!") {
            let t = img;
            let mut i = t.find('$').unwrap_or(0);
            while i < t.len() && t.as_bytes()[i] != b'\\' {
                i += 1;
            }
            let start = i;
            let mut count = 0;
            while i < t.len() && t.as_bytes()[i] == b'\\' {
                i += 1;
                count += 1;
            }
            let mut ns = String::new();
            ns.push_str(&t[..start]);
            ns.push_str(&t[start..start + count.max(1) - 1]);
            ns.push_str(&t[start + count..]);
            // and the rest of the reference as written
            ns.push_str(&full[first_tok.end - first_tok.start..]);
            let root = self.names.intern("");
            return Ok(RefNode {
                kind: RefKind::Runt,
                root,
                root_name: ns.clone().into(),
                parts: Vec::new(),
                escaped: false,
                esc_prefix: "".into(),
                more_prefix: "".into(),
                literal: ns.into(),
                span: Span {
                    start: first_tok.start as u32,
                    end: last_end as u32,
                },
                loop_prop: LoopProp::None,
                plain: false,
                prop0: false,
                tape_steps: 0,
                tape_print: false,
                print_call: false,
            }
            .classified());
        }
        let (kind, root_name) = if first_clean.starts_with("$!") {
            let r = if first_clean.starts_with("$!{") {
                ident.clone()
            } else {
                first_clean.get(2..).unwrap_or("").to_string()
            };
            (RefKind::Quiet, r)
        } else if first_clean == "${" {
            (RefKind::Normal, ident.clone())
        } else if let Some(r) = first_clean.strip_prefix('$') {
            (RefKind::Normal, r.to_string())
        } else {
            (RefKind::Runt, first_clean.to_string())
        };
        let root = self.names.intern(&root_name);
        Ok(RefNode {
            kind,
            root,
            root_name: root_name.into(),
            parts,
            escaped,
            esc_prefix,
            more_prefix: more_prefix.into(),
            literal: lit.into(),
            span: Span {
                start: first_tok.start as u32,
                end: last_end as u32,
            },
            loop_prop: LoopProp::None,
            plain: false,
            prop0: false,
            tape_steps: 0,
            tape_print: false,
            print_call: false,
        }
        .classified())
    }

    /// `literal()` of the reference whose first token is `first` and whose
    /// image starts at byte `from` (after the escapes and MORE prefix that
    /// `getRoot()` cuts off): the rest of the first token, then the tokens
    /// up to the current one with the special text before each. So a DOT is
    /// `"."` (`$x$!.y` gives `$x.y`) and a `$!` that a terminator ended
    /// inside the reference keeps only its `$` (`$a.b$!()` gives `$a.b$()`).
    fn ref_literal(&self, first: usize, from: usize) -> String {
        let mut s = self.src[from..self.toks[first].end].to_string();
        if self.cur > first + 1 {
            s.push_str(&self.literal_range(first + 1, self.cur - 1));
        }
        s
    }

    fn index(&mut self) -> PResult<Part> {
        let lb = self.next()?;
        let start = self.tok(lb).start;
        self.opt(Tk::Whitespace)?;
        let k = self.peek(0)?;
        let e = match k {
            Tk::StringLiteral => {
                let i = self.next()?;
                self.string_literal(i)?
            }
            Tk::IntegerLiteral => {
                let i = self.next()?;
                self.integer(i)
            }
            Tk::True => {
                self.next()?;
                Expr::Bool(true)
            }
            Tk::False => {
                self.next()?;
                Expr::Bool(false)
            }
            Tk::Identifier | Tk::LCurly => Expr::Ref(Box::new(self.reference()?)),
            _ => {
                let off = self.off();
                return Err(self.err_at(
                    off,
                    "expected an index (string, integer, boolean or reference)",
                ));
            }
        };
        self.opt(Tk::Whitespace)?;
        let rb = self.expect(Tk::IndexRBracket, "\"]\" closing the index")?;
        let end = self.tok(rb).end;
        Ok(Part::Index(
            e,
            Span {
                start: start as u32,
                end: end as u32,
            },
        ))
    }

    fn integer(&self, i: usize) -> Expr {
        let s = self.image(i);
        // strip any MORE prefix (cannot normally happen)
        let s = s.trim_start_matches(|c: char| c != '-' && !c.is_ascii_digit());
        if let Ok(v) = s.parse::<i32>() {
            Expr::Int(v)
        } else if let Ok(v) = s.parse::<i64>() {
            Expr::Long(v)
        } else if let Ok(v) = s.parse::<i128>() {
            Expr::BigInt(v)
        } else {
            Expr::Double(s.parse::<f64>().unwrap_or(0.0))
        }
    }

    fn float(&self, i: usize) -> Expr {
        let s = self.image(i);
        let s = s.trim_start_matches(|c: char| c != '-' && c != '.' && !c.is_ascii_digit());
        Expr::Double(s.parse::<f64>().unwrap_or(0.0))
    }

    fn string_literal(&mut self, i: usize) -> PResult<Expr> {
        let t = self.tok(i).clone();
        let img = &self.src[t.start..t.end];
        let q = img.as_bytes()[0];
        let mut inner = img[1..img.len() - 1].to_string();
        if q == b'"' {
            inner = unescape_unicode(&inner);
        }
        let qc = q as char;
        let doubled: String = [qc, qc].iter().collect();
        if inner.contains(&doubled) {
            inner = inner.replace(&doubled, &qc.to_string());
        }
        let interpolate = q == b'"' && (img.contains('$') || img.contains('#'));
        if !interpolate {
            return Ok(Expr::Str(inner.into()));
        }
        let contains_comment = inner.contains("##");
        let text = if contains_comment {
            inner.clone()
        } else {
            format!("{inner} ")
        };
        let sub = {
            let outer: Vec<Box<str>> = self
                .macro_names
                .iter()
                .map(|s| s.as_str().into())
                .chain(self.outer_macros.iter().cloned())
                .collect();
            let mut p = Parser::new(
                &text,
                self.names,
                &outer,
                self.max_depth.saturating_sub(self.depth),
            );
            match p.statements_top() {
                Ok(o) => o,
                Err(e) => {
                    let mut e2 = Error::new(e.kind(), format!("in string literal: {}", e.detail()));
                    e2.set_pos(self.src, t.start);
                    return Err(e2);
                }
            }
        };
        self.macros.extend(sub.macros);
        Ok(Expr::Interp(Box::new(Interp {
            nodes: sub.nodes,
            strip_last: !contains_comment,
        })))
    }

    fn statements_top(&mut self) -> PResult<Output> {
        let nodes = self.statements()?;
        let k = self.peek(0)?;
        if k != Tk::Eof {
            let off = self.off();
            return Err(self.err_at(off, format!("unexpected {}", describe(k))));
        }
        Ok(Output {
            nodes,
            macros: std::mem::take(&mut self.macros),
        })
    }

    fn range_ahead(&mut self) -> PResult<bool> {
        // <LBRACKET> [WS] (Reference | IntegerLiteral) [WS] <DOUBLEDOT>
        let save = self.cur;
        let r = self.range_ahead_inner();
        self.cur = save;
        r
    }

    fn range_ahead_inner(&mut self) -> PResult<bool> {
        self.next()?;
        self.opt(Tk::Whitespace)?;
        match self.peek(0)? {
            Tk::IntegerLiteral => {
                self.next()?;
            }
            Tk::Identifier => {
                if self.reference().is_err() {
                    return Ok(false);
                }
            }
            Tk::LCurly => {
                if self.peek(1)? != Tk::Identifier || self.reference().is_err() {
                    return Ok(false);
                }
            }
            _ => return Ok(false),
        }
        self.opt(Tk::Whitespace)?;
        Ok(self.peek(0)? == Tk::DoubleDot)
    }

    fn range(&mut self) -> PResult<Expr> {
        self.next()?;
        self.opt(Tk::Whitespace)?;
        let a = self.range_end()?;
        self.opt(Tk::Whitespace)?;
        self.expect(Tk::DoubleDot, "\"..\" in range")?;
        self.opt(Tk::Whitespace)?;
        let b = self.range_end()?;
        self.opt(Tk::Whitespace)?;
        self.expect(Tk::RBracket, "\"]\" closing the range")?;
        Ok(Expr::Range(Box::new((a, b))))
    }

    fn range_end(&mut self) -> PResult<Expr> {
        match self.peek(0)? {
            Tk::IntegerLiteral => {
                let i = self.next()?;
                Ok(self.integer(i))
            }
            Tk::Identifier | Tk::LCurly => Ok(Expr::Ref(Box::new(self.reference()?))),
            _ => {
                let off = self.off();
                Err(self.err_at(off, "expected an integer or reference in range"))
            }
        }
    }

    fn list(&mut self) -> PResult<Expr> {
        self.next()?;
        let mut items = Vec::new();
        let k = self.peek(0)?;
        if k == Tk::Whitespace || value_start(k) {
            items.push(self.parameter()?);
            while self.opt(Tk::Comma)? {
                items.push(self.parameter()?);
            }
        }
        self.expect(Tk::RBracket, "\"]\" closing the list")?;
        Ok(Expr::List(items))
    }

    fn map(&mut self) -> PResult<Expr> {
        self.next()?;
        let mut items = Vec::new();
        let k0 = self.peek(0)?;
        let k1 = self.peek(1)?;
        if value_start(k0) || (k0 == Tk::Whitespace && value_start(k1)) {
            loop {
                let k = self.parameter()?;
                self.expect(Tk::Colon, "\":\" in map")?;
                let v = self.parameter()?;
                items.push((k, v));
                if !self.opt(Tk::Comma)? {
                    break;
                }
            }
        } else {
            self.opt(Tk::Whitespace)?;
        }
        let k = self.peek(0)?;
        if k == Tk::RightCurley || k == Tk::RCurly {
            self.next()?;
        } else {
            let off = self.off();
            return Err(self.err_at(off, "expected \"}\" closing the map"));
        }
        Ok(Expr::Map(items))
    }

    fn parameter(&mut self) -> PResult<Expr> {
        self.opt(Tk::Whitespace)?;
        let e = self.value(false)?;
        self.opt(Tk::Whitespace)?;
        Ok(e)
    }

    /// A literal, reference, list, map or range (Parameter/PrimaryExpression
    /// alternatives). `paren` allows `( Expression )`.
    fn value(&mut self, paren: bool) -> PResult<Expr> {
        // Lists, maps, method arguments and parentheses nest through here.
        self.depth += 1;
        if self.depth > self.max_depth {
            let off = self.off();
            return Err(Error::at(
                ErrorKind::LimitExceeded,
                format!("nesting deeper than {} levels", self.max_depth),
                self.src,
                off,
            ));
        }
        let r = self.value_inner(paren);
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self, paren: bool) -> PResult<Expr> {
        let k = self.peek(0)?;
        Ok(match k {
            Tk::StringLiteral => {
                let i = self.next()?;
                self.string_literal(i)?
            }
            Tk::IntegerLiteral => {
                let i = self.next()?;
                self.integer(i)
            }
            Tk::LBracket => {
                if self.range_ahead()? {
                    self.range()?
                } else {
                    self.list()?
                }
            }
            Tk::LeftCurley => self.map()?,
            Tk::True => {
                self.next()?;
                Expr::Bool(true)
            }
            Tk::False => {
                self.next()?;
                Expr::Bool(false)
            }
            Tk::Identifier | Tk::LCurly => Expr::Ref(Box::new(self.reference()?)),
            Tk::FloatLiteral => {
                let i = self.next()?;
                self.float(i)
            }
            Tk::LParen if paren => {
                self.next()?;
                let e = self.expression()?;
                self.expect(Tk::RParen, "\")\"")?;
                e
            }
            _ => {
                let t = &self.toks[self.cur];
                let shown = if t.start == t.end {
                    describe(k).to_string()
                } else {
                    format!("{:?}", &self.src[t.start..t.end])
                };
                return Err(self.err_at(t.start, format!("expected a value, found {shown}")));
            }
        })
    }

    // ---------------- expressions ----------------

    fn expression(&mut self) -> PResult<Expr> {
        if self.expr_nest == 0 {
            self.ops = 0;
        }
        self.expr_nest += 1;
        let r = self.or_expr();
        self.expr_nest -= 1;
        r
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut l = self.and_expr()?;
        while self.peek(0)? == Tk::Or {
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.and_expr()?;
            l = self.bin(BinOp::Or, l, r, off);
        }
        Ok(l)
    }

    /// Bounds the binary operators of one expression: a long `1+1+…` chain
    /// is a deep tree, and evaluating or dropping it recurses.
    fn count_op(&mut self, tok: usize) -> PResult<()> {
        self.ops += 1;
        let max = self.max_depth.saturating_mul(16);
        if self.ops > max {
            let off = self.toks[tok].start;
            return Err(Error::at(
                ErrorKind::LimitExceeded,
                format!("more than {max} operators in one expression"),
                self.src,
                off,
            ));
        }
        Ok(())
    }

    fn bin(&self, op: BinOp, l: Expr, r: Expr, tok: usize) -> Expr {
        let t = &self.toks[tok];
        Expr::Bin(
            op,
            Box::new((l, r)),
            Span {
                start: t.start as u32,
                end: t.end as u32,
            },
        )
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut l = self.eq_expr()?;
        while self.peek(0)? == Tk::And {
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.eq_expr()?;
            l = self.bin(BinOp::And, l, r, off);
        }
        Ok(l)
    }

    fn eq_expr(&mut self) -> PResult<Expr> {
        let mut l = self.rel_expr()?;
        loop {
            let op = match self.peek(0)? {
                Tk::EqEq => BinOp::Eq,
                Tk::Ne => BinOp::Ne,
                _ => break,
            };
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.rel_expr()?;
            l = self.bin(op, l, r, off);
        }
        Ok(l)
    }

    fn rel_expr(&mut self) -> PResult<Expr> {
        let mut l = self.add_expr()?;
        loop {
            let op = match self.peek(0)? {
                Tk::Lt => BinOp::Lt,
                Tk::Gt => BinOp::Gt,
                Tk::Le => BinOp::Le,
                Tk::Ge => BinOp::Ge,
                _ => break,
            };
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.add_expr()?;
            l = self.bin(op, l, r, off);
        }
        Ok(l)
    }

    fn add_expr(&mut self) -> PResult<Expr> {
        let mut l = self.mul_expr()?;
        loop {
            let op = match self.peek(0)? {
                Tk::Plus => BinOp::Add,
                Tk::Minus => BinOp::Sub,
                _ => break,
            };
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.mul_expr()?;
            l = self.bin(op, l, r, off);
        }
        Ok(l)
    }

    fn mul_expr(&mut self) -> PResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek(0)? {
                Tk::Multiply => BinOp::Mul,
                Tk::Divide => BinOp::Div,
                Tk::Modulus => BinOp::Mod,
                _ => break,
            };
            let off = self.next()?;
            self.count_op(off)?;
            let r = self.unary()?;
            l = self.bin(op, l, r, off);
        }
        Ok(l)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let k0 = self.peek(0)?;
        let is_not = k0 == Tk::Not || (k0 == Tk::Whitespace && self.peek(1)? == Tk::Not);
        if is_not {
            self.opt(Tk::Whitespace)?;
            self.next()?;
            self.depth += 1;
            if self.depth > self.max_depth {
                let off = self.toks[self.cur - 1].start;
                return Err(Error::at(
                    ErrorKind::LimitExceeded,
                    format!("nesting deeper than {} levels", self.max_depth),
                    self.src,
                    off,
                ));
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.opt(Tk::Whitespace)?;
        let e = self.value(true)?;
        self.opt(Tk::Whitespace)?;
        Ok(e)
    }

    // ---------------- directives ----------------

    fn directive(&mut self, out: &mut Vec<Node>) -> PResult<()> {
        let wi = self.next()?;
        let wt = self.tok(wi).clone();
        let img = &self.src[wt.start..wt.end];
        let name: String = if wt.kind == Tk::BracketedWord {
            img.get(2..img.len() - 1).unwrap_or("").to_string()
        } else {
            img.get(1..).unwrap_or("").to_string()
        };
        self.lex.state = St::Directive;
        let is_macro_def = name == "macro";
        let known = is_directive(&name);
        let is_vm = !known && self.is_macro(&name);
        let block = matches!(name.as_str(), "foreach" | "macro" | "define" | "literal")
            || name.starts_with('@');
        let mut args: Vec<Expr> = Vec::new();
        let mut arg_spans: Vec<usize> = Vec::new();
        let mut arg_toks: Vec<usize> = Vec::new();
        let mut end_off = wt.end;
        let last_tok;
        if self.lex.is_left_parenthesis() {
            self.opt(Tk::Whitespace)?;
            self.expect(Tk::LParen, "\"(\"")?;
            loop {
                let k0 = self.peek(0)?;
                let k1 = self.peek(1)?;
                let arg_start = |k: Tk| value_start(k) || k == Tk::Word;
                let more = arg_start(k0)
                    || (k0 == Tk::Whitespace && (arg_start(k1) || k1 == Tk::Comma))
                    || (k0 == Tk::Comma && (k1 == Tk::Whitespace || arg_start(k1)));
                if !more {
                    break;
                }
                self.opt(Tk::Whitespace)?;
                if self.opt(Tk::Comma)? {
                    self.opt(Tk::Whitespace)?;
                }
                let pos = args.len();
                let off = self.off();
                arg_spans.push(off);
                arg_toks.push(self.cur);
                let e = if self.peek(0)? == Tk::Word {
                    let i = self.next()?;
                    let w = self.image(i);
                    if is_macro_def && pos == 0 {
                    } else if is_vm {
                        return Err(
                            self.err_at(off, format!("invalid arg #{pos} in macro call #{name}"))
                        );
                    } else if known && !(name == "foreach" && pos == 1) {
                        return Err(
                            self.err_at(off, format!("invalid arg #{pos} in directive #{name}"))
                        );
                    }
                    Expr::Word(w.into())
                } else {
                    if is_macro_def && pos == 0 {
                        return Err(self.err_at(
                            off,
                            "invalid first arg in #macro() directive - must be a word token (no ' or \" surrounding)",
                        ));
                    }
                    let k = self.peek(0)?;
                    if k == Tk::LBracket || k == Tk::LeftCurley || value_start(k) {
                        self.value(false)?
                    } else {
                        return Err(self.err_at(off, "expected a directive argument"));
                    }
                };
                args.push(e);
            }
            self.opt(Tk::Whitespace)?;
            let rp = self.expect(Tk::RParen, "\")\" closing the directive arguments")?;
            end_off = self.tok(rp).end;
            last_tok = rp;
        } else {
            if is_macro_def {
                return Err(self.err_at(
                    wt.start,
                    "a macro declaration requires at least a name argument",
                ));
            }
            self.lex.pop();
            self.lex.in_directive = false;
            // "Not a directive": no arguments and no block.
            let lit = self.literal_range(wi, wi);
            return self.finish_line_directive(out, &name, args, wt.start, end_off, lit);
        }
        if !block {
            let lit = self.images_range(wi, last_tok);
            return self.finish_line_directive(out, &name, args, wt.start, end_off, lit);
        }
        if is_macro_def && let Some(Expr::Word(w)) = args.first() {
            // registered before the body so recursion parses as a call
            self.macro_names.push(w.to_string());
        }
        let body_start = end_off;
        let body = self.statements()?;
        if self.peek(0)? != Tk::End {
            let off = self.off();
            let e = if self.peek(0)? == Tk::Eof {
                self.err_at(wt.start, format!("#{name} without a matching #end"))
            } else {
                self.err_at(off, format!("expected #end closing #{name}"))
            };
            return Err(e);
        }
        let end_tok = self.next()?;
        let body_end = self.tok(end_tok).start;
        let span = Span {
            start: wt.start as u32,
            end: self.tok(end_tok).end as u32,
        };
        match name.as_str() {
            "foreach" => {
                // Velocity 1.7 checks neither the "in" nor the argument
                // count; the loop variable is `firstToken.image.substring(1)`.
                let vname = arg_toks
                    .first()
                    .map(|&t| self.image(t).get(1..).unwrap_or("").to_string())
                    .unwrap_or_default();
                let var_id = self.names.intern(&vname);
                let iter = if args.len() >= 3 {
                    args.into_iter().nth(2).unwrap_or(Expr::Bool(false))
                } else {
                    Expr::Bool(false)
                };
                out.push(Node::Foreach(Box::new(ForeachNode {
                    var: var_id,
                    iter,
                    body,
                    span,
                })));
            }
            "macro" => {
                let mut it = args.into_iter();
                let Some(Expr::Word(mname)) = it.next() else {
                    return Err(self.err_at(wt.start, "invalid #macro"));
                };
                let mut params = Vec::new();
                for (i, a) in it.enumerate() {
                    match a {
                        Expr::Ref(r) if r.parts.is_empty() => {
                            params.push((r.root, r.root_name.clone()));
                        }
                        _ => {
                            return Err(self.err_at(
                                arg_spans[i + 1],
                                format!("macro #{mname}: arguments must be simple references"),
                            ));
                        }
                    }
                }
                let def = Arc::new(MacroDef {
                    name: mname,
                    params,
                    body,
                });
                self.macros.push(def.clone());
                out.push(Node::MacroDef);
                drop(def);
            }
            "define" => {
                let Some(Expr::Ref(r)) = args.first() else {
                    return Err(self.err_at(wt.start, "#define requires one reference argument"));
                };
                if args.len() != 1 {
                    return Err(self.err_at(wt.start, "#define requires one reference argument"));
                }
                let name = self.names.intern(&r.root_name);
                out.push(Node::Define(Box::new(DefineNode {
                    name,
                    body: Arc::new(body),
                })));
            }
            "literal" => {
                out.push(Node::Literal(self.src[body_start..body_end].into()));
            }
            _ => {
                // `#@name(...) body #end`: a block macro call.
                let body_id = self.names.intern("bodyContent");
                out.push(Node::Call(Box::new(CallNode {
                    name: name[1..].into(),
                    args,
                    literal: self.literal_range(wi, end_tok).into(),
                    body: Some((Arc::new(body), body_id)),
                    span,
                })));
            }
        }
        Ok(())
    }

    fn finish_line_directive(
        &mut self,
        out: &mut Vec<Node>,
        name: &str,
        args: Vec<Expr>,
        start: usize,
        end: usize,
        literal: String,
    ) -> PResult<()> {
        let span = Span {
            start: start as u32,
            end: end as u32,
        };
        match name {
            "parse" | "include" => {
                return Err(Error::at(
                    ErrorKind::Unsupported,
                    format!("#{name} is not supported: templates have no file system"),
                    self.src,
                    start,
                ));
            }
            "evaluate" => {
                if args.len() != 1 {
                    return Err(self.err_at(start, "#evaluate requires exactly one argument"));
                }
                let a = args.into_iter().next().unwrap_or(Expr::Bool(false));
                out.push(Node::Evaluate(Box::new((a, span))));
            }
            "stop" => out.push(Node::Stop),
            "break" => {
                let arg = args.into_iter().next().map(Box::new);
                out.push(Node::Break(arg, span));
            }
            "foreach" | "macro" | "define" | "literal" => {
                // a block directive without arguments renders nothing in 1.7
                // (its init fails); reject it clearly
                return Err(self.err_at(start, format!("#{name} requires arguments")));
            }
            _ => {
                out.push(Node::Call(Box::new(CallNode {
                    name: name.into(),
                    args,
                    literal: literal.into(),
                    body: None,
                    span,
                })));
            }
        }
        Ok(())
    }
}

/// Replaces `\uXXXX` escapes (Velocity's `StringLiteral.unescape`).
fn unescape_unicode(s: &str) -> String {
    if !s.contains("\\u") {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'u')
            && i + 6 <= b.len()
            && b[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit)
        {
            let h = std::str::from_utf8(&b[i + 2..i + 6])
                .ok()
                .and_then(|h| u16::from_str_radix(h, 16).ok());
            if let Some(u) = h {
                units.push(u);
                i += 6;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\0');
        let mut buf = [0u16; 2];
        units.extend_from_slice(ch.encode_utf16(&mut buf));
        i += ch.len_utf8();
    }
    crate::value::from_utf16_java(&units)
}
