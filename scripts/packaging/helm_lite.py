#!/usr/bin/env python3
"""Renders a Helm chart offline: the subset of Helm's Go templates deploy/helm uses.

Usage: helm_lite.py CHART_DIR [-f VALUES.yaml]... [--set a.b=value]... [-n NAMESPACE]
                    [--release NAME] [-o OUT.yaml]

Debian 12 packages no Helm, so CI renders the chart with this, like kustomize_lite.py renders the
overlays. Supported: text/template actions with {{- and -}} trimming, comments, pipelines,
`if`/`else if`/`else`, `range` (lists and maps, with `$v :=` or `$k, $v :=`), `with`,
`define`/`include`, variables (`$x := ...`, `$` the root), fields (.Values.a.b, $v.name),
string/number/bool literals and parentheses; functions default, quote, toYaml, indent, nindent,
eq, ne, not, and, or, hasKey, printf (%s %d %v) and required. Objects: .Values (values.yaml,
then -f files, then --set, merged like Helm), .Release.Name/Namespace/Service, .Chart (Chart.yaml
with Helm's capitalised keys). Anything else is an error, and so is printing a missing value
(Helm would print nothing): a typo in a template fails the render instead of going unnoticed.
Output: every rendered document of templates/*.yaml (files starting with _ define templates).
"""
import argparse
import copy
import os
import re
import sys

import yaml


class RenderError(Exception):
    pass


MISSING = None
ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


# --- parsing --------------------------------------------------------------------------------
def tokenize(text, where):
    """[('text', s) | ('action', body)] with trimming applied."""
    out = []
    pos = 0
    for m in ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1) == "-":
            chunk = chunk.rstrip(" \t\r\n")
        out.append(["text", chunk])
        out.append(["action", m.group(2), m.group(3) == "-"])
        pos = m.end()
    out.append(["text", text[pos:]])
    # apply right trims
    for i, t in enumerate(out):
        if t[0] == "action" and t[2] and i + 1 < len(out):
            out[i + 1][1] = out[i + 1][1].lstrip(" \t\r\n")
    return [(t[0], t[1]) for t in out if not (t[0] == "text" and t[1] == "")]


def parse_template(text, where, defines):
    tokens = tokenize(text, where)
    nodes, rest = parse_nodes(tokens, 0, where, defines, stop=())
    if rest != len(tokens):
        raise RenderError(f"{where}: unexpected {tokens[rest][1]!r}")
    return nodes


def parse_nodes(tokens, i, where, defines, stop):
    nodes = []
    while i < len(tokens):
        kind, body = tokens[i]
        if kind == "text":
            nodes.append(("text", body))
            i += 1
            continue
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise RenderError(f"{where}: unterminated comment")
            i += 1
            continue
        word = body.split(None, 1)[0] if body else ""
        if word in stop or (word == "else" and "else" in stop):
            return nodes, i
        if word in ("if", "with"):
            branches = []
            cond = body[len(word):].strip()
            i += 1
            while True:
                inner, i = parse_nodes(tokens, i, where, defines, stop=("end", "else"))
                branches.append((cond, inner))
                if i >= len(tokens):
                    raise RenderError(f"{where}: {word} without end")
                b = tokens[i][1]
                i += 1
                if b == "end":
                    nodes.append((word, branches))
                    break
                if b == "else":
                    inner, i = parse_nodes(tokens, i, where, defines, stop=("end",))
                    branches.append((None, inner))
                    if i >= len(tokens) or tokens[i][1] != "end":
                        raise RenderError(f"{where}: else without end")
                    i += 1
                    nodes.append((word, branches))
                    break
                if b.startswith("else if ") and word == "if":
                    cond = b[len("else if "):].strip()
                    continue
                raise RenderError(f"{where}: unsupported {b!r}")
        elif word == "range":
            spec = body[len("range"):].strip()
            m = re.match(r"^(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*(.+)$", spec)
            if m:
                kv, vv, expr = (m.group(1), m.group(2), m.group(3)) if m.group(2) else \
                    (None, m.group(1), m.group(3))
            else:
                kv, vv, expr = None, None, spec
            inner, i = parse_nodes(tokens, i + 1, where, defines, stop=("end",))
            if i >= len(tokens):
                raise RenderError(f"{where}: range without end")
            i += 1
            nodes.append(("range", kv, vv, expr, inner))
        elif word == "define":
            name = parse_string(body[len("define"):].strip(), where)
            inner, i = parse_nodes(tokens, i + 1, where, defines, stop=("end",))
            if i >= len(tokens):
                raise RenderError(f"{where}: define without end")
            i += 1
            defines[name] = inner
        elif word in ("end", "else") or body.startswith("else "):
            raise RenderError(f"{where}: unexpected {body!r}")
        elif re.match(r"^\$\w+\s*:?=", body):
            name, expr = re.match(r"^(\$\w+)\s*:?=\s*(.+)$", body, re.S).groups()
            nodes.append(("set", name, expr))
            i += 1
        else:
            nodes.append(("out", body))
            i += 1
    return nodes, i


def parse_string(s, where):
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return bytes(s[1:-1], "utf-8").decode("unicode_escape")
    raise RenderError(f"{where}: expected a string, got {s!r}")


def split_words(expr, where):
    """Tokens of one command: strings, parenthesised groups, words."""
    words, i = [], 0
    while i < len(expr):
        c = expr[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j = i + 1
            while j < len(expr) and expr[j] != '"':
                j += 2 if expr[j] == "\\" else 1
            words.append(expr[i:j + 1])
            i = j + 1
        elif c == "(":
            depth, j = 0, i
            while j < len(expr):
                depth += {"(": 1, ")": -1}.get(expr[j], 0)
                if depth == 0:
                    break
                j += 1
            words.append(expr[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < len(expr) and not expr[j].isspace():
                j += 1
            words.append(expr[i:j])
            i = j
    return words


def split_pipeline(expr):
    parts, depth, quote, cur = [], 0, False, ""
    for c in expr:
        if c == '"' and not cur.endswith("\\"):
            quote = not quote
        if not quote:
            depth += {"(": 1, ")": -1}.get(c, 0)
            if c == "|" and depth == 0:
                parts.append(cur.strip())
                cur = ""
                continue
        cur += c
    parts.append(cur.strip())
    return parts


# --- evaluation -----------------------------------------------------------------------------
def truthy(v):
    return not (v is None or v is False or v == 0 and not isinstance(v, bool) and
                isinstance(v, (int, float)) or (isinstance(v, (str, list, dict)) and len(v) == 0))


def to_yaml(v):
    if v is None:
        return "null"
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


def go_print(v, where):
    if v is MISSING:
        raise RenderError(f"{where}: a template prints a missing value")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        raise RenderError(f"{where}: a template prints a map or list; use toYaml")
    return str(v)


def go_quote(v):
    s = "" if v is None else go_print(v, "quote")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def indent(n, s):
    pad = " " * int(n)
    return "\n".join(pad + line if line else line for line in str(s).split("\n"))


def printf(fmt, *args):
    out, it = "", iter(args)
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            if spec == "%":
                out += "%"
            elif spec in "sdv":
                out += go_print(next(it), "printf")
            else:
                raise RenderError(f"printf: unsupported %{spec}")
            i += 2
        else:
            out += fmt[i]
            i += 1
    return out


class Renderer:
    def __init__(self, defines, where):
        self.defines = defines
        self.where = where

    def funcs(self, name):
        f = {
            "default": lambda d, v=MISSING: v if truthy(v) else d,
            "quote": go_quote,
            "toYaml": to_yaml,
            "indent": indent,
            "nindent": lambda n, s: "\n" + indent(n, s),
            "eq": lambda a, b: a == b,
            "ne": lambda a, b: a != b,
            "not": lambda a: not truthy(a),
            "and": lambda *a: next((x for x in a if not truthy(x)), a[-1]),
            "or": lambda *a: next((x for x in a if truthy(x)), a[-1]),
            "hasKey": lambda d, k: isinstance(d, dict) and k in d,
            "printf": printf,
            "required": self.required,
            "include": self.include,
        }.get(name)
        if f is None:
            raise RenderError(f"{self.where}: unsupported function {name}")
        return f

    def required(self, msg, v=MISSING):
        if not truthy(v) and v is not False:
            raise RenderError(f"{self.where}: required value: {msg}")
        return v

    def include(self, name, dot):
        if name not in self.defines:
            raise RenderError(f"{self.where}: include of undefined template {name!r}")
        return self.run(self.defines[name], dot, {"$": self.root})

    def field(self, base, path):
        v = base
        for part in [p for p in path.split(".") if p]:
            if isinstance(v, dict):
                v = v.get(part, MISSING)
            else:
                return MISSING
        return v

    def operand(self, w, dot, vars_):
        if w.startswith("("):
            return self.pipeline(w[1:-1], dot, vars_)
        if w.startswith('"'):
            return parse_string(w, self.where)
        if w in ("true", "false"):
            return w == "true"
        if re.match(r"^-?\d+$", w):
            return int(w)
        if w == ".":
            return dot
        if w.startswith("."):
            return self.field(dot, w)
        if w.startswith("$"):
            name, _, path = w.partition(".")
            if name not in vars_:
                raise RenderError(f"{self.where}: undefined variable {name}")
            return self.field(vars_[name], path)
        raise RenderError(f"{self.where}: cannot evaluate {w!r}")

    def command(self, cmd, dot, vars_, piped, has_piped):
        words = split_words(cmd, self.where)
        if not words:
            raise RenderError(f"{self.where}: empty command")
        head = words[0]
        if re.match(r"^[A-Za-z]\w*$", head) and head not in ("true", "false"):
            args = [self.operand(w, dot, vars_) for w in words[1:]]
            if has_piped:
                args.append(piped)
            return self.funcs(head)(*args)
        if len(words) != 1 or has_piped:
            raise RenderError(f"{self.where}: cannot evaluate {cmd!r}")
        return self.operand(head, dot, vars_)

    def pipeline(self, expr, dot, vars_):
        value, has = None, False
        for cmd in split_pipeline(expr):
            value = self.command(cmd, dot, vars_, value, has)
            has = True
        return value

    def run(self, nodes, dot, vars_):
        out = []
        vars_ = dict(vars_)
        for n in nodes:
            kind = n[0]
            if kind == "text":
                out.append(n[1])
            elif kind == "out":
                out.append(go_print(self.pipeline(n[1], dot, vars_), self.where))
            elif kind == "set":
                vars_[n[1]] = self.pipeline(n[2], dot, vars_)
            elif kind in ("if", "with"):
                for cond, body in n[1]:
                    if cond is None:
                        out.append(self.run(body, dot, vars_))
                        break
                    v = self.pipeline(cond, dot, vars_)
                    if truthy(v):
                        out.append(self.run(body, v if kind == "with" else dot, vars_))
                        break
            elif kind == "range":
                _, kv, vv, expr, body = n
                coll = self.pipeline(expr, dot, vars_)
                if coll is MISSING:
                    continue
                items = sorted(coll.items()) if isinstance(coll, dict) else enumerate(coll)
                for k, v in items:
                    inner = dict(vars_)
                    if vv:
                        inner[vv] = v
                    if kv:
                        inner[kv] = k
                    out.append(self.run(body, v, inner))
        return "".join(out)


# --- values and chart -----------------------------------------------------------------------
def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def set_value(values, assignment):
    key, sep, raw = assignment.partition("=")
    if not sep:
        raise RenderError(f"--set {assignment}: want key=value")
    value = yaml.safe_load(raw) if raw else ""
    d = values
    parts = key.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = value


def render_chart(chart_dir, value_files=(), sets=(), namespace="default", release="truenas-csi"):
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = yaml.safe_load(f) or {}
    for path in value_files:
        with open(path) as f:
            values = merge(values, yaml.safe_load(f) or {})
    for s in sets:
        set_value(values, s)
    root = {
        "Values": values,
        "Release": {"Name": release, "Namespace": namespace, "Service": "Helm"},
        "Chart": {k[0].upper() + k[1:]: v for k, v in chart.items()},
    }
    tdir = os.path.join(chart_dir, "templates")
    files = sorted(os.listdir(tdir))
    defines = {}
    parsed = {}
    for name in files:
        with open(os.path.join(tdir, name)) as f:
            parsed[name] = parse_template(f.read(), name, defines)
    objs = []
    for name in files:
        if name.startswith("_") or not name.endswith((".yaml", ".yml")):
            continue
        r = Renderer(defines, name)
        r.root = root
        text = r.run(parsed[name], root, {"$": root})
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            raise RenderError(f"{name}: rendered text is not YAML: {e}\n{text}") from e
        for d in docs:
            if not isinstance(d, dict) or "kind" not in d:
                raise RenderError(f"{name}: a rendered document is not an object")
        objs.extend(docs)
    return objs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("chart")
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--set", action="append", default=[])
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--release", default="truenas-csi")
    p.add_argument("-o", "--output")
    a = p.parse_args()
    try:
        objs = render_chart(a.chart, a.values, a.set, a.namespace, a.release)
    except (RenderError, OSError, yaml.YAMLError) as e:
        print(f"helm_lite: {e}", file=sys.stderr)
        return 1
    text = yaml.safe_dump_all(objs, default_flow_style=False, sort_keys=True)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
