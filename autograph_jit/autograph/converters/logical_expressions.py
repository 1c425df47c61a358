"""`a and b`, `a or b`, `not a` become `ag__.and_(lambda: a, lambda: b)`, `ag__.or_(...)`,
`ag__.not_(a)`: Python's short-circuit semantics on Python values, a lazily evaluated
tf.cond / tf.logical_not on tensors."""
import ast

from .. import anno
from ..transformer import ScopedTransformer, expr


class _Logical(ScopedTransformer):
    def visit_FunctionDef(self, node):
        if anno.getanno(node, anno.Basic.GENERATED, False):
            self.generic_visit(node)
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        if any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
            return node
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            result = expr(f"ag__.{fn}(lambda: A, lambda: B)", node, A=value, B=result)
        return result

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return expr("ag__.not_(A)", node, A=node.operand)
        return node


def transform(func_node, ctx):
    visitor = _Logical(ctx)
    func_node.body = [visitor.visit(s) for s in func_node.body]


def transform_expr(node, ctx):
    return _Logical(ctx).visit(node)
