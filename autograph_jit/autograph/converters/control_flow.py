"""`if`, `while` and `for` become calls of the runtime operators over generated functions:

    def if_body(): nonlocal a; <body>          def loop_test(): return <test>
    def else_body(): nonlocal a; <orelse>      def loop_body(): nonlocal a; <body>
    def get_state(): return (a, t)
    def set_state(vars_): nonlocal a, t; (a, t) = vars_
    ag__.if_stmt(<test>, if_body, else_body, get_state, set_state, ('a',), ('t',))

The state is every name the statement assigns: first those live after it (for loops: live at
the start of an iteration) — the ones a staged cond/while_loop must produce — then the
temporaries, which the runtime resets before each branch and leaves undefined after a staged
statement. Names declared `global` are state too (declared `global` in the generated
functions), so a graph loop carries them like locals. Attribute paths assigned inside
(`self.acc = ...`) are state too, read and written with `ag__.get_attr` / `ag__.set_attr`
(TF's composite symbols):

    def set_state(vars_): nonlocal a; (a,) = (vars_[1],); ag__.set_attr(self, 'acc', vars_[0])

When the bodies call methods (`box.add(x)`), the operator also gets `watch=lambda: (('box',
box),)`: the receivers whose attributes a call may set (operators/side_effects.py).
"""
import ast

from .. import anno
from ..transformer import ScopedTransformer, template
from ..analysis import _walk_scope


def _loop_options_call(stmt):
    """The keyword-dict expression of a `set_loop_options(**kw)` statement, else None."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if not isinstance(call, ast.Call):
        return None
    func, args, keywords = call.func, call.args, call.keywords
    if isinstance(func, ast.Attribute) and func.attr == "converted_call" and \
            isinstance(func.value, ast.Name) and func.value.id == "ag__" and len(args) >= 3:
        func, packed, kw = args[0], args[1], args[2]
        if not (isinstance(packed, ast.Tuple) and not packed.elts):
            return None
        if not _names_set_loop_options(func):
            return None
        if isinstance(kw, ast.Constant) and kw.value is None:
            return ast.Dict(keys=[], values=[])
        return kw
    if not _names_set_loop_options(func) or args:
        return None
    return ast.Call(func=ast.Name("dict", ast.Load()), args=[], keywords=keywords)


def _names_set_loop_options(func):
    return (isinstance(func, ast.Attribute) and func.attr == "set_loop_options") or \
        (isinstance(func, ast.Name) and func.id == "set_loop_options")


def _decls(names, ctx):
    names = [n for n in names if "." not in n]
    local = [n for n in names if n not in ctx.globals]
    glob = [n for n in names if n in ctx.globals]
    out = []
    if local:
        out.append(ast.Nonlocal(names=local))
    if glob:
        out.append(ast.Global(names=glob))
    return out


class _ControlFlow(ScopedTransformer):
    def visit_FunctionDef(self, node):
        if anno.getanno(node, anno.Basic.GENERATED, False):
            self.generic_visit(node)
        return node

    def _state(self, node, live):
        modified = list(anno.getanno(node, anno.Static.MODIFIED))
        # globals and attribute paths are read from outside too: always state
        state = [n for n in modified if n in live or "." in n or n in self.ctx.globals]
        temps = [n for n in modified if n not in state]
        return state, temps, modified

    def _def(self, name, args, body, loc, names=()):
        fn = template(f"def {name}({', '.join(args)}):\n    pass", loc)[0]
        fn.body = _decls(list(names), self.ctx) + (body or [ast.Pass()])
        anno.setanno(fn, anno.Basic.GENERATED, True)
        self.ctx.generated.add(name)
        for n in ast.walk(fn):
            if "lineno" in n._attributes and getattr(n, "lineno", None) is None:
                ast.copy_location(n, loc)
        return fn

    def _state_functions(self, node, state, temps):
        get_name = self.ctx.new_name("get_state")
        set_name = self.ctx.new_name("set_state")
        names = state + temps
        plain = [n for n in names if "." not in n]
        paths = [(i, n) for i, n in enumerate(names) if "." in n]

        def read(n):
            if "." not in n:
                return n
            obj, attr = n.rsplit(".", 1)
            return f"ag__.get_attr({obj}, {attr!r}, {n!r})"
        tup = "(" + "".join(read(n) + ", " for n in names) + ")"
        get_fn = self._def(get_name, [], template(f"return {tup}", node), node)
        plain_tup = "(" + "".join(n + ", " for n in plain) + ")"
        if plain and not paths:
            set_body = template(f"{plain_tup} = vars_", node)
        elif plain:
            picked = "(" + "".join(f"vars_[{i}], " for i, n in enumerate(names)
                                   if "." not in n) + ")"
            set_body = template(f"{plain_tup} = {picked}", node)
        else:
            set_body = []
        for i, n in paths:
            obj, attr = n.rsplit(".", 1)
            set_body += template(f"ag__.set_attr({obj}, {attr!r}, vars_[{i}])", node)
        set_fn = self._def(set_name, ["vars_"], set_body, node, names)
        return get_name, set_name, [get_fn, set_fn]

    def _watch(self, node, bodies):
        """`, watch=lambda: (('a', a), ...)` for the receivers of the calls in `bodies` (see
        operators/side_effects.py), or ''."""
        names = set()
        for root in bodies:
            for n in _walk_scope(root):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                        n.func.attr == "converted_call" and n.args and \
                        isinstance(n.args[0], ast.Attribute) and \
                        isinstance(n.args[0].value, ast.Name) and n.args[0].value.id != "ag__":
                    names.add(n.args[0].value.id)
        names -= set(anno.getanno(node, anno.Static.MODIFIED)) | self.ctx.globals
        if not names:
            return ""
        pairs = "".join(f"({n!r}, {n}), " for n in sorted(names))
        return f", watch=lambda: ({pairs})"

    @staticmethod
    def _take_loop_options(node):
        """Remove `tf.autograph.experimental.set_loop_options(...)` statements (as written, or
        as call_trees made them: `ag__.converted_call(f, (), {...})`) from the loop body;
        `, opts=...` for the operator call (the arguments evaluated before the loop, as TF
        does), or ''."""
        found, body = [], []
        for stmt in node.body:
            opts = _loop_options_call(stmt)
            if opts is None:
                body.append(stmt)
            else:
                found.append(opts)
        if not found:
            return ""
        node.body = body or [ast.copy_location(ast.Pass(), node)]
        merged = ast.Call(func=ast.Name("dict", ast.Load()), args=[],
                          keywords=[ast.keyword(arg=None, value=d) for d in found])
        return ", opts=" + ast.unparse(merged)

    @staticmethod
    def _names_tuple(names):
        return "(" + "".join(repr(n) + ", " for n in names) + ")"

    def visit_If(self, node):
        self.generic_visit(node)
        state, temps, modified = self._state(node, anno.getanno(node, anno.Static.LIVE_OUT))
        body_name = self.ctx.new_name("if_body")
        else_name = self.ctx.new_name("else_body")
        defs = [self._def(body_name, [], node.body, node, modified),
                self._def(else_name, [], node.orelse, node, modified)]
        get_name, set_name, state_fns = self._state_functions(node, state, temps)
        call = template(
            f"ag__.if_stmt(TEST, {body_name}, {else_name}, {get_name}, {set_name}, "
            f"{self._names_tuple(state)}, {self._names_tuple(temps)}"
            f"{self._watch(node, node.body + node.orelse)})", node, TEST=node.test)
        return defs + state_fns + call

    def visit_While(self, node):
        opts = self._take_loop_options(node)
        self.generic_visit(node)
        state, temps, modified = self._state(node, anno.getanno(node, anno.Static.LIVE_HEAD))
        test_name = self.ctx.new_name("loop_test")
        body_name = self.ctx.new_name("loop_body")
        test_fn = self._def(test_name, [], template("return TEST", node, TEST=node.test), node)
        body_fn = self._def(body_name, [], node.body, node, modified)
        get_name, set_name, state_fns = self._state_functions(node, state, temps)
        call = template(
            f"ag__.while_stmt({test_name}, {body_name}, {get_name}, {set_name}, "
            f"{self._names_tuple(state)}, {self._names_tuple(temps)}"
            f"{self._watch(node, node.body)}{opts})", node)
        return [test_fn, body_fn] + state_fns + call + node.orelse

    def visit_For(self, node):
        opts = self._take_loop_options(node)
        self.generic_visit(node)
        state, temps, modified = self._state(node, anno.getanno(node, anno.Static.LIVE_HEAD))
        defs = []
        extra = anno.getanno(node, anno.Basic.EXTRA_LOOP_TEST, None)
        extra_name = "None"
        if extra is not None:
            extra_name = self.ctx.new_name("extra_test")
            defs.append(self._def(extra_name, [], template("return TEST", node, TEST=extra),
                                  node))
        body_name = self.ctx.new_name("loop_body")
        itr = self.ctx.new_name("itr")
        assign = template("TARGET = ITR", node, TARGET=node.target, ITR=itr)
        defs.append(self._def(body_name, [itr], assign + node.body, node, modified))
        get_name, set_name, state_fns = self._state_functions(node, state, temps)
        call = template(
            f"ag__.for_stmt(ITER, {extra_name}, {body_name}, {get_name}, {set_name}, "
            f"{self._names_tuple(state)}, {self._names_tuple(temps)}"
            f"{self._watch(node, node.body)}{opts})", node, ITER=node.iter)
        return defs + state_fns + call + node.orelse


def transform(func_node, ctx):
    visitor = _ControlFlow(ctx)
    body = []
    for stmt in func_node.body:
        out = visitor.visit(stmt)
        body.extend(out if isinstance(out, list) else [out])
    func_node.body = body
