//! The token manager: a port of the lexical states of Velocity 1.7's
//! `Parser.jjt`.
//!
//! Velocity's whitespace behaviour (which newline a directive eats, when the
//! indentation before `#set` disappears) is decided almost entirely by its
//! JavaCC token definitions, their lexical states and the state stack that
//! the token actions push and pop. Reproducing that machine, rather than
//! approximating its effects, is what makes the output byte-exact. Tokens are
//! produced lazily: the parser switches lexical states between tokens exactly
//! where Velocity's parser does.

/// A lexical state of the token manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum St {
    Default,
    PreDirective,
    Directive,
    Reference,
    RefModifier,
    RefMod2,
    RefIndex,
    SingleLineComment,
    FormalComment,
    MultiLineComment,
    TextBlock,
}

/// Token kinds (the tokens of `Parser.jjt` that reach the parser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tk {
    Eof,
    IndexLBracket,
    IndexRBracket,
    LBracket,
    RBracket,
    Comma,
    DoubleDot,
    Colon,
    LeftCurley,
    RightCurley,
    LParen,
    RParen,
    RefMod2RParen,
    EscapeDirective,
    SetDirective,
    SingleLineCommentStart,
    DoubleEscape,
    Escape,
    Text,
    SingleLineComment,
    FormalComment,
    MultiLineComment,
    TextBlock,
    Whitespace,
    StringLiteral,
    True,
    False,
    Newline,
    Minus,
    Plus,
    Multiply,
    Divide,
    Modulus,
    And,
    Or,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    Not,
    Equals,
    End,
    If,
    ElseIf,
    Else,
    IntegerLiteral,
    FloatLiteral,
    Word,
    BracketedWord,
    Identifier,
    Dot,
    LCurly,
    RCurly,
    EmptyIndex,
}

/// What a matched pattern does with its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum M {
    Tok(Tk),
    // MORE patterns
    Dollar,
    DollarBang,
    TextBlockStart,
    FormalCommentStart,
    MultiCommentStart,
    Hash,
    // MORE ~[] inside #[[ ]]#
    AnyMore,
    // SKIP ~[] inside comments
    Skip,
    RefTerminator,
    DirTerminator,
}

/// One token: its kind and the byte range of its image in the source
/// (the image includes any MORE prefix, like the `$` of an identifier).
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: Tk,
    pub start: usize,
    pub end: usize,
    /// `NodeUtils.specialText` of the special tokens before this one.
    pub special: Option<Box<str>>,
}

/// A lexical error: the byte offset where no token matched.
#[derive(Debug)]
pub(crate) struct LexError {
    pub pos: usize,
    pub eof: bool,
}

pub(crate) struct Lexer<'s> {
    src: &'s [u8],
    pub pos: usize,
    pub state: St,
    stack: Vec<(i32, i32, St)>,
    lparen: i32,
    rparen: i32,
    pub in_comment: bool,
    pub in_set: bool,
    pub in_directive: bool,
    bs_run: std::cell::Cell<(usize, usize)>,
}

fn is_alpha(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str) -> Self {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
            state: St::Default,
            stack: Vec::new(),
            lparen: 0,
            rparen: 0,
            in_comment: false,
            in_set: false,
            in_directive: false,
            bs_run: std::cell::Cell::new((0, 0)),
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn starts(&self, i: usize, s: &[u8]) -> bool {
        self.src.get(i..i + s.len()) == Some(s)
    }

    pub fn push(&mut self) {
        self.stack.push((self.lparen, self.rparen, self.state));
        self.lparen = 0;
    }

    pub fn pop(&mut self) -> bool {
        match self.stack.pop() {
            Some((l, r, s)) => {
                self.lparen = l;
                self.rparen = r;
                self.state = s;
                true
            }
            None => {
                self.lparen = 0;
                self.state = St::Default;
                false
            }
        }
    }

    fn rparen_handler(&mut self) {
        let mut closed = self.in_comment;
        while !closed {
            if self.lparen > 0 {
                if self.lparen == self.rparen + 1 {
                    self.pop();
                } else {
                    self.rparen += 1;
                }
                closed = true;
            } else if !self.pop() {
                break;
            }
        }
    }

    /// Checks, from the current position, for optional whitespace then `(`
    /// (`Parser.isLeftParenthesis`).
    pub fn is_left_parenthesis(&self) -> bool {
        let mut i = self.pos;
        while i < self.src.len() {
            match self.src[i] {
                b'(' => return true,
                b' ' | b'\n' | b'\r' | b'\t' => i += 1,
                _ => return false,
            }
        }
        false
    }

    // ---- patterns: each returns the match length at `i` ----

    fn word_len(&self, i: usize) -> usize {
        let b = self.at(i);
        if !(is_alpha(b) || b == b'_' || b == b'@') {
            return 0;
        }
        let mut j = i + 1;
        while matches!(self.at(j), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'@') {
            j += 1;
        }
        j - i
    }

    fn bracketed_word_len(&self, i: usize) -> usize {
        if self.at(i) != b'{' {
            return 0;
        }
        let b = self.at(i + 1);
        if !(is_alpha(b) || b == b'_') {
            return 0;
        }
        let mut j = i + 2;
        while matches!(self.at(j), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'@') {
            j += 1;
        }
        if self.at(j) == b'}' { j + 1 - i } else { 0 }
    }

    /// The end of the run of backslashes starting at `i` (cached, so a long
    /// run is scanned once rather than from every position in it).
    fn backslashes_end(&self, i: usize) -> usize {
        let (s, e) = self.bs_run.get();
        if i >= s && i <= e && e > s {
            return e;
        }
        let mut j = i;
        while self.at(j) == b'\\' {
            j += 1;
        }
        self.bs_run.set((i, j));
        j
    }

    fn escape_directive_len(&self, i: usize) -> usize {
        let j = self.backslashes_end(i);
        let n = j - i;
        if n.is_multiple_of(2) || self.at(j) != b'#' {
            return 0;
        }
        let w = self.word_len(j + 1).max(self.bracketed_word_len(j + 1));
        if w == 0 { 0 } else { j + 1 + w - i }
    }

    fn set_directive_len(&self, i: usize) -> usize {
        let mut j = i;
        while matches!(self.at(j), b' ' | b'\t') {
            j += 1;
        }
        if self.starts(j, b"#set") {
            j += 4;
        } else if self.starts(j, b"#{set}") {
            j += 6;
        } else {
            return 0;
        }
        while self.at(j) == b' ' {
            j += 1;
        }
        if self.at(j) == b'(' { j + 1 - i } else { 0 }
    }

    fn dollar_len(&self, i: usize) -> (usize, usize) {
        // (DOLLAR, DOLLARBANG)
        let j = self.backslashes_end(i);
        if self.at(j) != b'$' {
            return (0, 0);
        }
        let d = j + 1 - i;
        let mut k = j + 1;
        while self.at(k) == b'\\' {
            k += 1;
        }
        let db = if self.at(k) == b'!' { k + 1 - i } else { 0 };
        (d, db)
    }

    fn text_len(&self, i: usize) -> usize {
        let rest = self.src.get(i..).unwrap_or(&[]);
        memchr::memchr3(b'$', b'#', b'\\', rest).unwrap_or(rest.len())
    }

    fn newline_len(&self, i: usize) -> usize {
        match self.at(i) {
            b'\r' if self.at(i + 1) == b'\n' => 2,
            b'\r' | b'\n' => 1,
            _ => 0,
        }
    }

    /// `[ \t]* newline`, optional: the length it adds.
    fn opt_ws_newline(&self, i: usize) -> usize {
        let mut j = i;
        while matches!(self.at(j), b' ' | b'\t') {
            j += 1;
        }
        let n = self.newline_len(j);
        if n > 0 { j + n - i } else { 0 }
    }

    fn string_literal_len(&self, i: usize) -> usize {
        // Velocity 1.7: `"` ( ~["\""] | `""` )* `"` and
        // `'` ( ~["'"] | `''` )* `'`: a doubled quote continues the
        // literal, a backslash escapes nothing.
        let q = self.at(i);
        if q != b'"' && q != b'\'' {
            return 0;
        }
        let mut best = 0;
        let mut j = i + 1;
        while j < self.src.len() {
            if self.src[j] == q {
                best = j + 1 - i;
                if self.at(j + 1) == q {
                    j += 2;
                    continue;
                }
                break;
            }
            j += 1;
        }
        best
    }

    fn digits(&self, i: usize) -> usize {
        let mut j = i;
        while self.at(j).is_ascii_digit() {
            j += 1;
        }
        j - i
    }

    fn exponent_len(&self, i: usize) -> usize {
        if !matches!(self.at(i), b'e' | b'E') {
            return 0;
        }
        let mut j = i + 1;
        if matches!(self.at(j), b'+' | b'-') {
            j += 1;
        }
        let d = self.digits(j);
        if d == 0 { 0 } else { j + d - i }
    }

    fn integer_len(&self, i: usize) -> usize {
        let mut j = i;
        if self.at(j) == b'-' {
            j += 1;
        }
        let d = self.digits(j);
        if d == 0 {
            return 0;
        }
        j += d;
        if self.starts(j, b"..") {
            j += 2;
        }
        j - i
    }

    fn float_len(&self, i: usize) -> usize {
        let mut j = i;
        if self.at(j) == b'-' {
            j += 1;
        }
        let d = self.digits(j);
        let mut best = 0;
        if d > 0 {
            let k = j + d;
            if self.at(k) == b'.' {
                let d2 = self.digits(k + 1);
                let e = self.exponent_len(k + 1 + d2);
                best = best.max(k + 1 + d2 + e - i);
            }
            let e = self.exponent_len(k);
            if e > 0 {
                best = best.max(k + e - i);
            }
        } else if self.at(j) == b'.' {
            let d2 = self.digits(j + 1);
            if d2 > 0 {
                let e = self.exponent_len(j + 1 + d2);
                best = best.max(j + 1 + d2 + e - i);
            }
        }
        best
    }

    fn identifier_len(&self, i: usize) -> usize {
        let b = self.at(i);
        if !(is_alpha(b) || b == b'_') {
            return 0;
        }
        let mut j = i + 1;
        while matches!(self.at(j), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-') {
            j += 1;
        }
        j - i
    }

    fn kw(&self, i: usize, s: &[u8]) -> usize {
        if self.starts(i, s) { s.len() } else { 0 }
    }

    fn any_len(&self, i: usize) -> usize {
        // one character (UTF-8 aware)
        let b = self.at(i);
        if b < 0x80 {
            1
        } else if b >= 0xF0 {
            4
        } else if b >= 0xE0 {
            3
        } else {
            2
        }
        .min(self.src.len() - i)
    }

    /// Finds the longest match at `i` in the current state; ties go to the
    /// pattern declared first in `Parser.jjt`.
    fn longest(&self, i: usize) -> Option<(M, usize)> {
        let mut best: Option<(M, usize)> = None;
        let mut cand = |m: M, len: usize| {
            if len > 0 && best.is_none_or(|(_, l)| len > l) {
                best = Some((m, len));
            }
        };
        let st = self.state;
        use St::*;
        let b = self.at(i);
        // INDEX_LBRACKET
        if matches!(st, Reference | RefModifier) && b == b'[' {
            cand(M::Tok(Tk::IndexLBracket), 1);
        }
        if st == RefIndex && b == b']' {
            cand(M::Tok(Tk::IndexRBracket), 1);
        }
        if matches!(st, Directive | RefMod2) {
            match b {
                b'[' => cand(M::Tok(Tk::LBracket), 1),
                b']' => cand(M::Tok(Tk::RBracket), 1),
                b',' => cand(M::Tok(Tk::Comma), 1),
                _ => {}
            }
            cand(M::Tok(Tk::DoubleDot), self.kw(i, b".."));
            if b == b':' {
                cand(M::Tok(Tk::Colon), 1);
            }
            match b {
                b'{' => cand(M::Tok(Tk::LeftCurley), 1),
                b'}' => cand(M::Tok(Tk::RightCurley), 1),
                _ => {}
            }
        }
        if matches!(st, Directive | RefModifier) && b == b'(' {
            cand(M::Tok(Tk::LParen), 1);
        }
        if st == Directive && b == b')' {
            cand(M::Tok(Tk::RParen), 1 + self.opt_ws_newline(i + 1));
        }
        if st == RefMod2 && b == b')' {
            cand(M::Tok(Tk::RefMod2RParen), 1);
        }
        if st == Default {
            cand(M::Tok(Tk::EscapeDirective), self.escape_directive_len(i));
        }
        if matches!(st, Default | Reference | RefModifier | RefMod2) {
            cand(M::Tok(Tk::SetDirective), self.set_directive_len(i));
        }
        // <*> MORE
        let (d, db) = self.dollar_len(i);
        cand(M::Dollar, d);
        cand(M::DollarBang, db);
        if b == b'#' {
            cand(M::TextBlockStart, self.kw(i, b"#[["));
            if self.starts(i, b"#**") && i + 3 < self.src.len() && self.src[i + 3] != b'#' {
                cand(M::FormalCommentStart, 4);
            }
            cand(M::MultiCommentStart, self.kw(i, b"#*"));
            cand(M::Hash, 1);
            // Velocity 1.7 starts a `##` comment only in these states;
            // elsewhere (after `$a.b`, in method arguments, in an index, in
            // comments and `#[[ ]]#`) the `#`s fall to HASH (measured
            // against 1.7: `$a.b## x` prints the comment text).
            if matches!(st, Default | PreDirective | Directive | Reference) {
                cand(M::Tok(Tk::SingleLineCommentStart), self.kw(i, b"##"));
            }
        }
        if st == Default {
            cand(M::Tok(Tk::DoubleEscape), self.kw(i, b"\\\\"));
            cand(M::Tok(Tk::Escape), self.kw(i, b"\\"));
            cand(M::Tok(Tk::Text), self.text_len(i));
        }
        match st {
            SingleLineComment => cand(M::Tok(Tk::SingleLineComment), self.newline_len(i)),
            FormalComment => cand(M::Tok(Tk::FormalComment), self.kw(i, b"*#")),
            MultiLineComment => cand(M::Tok(Tk::MultiLineComment), self.kw(i, b"*#")),
            TextBlock => cand(M::Tok(Tk::TextBlock), self.kw(i, b"]]#")),
            _ => {}
        }
        if matches!(st, SingleLineComment | FormalComment | MultiLineComment) {
            cand(M::Skip, self.any_len(i));
        }
        if st == TextBlock {
            cand(M::AnyMore, self.any_len(i));
        }
        if matches!(st, Directive | RefMod2 | RefIndex) {
            let mut j = i;
            while matches!(self.at(j), b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            cand(M::Tok(Tk::Whitespace), j - i);
            cand(M::Tok(Tk::StringLiteral), self.string_literal_len(i));
        }
        if matches!(st, Reference | Directive | RefModifier | RefMod2 | RefIndex) {
            cand(M::Tok(Tk::True), self.kw(i, b"true"));
            cand(M::Tok(Tk::False), self.kw(i, b"false"));
        }
        if st == Directive {
            cand(M::Tok(Tk::Newline), self.newline_len(i));
            let ops: [(Tk, &[u8]); 22] = [
                (Tk::Minus, b"-"),
                (Tk::Plus, b"+"),
                (Tk::Multiply, b"*"),
                (Tk::Divide, b"/"),
                (Tk::Modulus, b"%"),
                (Tk::And, b"&&"),
                (Tk::And, b"and"),
                (Tk::Or, b"||"),
                (Tk::Or, b"or"),
                (Tk::Lt, b"<"),
                (Tk::Lt, b"lt"),
                (Tk::Le, b"<="),
                (Tk::Le, b"le"),
                (Tk::Gt, b">"),
                (Tk::Gt, b"gt"),
                (Tk::Ge, b">="),
                (Tk::Ge, b"ge"),
                (Tk::EqEq, b"=="),
                (Tk::EqEq, b"eq"),
                (Tk::Ne, b"!="),
                (Tk::Ne, b"ne"),
                (Tk::Not, b"!"),
            ];
            for (k, s) in ops {
                cand(M::Tok(k), self.kw(i, s));
            }
            cand(M::Tok(Tk::Not), self.kw(i, b"not"));
            cand(M::Tok(Tk::Equals), self.kw(i, b"="));
        }
        if st == PreDirective {
            for s in [&b"end"[..], b"{end}"] {
                let l = self.kw(i, s);
                if l > 0 {
                    cand(M::Tok(Tk::End), l + self.opt_ws_newline(i + l));
                }
            }
            cand(M::Tok(Tk::If), self.kw(i, b"if"));
            cand(M::Tok(Tk::If), self.kw(i, b"{if}"));
            cand(M::Tok(Tk::ElseIf), self.kw(i, b"elseif"));
            cand(M::Tok(Tk::ElseIf), self.kw(i, b"{elseif}"));
            for s in [&b"else"[..], b"{else}"] {
                let l = self.kw(i, s);
                if l > 0 {
                    cand(M::Tok(Tk::Else), l + self.opt_ws_newline(i + l));
                }
            }
            // No STOP token: in 1.7 `#stop` is a directive (a WORD).
        }
        if matches!(st, PreDirective | Directive | RefMod2 | RefIndex) {
            cand(M::Tok(Tk::IntegerLiteral), self.integer_len(i));
            cand(M::Tok(Tk::FloatLiteral), self.float_len(i));
        }
        if matches!(st, PreDirective | Directive) {
            cand(M::Tok(Tk::Word), self.word_len(i));
            cand(M::Tok(Tk::BracketedWord), self.bracketed_word_len(i));
        }
        if matches!(st, Reference | RefModifier | RefMod2) {
            cand(M::Tok(Tk::Identifier), self.identifier_len(i));
            if b == b'.' && is_alpha(self.at(i + 1)) {
                cand(M::Tok(Tk::Dot), 2);
            }
        }
        if matches!(st, Reference | RefModifier) {
            match b {
                b'{' => cand(M::Tok(Tk::LCurly), 1),
                b'}' => cand(M::Tok(Tk::RCurly), 1),
                _ => {}
            }
            if i < self.src.len() {
                cand(M::RefTerminator, self.any_len(i));
            }
        }
        if st == PreDirective && i < self.src.len() {
            cand(M::DirTerminator, self.any_len(i));
        }
        // EMPTY_INDEX: `"$[" | "$![" | "$\\![" | "$."`. It is a TOKEN, not a
        // MORE, so where it wins over DOLLAR (always: it is longer) no state
        // is pushed or popped. After a reference (state REFERENCE) `$.`
        // therefore leaves the lexer in REFERENCE: `$x$.y` lexes `y` as an
        // IDENTIFIER without `$` and `$x$.[y` as INDEX_LBRACKET.
        if matches!(st, Default | Reference) && b == b'$' {
            let l = match self.at(i + 1) {
                b'[' | b'.' => 2,
                b'!' if self.at(i + 2) == b'[' => 3,
                b'\\' if self.starts(i + 2, b"![") => 4,
                _ => 0,
            };
            cand(M::Tok(Tk::EmptyIndex), l);
        }
        best
    }

    /// Produces the next token (`getNextToken`).
    pub fn next_token(&mut self) -> Result<Token, LexError> {
        let mut special: Option<String> = None;
        'eof: loop {
            if self.pos >= self.src.len() {
                return Ok(Token {
                    kind: Tk::Eof,
                    start: self.pos,
                    end: self.pos,
                    special: special.map(String::into_boxed_str),
                });
            }
            let start = self.pos;
            loop {
                let Some((m, len)) = self.longest(self.pos) else {
                    return Err(LexError {
                        pos: self.pos,
                        eof: self.pos >= self.src.len(),
                    });
                };
                let mut end = self.pos + len;
                match m {
                    M::Tok(kind) => {
                        let mut tstart = start;
                        self.token_action(kind, &mut tstart, &mut end);
                        self.pos = end;
                        return Ok(Token {
                            kind,
                            start: tstart,
                            end,
                            special: special.map(String::into_boxed_str),
                        });
                    }
                    M::Skip => {
                        self.pos = end;
                        continue 'eof;
                    }
                    M::RefTerminator | M::DirTerminator => {
                        let img = &self.src[start..end];
                        let text = special_text(img);
                        special.get_or_insert_with(String::new).push_str(&text);
                        self.pos = end - len;
                        if m == M::RefTerminator {
                            self.pop();
                        } else {
                            self.in_directive = false;
                            self.pop();
                        }
                        continue 'eof;
                    }
                    M::Dollar | M::DollarBang => {
                        if !self.in_comment {
                            if self.state == St::Reference {
                                self.pop();
                            }
                            self.push();
                            self.state = St::Reference;
                        }
                    }
                    M::TextBlockStart => {
                        if !self.in_comment {
                            self.in_comment = true;
                            self.push();
                            self.state = St::TextBlock;
                        }
                    }
                    M::FormalCommentStart => {
                        if !self.in_comment {
                            end -= 1;
                            self.in_comment = true;
                            self.push();
                            self.state = St::FormalComment;
                        }
                    }
                    M::MultiCommentStart => {
                        if !self.in_comment {
                            self.in_comment = true;
                            self.push();
                            self.state = St::MultiLineComment;
                        }
                    }
                    M::Hash => {
                        if !self.in_comment {
                            if matches!(self.state, St::Reference | St::RefModifier) {
                                self.pop();
                            }
                            self.in_directive = true;
                            self.push();
                            self.state = St::PreDirective;
                        }
                    }
                    M::AnyMore => {}
                }
                // MORE: keep accumulating
                self.pos = end;
                if self.pos >= self.src.len() {
                    return Err(LexError {
                        pos: self.pos,
                        eof: true,
                    });
                }
            }
        }
    }

    fn token_action(&mut self, kind: Tk, start: &mut usize, end: &mut usize) {
        let st = self.state;
        match kind {
            Tk::IndexLBracket => {
                self.push();
                self.state = St::RefIndex;
            }
            Tk::IndexRBracket => {
                self.pop();
            }
            Tk::LParen => {
                if !self.in_comment {
                    self.lparen += 1;
                }
                if st == St::RefModifier {
                    self.state = St::RefMod2;
                }
            }
            Tk::RParen => self.rparen_handler(),
            Tk::RefMod2RParen => self.state = St::Reference,
            Tk::SetDirective if !self.in_comment => {
                self.in_directive = true;
                self.push();
                self.in_set = true;
                self.state = St::Directive;
                self.lparen += 1;
            }
            Tk::SingleLineCommentStart if !self.in_comment => {
                if st == St::Reference {
                    self.pop();
                }
                self.in_comment = true;
                self.push();
                self.state = St::SingleLineComment;
            }
            Tk::SingleLineComment | Tk::FormalComment | Tk::MultiLineComment | Tk::TextBlock => {
                self.in_comment = false;
                self.pop();
            }
            Tk::StringLiteral if st == St::Directive && !self.in_set && self.lparen == 0 => {
                self.pop();
            }
            Tk::Newline => {
                self.pop();
                self.in_set = false;
                self.in_directive = false;
            }
            Tk::End | Tk::Else => {
                self.in_directive = false;
                self.pop();
            }
            Tk::If | Tk::ElseIf => self.state = St::Directive,
            Tk::IntegerLiteral => {
                if self.src[*start..*end].ends_with(b"..") {
                    *end -= 2;
                }
                if self.lparen == 0 && !self.in_set && st != St::RefMod2 && st != St::RefIndex {
                    self.pop();
                }
            }
            Tk::FloatLiteral if self.lparen == 0 && !self.in_set && st != St::RefMod2 => {
                self.pop();
            }
            Tk::Dot => {
                // `input_stream.backup(1)` and `matchedToken.image = "."`:
                // a MORE prefix before the dot is dropped (`$!.y` prints
                // `.y`, `$x$!.y` is the reference `$x.y`).
                *end -= 1;
                *start = *end - 1;
                self.state = St::RefModifier;
            }
            Tk::RCurly => {
                self.pop();
            }
            _ => {}
        }
    }
}

/// `NodeUtils.specialText`: keeps `#`, `$` and `\…\$` runs of special tokens.
fn special_text(img: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < img.len() {
        let c = img[i];
        if c == b'#' || c == b'$' {
            out.push(c as char);
        }
        if c == b'\\' {
            let mut j = i;
            let mut term = false;
            while j < img.len() {
                let cc = img[j];
                j += 1;
                if cc == b'\\' {
                    continue;
                } else if cc == b'$' {
                    term = true;
                }
                break;
            }
            if term {
                out.push_str(&String::from_utf8_lossy(&img[i..j]));
                // Velocity's loop skips one more character here.
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}
