"""Lowering of jumps (return, break, continue) to boolean flags, shared by the three converters.

A jump statement becomes its replacement (e.g. `break_ = True`); the statements after a
statement that *may* jump are wrapped in `if not flag:`; the statements after one that always
jumps are dead and dropped. `descend` says which compound statements are searched (loops own
their own break/continue; nested functions own their returns).
"""
import ast

from .. import anno
from ..transformer import point_location, template


class Lowering:
    def __init__(self, is_jump, replace, flag, loop_hook=None):
        self.is_jump = is_jump      # stmt -> bool
        self.replace = replace      # stmt -> [stmts]
        self.flag = flag            # the flag's name
        self.loop_hook = loop_hook  # (loop, body_may_jump) -> [stmts] for loops (return only)

    def block(self, stmts):
        """(new statements, may jump, always jumps)"""
        out = []
        for i, s in enumerate(stmts):
            if self.is_jump(s):
                out.extend(self.replace(s))
                return out, True, True
            new, may, always = self.stmt(s)
            out.extend(new)
            if always:
                return out, True, True
            if may:
                # the rest runs only when the flag is still down; if it always jumps, so does
                # the whole block
                rest, _, rest_always = self.block(stmts[i + 1:])
                if rest:
                    out.extend(template("if not FLAG:\n    BODY", s, FLAG=self.flag, BODY=rest))
                return out, True, rest_always
        return out, False, False

    def stmt(self, s):
        if isinstance(s, ast.If):
            s.body, m1, a1 = self.block(s.body)
            s.orelse, m2, a2 = self.block(s.orelse)
            if not s.body:
                s.body = [ast.copy_location(ast.Pass(), s)]
            return [s], m1 or m2, a1 and a2
        if isinstance(s, (ast.With, ast.AsyncWith)):
            s.body, may, always = self.block(s.body)
            return [s], may, always
        if isinstance(s, ast.Try):
            may = False
            for attr in ("body", "orelse", "finalbody"):
                new, m, _ = self.block(getattr(s, attr))
                setattr(s, attr, new)
                may |= m
            for h in s.handlers:
                h.body, m, _ = self.block(h.body)
                may |= m
            if not s.body:
                s.body = [ast.copy_location(ast.Pass(), s)]
            return [s], may, False
        if isinstance(s, (ast.While, ast.For)) and self.loop_hook is not None:
            endless = _endless(s)
            s.body, may, _ = self.block(s.body)
            s.orelse, m2, _ = self.block(s.orelse)
            if not s.body:
                s.body = [ast.copy_location(ast.Pass(), s)]
            # `while True:` without a break only ends by jumping
            return self.loop_hook(s, may), may or m2, may and endless
        return [s], False, False


def _endless(loop):
    return isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and \
        bool(loop.test.value) and not contains(loop.body, ast.Break, stop=(
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.While,
            ast.For))


def contains(stmts, kinds, stop=(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                ast.Lambda)):
    """Whether a statement of `kinds` occurs in stmts, not looking inside `stop` nodes."""
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            return True
        if isinstance(n, stop):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def add_extra_test(loop, flag):
    """Make the loop also stop once `flag` is set (`while not flag and test`, or a for loop's
    extra test)."""
    cond = template("not FLAG", loop, FLAG=flag)[0].value
    if isinstance(loop, ast.While):
        loop.test = point_location(ast.BoolOp(op=ast.And(), values=[cond, loop.test]), loop)
    else:
        prev = anno.getanno(loop, anno.Basic.EXTRA_LOOP_TEST, None)
        anno.setanno(loop, anno.Basic.EXTRA_LOOP_TEST, cond if prev is None else point_location(
            ast.BoolOp(op=ast.And(), values=[cond, prev]), loop))
