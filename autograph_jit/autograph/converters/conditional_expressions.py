"""`a if test else b` becomes `ag__.if_exp(test, lambda: a, lambda: b)` (tf.cond on a tensor
test; only the chosen side runs on a Python one)."""
import ast

from .. import anno
from ..transformer import ScopedTransformer, expr


class _CondExprs(ScopedTransformer):
    def visit_FunctionDef(self, node):
        if anno.getanno(node, anno.Basic.GENERATED, False):
            self.generic_visit(node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
            return node  # a walrus must stay in this scope
        return expr("ag__.if_exp(TEST, lambda: A, lambda: B)", node, TEST=node.test,
                    A=node.body, B=node.orelse)


def transform(func_node, ctx):
    visitor = _CondExprs(ctx)
    func_node.body = [visitor.visit(s) for s in func_node.body]


def transform_expr(node, ctx):
    return _CondExprs(ctx).visit(node)
