"""`assert test, msg` becomes `ag__.assert_stmt(test, lambda: msg)`: a Python check when the
test is a Python value, a run-time check op when it is a tensor."""
import ast

from ..transformer import ScopedTransformer, template


class _Asserts(ScopedTransformer):
    def visit_Assert(self, node):
        msg = node.msg if node.msg is not None else ast.Constant(value=None)
        return template("ag__.assert_stmt(TEST, lambda: MSG)", node, TEST=node.test, MSG=msg)


def transform(func_node, ctx):
    visitor = _Asserts(ctx)
    func_node.body = [visitor.visit(s) for s in func_node.body]
    func_node.body = [x for s in func_node.body for x in (s if isinstance(s, list) else [s])]
