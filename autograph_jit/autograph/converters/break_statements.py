"""`break` becomes `break_ = True`: the rest of the loop body is guarded by `if not break_:`,
the loop stops on `not break_`, and the loop's `else:` runs under `if not break_:` after it.

A loop over a Python `range` whose break depends on a tensor is then handled by the runtime
(`for_stmt` switches the remaining iterations to a graph loop).
"""
import ast

from ..transformer import ScopedTransformer, template
from .jumps import Lowering, add_extra_test, contains


class _Loops(ScopedTransformer):
    def _loop(self, node):
        self.generic_visit(node)  # inner loops first: they own their breaks
        if not contains(node.body, ast.Break, stop=(ast.FunctionDef, ast.AsyncFunctionDef,
                                                     ast.ClassDef, ast.Lambda, ast.While,
                                                     ast.For)):
            if node.orelse:  # no break: the else clause always runs after the loop
                orelse, node.orelse = node.orelse, []
                return [node] + orelse
            return node
        flag = self.ctx.new_name("break_")
        lowering = Lowering(lambda s: isinstance(s, ast.Break),
                            lambda s: template("FLAG = True", s, FLAG=flag), flag)
        node.body, _, _ = lowering.block(node.body)
        add_extra_test(node, flag)
        out = template("FLAG = False", node, FLAG=flag) + [node]
        if node.orelse:
            out += template("if not FLAG:\n    BODY", node, FLAG=flag, BODY=node.orelse)
            node.orelse = []
        return out

    visit_While = _loop
    visit_For = _loop


def transform(func_node, ctx):
    func_node.body = [s for stmt in func_node.body for s in _as_list(_Loops(ctx).visit(stmt))]


def _as_list(x):
    return x if isinstance(x, list) else [x]
