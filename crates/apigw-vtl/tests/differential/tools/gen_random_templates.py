#!/usr/bin/env python3
"""Writes corpus/random-templates.vtlcases: seeded random templates built from a small VTL
grammar (text, references, escapes, directives, comments, whitespace around them), to find
interactions that hand-written cases miss. The output is committed; rerunning with the same
seed and Python 3 reproduces it:

    python3 tests/differential/tools/gen_random_templates.py
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "corpus", "random-templates.vtlcases")
OUT_SOUP = os.path.join(HERE, "..", "corpus", "random-token-soup.vtlcases")
SEED = 20261126
COUNT = 1500
SOUP_COUNT = 6000
OUT_STR = os.path.join(HERE, "..", "corpus", "random-string-soup.vtlcases")
STR_COUNT = 500

# Fragments for the inside of string literals: interpolation, escapes, quotes, directives.
STR_SOUP = ["$s", "${s}", "$!nope", "$nope", "$map.b", "$list[0]", "$s.length()", "\\$s",
            "\\", "$", "#", "##", "#if(true)y#end", "#set($w = 1)$w", "#{if}(true)b#{end}",
            "#foreach($k in [1..2])$k#end", "''", "\"\"", "'", " ", "\n", "x", "$!", "${",
            "}", "#*", "*#", "#[[", "]]#", "\\u0041", "\\n", "#mm()", "$!{s}", "#stop",
            "#break", "#end"]

# Token soup: lexer-level fragments concatenated at random (many are parse errors; both
# engines must agree on which).
SOUP = ["#if(true)", "#if($t)", "#if(false)", "#else", "#{else}", "#elseif(true)", "#end",
        "#{end}", "#set($v = 1)", "#set($v = $s)", "#foreach($x in [1..2])", "#break", "#stop",
        "##", "## c", "#*", "*#", "#* c *#", "#[[", "]]#", "#[[r]]#", "\\", "\\", "\\#",
        "\\$", "$", "$!", "${", "$!{", "}", "{", "(", ")", "[", "]", "$s", "$nope", "${s}",
        "$!nope", "$s.length()", "$list[0]", "$map.b", "#", "#{", "#x", "#mm()", "#mm", " ",
        "  ", "\t", "\n", "\n", "\n", "x", "yz", ".", ",", "\"", "'", "=", "-", "1", "*",
        "#{if}(true)", "#{set}($v = 2)", "$v", "#macro(mm)M#end", "#define($dd)D#end", "$dd",
        "#evaluate('$s')", "\\#if(true)", "\\$s", "\\\\$s", "#@mm()"]

TEXT = ["a", "b c", " ", "  ", "\t", "\n", "\n", "\n\n", "{", "}", "(", ")", ",", ":", "\"",
        "'", "x=", "[", "]", ".", "-", "$", "#", "\\", "=", "*", "!"]
REFS = ["$s", "${name}", "$!nope", "$nope", "$map.b", "$list[1]", "$s.length()",
        "$people[0].name", "\\$s", "\\$nope", "$i", "$d", "$emptylist", "$order",
        "$!{s.toUpperCase()}", "$strlist.get(0)", "$map.c.d", "$v", "$!v", "$x", "$foreach.index"]
LISTS = ["$list", "$strlist", "[1..3]", "[3..1]", "$emptylist", "$people", "[\"p\", 'q']",
         "$order.keySet()", "$mixed"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def pick(self, xs):
        return self.r.choice(xs)

    def expr(self, depth=0):
        r = self.r.random()
        if depth > 1 or r < 0.45:
            return self.pick(["1", "-2", "3.5", "0", "\"q$s\"", "'lit'", "true", "$i", "$d",
                              "$s", "$nope", "$v", "$l", "$numstr", "[1, 2]", "{\"k\": 1}"])
        op = self.pick(["+", "-", "*", "/", "%"])
        return f"{self.expr(depth + 1)} {op} {self.expr(depth + 1)}"

    def cond(self, depth=0):
        r = self.r.random()
        if depth > 1 or r < 0.35:
            return self.pick(["true", "false", "$t", "$f", "$nope", "$s", "$empty", "$v",
                              "$emptylist", "$foreach.hasNext", "$x"])
        if r < 0.75:
            op = self.pick(["==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt"])
            return f"{self.expr(depth + 1)} {op} {self.expr(depth + 1)}"
        if r < 0.85:
            return "!" + self.cond(depth + 1)
        op = self.pick(["&&", "||", "and", "or"])
        return f"{self.cond(depth + 1)} {op} {self.cond(depth + 1)}"

    def ws_before(self):
        return self.pick(["", "", "", " ", "  ", "\t", "\n", "\n  ", "\n\t"])

    def ws_after(self):
        return self.pick(["", "", "", " ", "\n", "  \n", "\n\n", " x"])

    def directive(self, depth, in_loop):
        kinds = ["set", "if", "ifelse", "ifelseif", "foreach", "comment", "block", "unparsed",
                 "brace-if", "macro"]
        if in_loop:
            kinds.append("break")
        kind = self.pick(kinds)
        if kind == "set":
            var = self.pick(["$v", "$v", "$x", "$m.k", "$m['k']"])
            return f"#set({var} = {self.expr()})"
        if kind == "if":
            return f"#if({self.cond()}){self.body(depth + 1, in_loop)}#end"
        if kind == "ifelse":
            return (f"#if({self.cond()}){self.body(depth + 1, in_loop)}#else"
                    f"{self.body(depth + 1, in_loop)}#end")
        if kind == "ifelseif":
            return (f"#if({self.cond()}){self.body(depth + 1, in_loop)}#elseif({self.cond()})"
                    f"{self.body(depth + 1, in_loop)}#{{else}}{self.body(depth + 1, in_loop)}#end")
        if kind == "foreach":
            return (f"#foreach($x in {self.pick(LISTS)}){self.body(depth + 1, True)}#end")
        if kind == "comment":
            return "## " + self.pick(["c", "$s #if", "x"]) + "\n"
        if kind == "block":
            return "#* " + self.pick(["c", "$s", "#if(", "\n"]) + " *#"
        if kind == "unparsed":
            return "#[[" + self.pick(["$s", "#end", " raw "]) + "]]#"
        if kind == "brace-if":
            return f"#{{if}}({self.cond()}){self.body(depth + 1, in_loop)}#{{end}}"
        if kind == "macro":
            return self.pick(["#mm($s)", "#mm(1)", "#mm()", "#mm($nope)", "#nomacro()"])
        return "#break"

    def body(self, depth, in_loop):
        parts = []
        for _ in range(self.r.randint(0, 3 if depth < 2 else 1)):
            r = self.r.random()
            if r < 0.35:
                parts.append(self.pick(TEXT))
            elif r < 0.65:
                parts.append(self.pick(REFS))
            elif depth < 3:
                parts.append(self.ws_before() + self.directive(depth, in_loop) + self.ws_after())
        return "".join(parts)

    def template(self):
        prelude = self.pick(["", "", "#set($m = {})", "#set($m = {})\n",
                             "#macro(mm $a)[$a]#end", "#macro(mm $a)\n[$a]\n#end\n"])
        body = "".join(self.body(0, False) for _ in range(self.r.randint(1, 4)))
        return prelude + body


def soup(rnd):
    return "".join(rnd.choice(SOUP) for _ in range(rnd.randint(2, 12)))


def main():
    gen = Gen(random.Random(SEED))
    out = ["GENERATED by tools/gen_random_templates.py (seeded); do not edit by hand.\n"]
    seen = set()
    n = 0
    while n < COUNT:
        t = gen.template()
        if t in seen or any(line.startswith("=== ") for line in t.split("\n")):
            continue
        seen.add(t)
        out.append(f"=== r{n:04d}\n{t}\n")
        n += 1
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(out))

    rnd = random.Random(SEED + 1)
    out = ["GENERATED by tools/gen_random_templates.py (seeded token soup); do not edit by hand.\n"]
    seen = set()
    n = 0
    while n < SOUP_COUNT:
        t = soup(rnd)
        if t in seen or any(line.startswith("=== ") for line in t.split("\n")):
            continue
        seen.add(t)
        out.append(f"=== s{n:04d}\n{t}\n")
        n += 1
    with open(OUT_SOUP, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(out))

    rnd = random.Random(SEED + 2)
    out = ["GENERATED by tools/gen_random_templates.py (seeded string-literal soup); do not edit "
           "by hand.\n"]
    seen = set()
    n = 0
    while n < STR_COUNT:
        quote = rnd.choice(['"', '"', "'"])
        inner = "".join(rnd.choice(STR_SOUP) for _ in range(rnd.randint(1, 6)))
        if quote == "'":
            inner = inner.replace("'", "''")
        else:
            inner = inner.replace('"', '""')
        prelude = rnd.choice(["", "#macro(mm)M#end"])
        t = f"{prelude}#set($v = {quote}{inner}{quote})[$v]"
        if t in seen or any(line.startswith("=== ") for line in t.split("\n")):
            continue
        seen.add(t)
        out.append(f"=== q{n:04d}\n{t}\n")
        n += 1
    with open(OUT_STR, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
