"""`continue` becomes `continue_ = True` with the rest of the iteration guarded by
`if not continue_:`; the flag is reset at the top of each iteration, so it is never carried
from one iteration to the next."""
import ast

from ..transformer import ScopedTransformer, template
from .jumps import Lowering, contains

_OWN = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.While, ast.For)


class _Loops(ScopedTransformer):
    def _loop(self, node):
        self.generic_visit(node)
        if not contains(node.body, ast.Continue, stop=_OWN):
            return node
        flag = self.ctx.new_name("continue_")
        lowering = Lowering(lambda s: isinstance(s, ast.Continue),
                            lambda s: template("FLAG = True", s, FLAG=flag), flag)
        body, _, _ = lowering.block(node.body)
        node.body = template("FLAG = False", node, FLAG=flag) + body
        return node

    visit_While = _loop
    visit_For = _loop


def transform(func_node, ctx):
    visitor = _Loops(ctx)
    for stmt in func_node.body:  # loops are rewritten in place
        visitor.visit(stmt)
