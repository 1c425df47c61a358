"""`raise E` becomes `ag__.raise_stmt(E, catchable)` (annotated anno.Basic.RAISE for return lowering,
which treats it as a jump that ends the function): outside tensor-dependent code it raises as
Python does; inside a staged branch or loop body — traced whatever the condition turns out to
be — it becomes a run-time check that fails with E's type and message when that path runs.

`catchable`: the raise sits in the body of a `try` with handlers. A graph cannot catch its own
run-time failure, so there the staged form is a located error instead of a silent divergence.
Bare `raise` and `raise E from C` stay Python statements.
"""
from .. import anno
from ..transformer import ScopedTransformer, template


class _Raises(ScopedTransformer):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.try_depth = 0

    def visit_Try(self, node):
        if node.handlers:
            self.try_depth += 1
        node.body = self._stmts(node.body)
        if node.handlers:
            self.try_depth -= 1
        for h in node.handlers:
            h.body = self._stmts(h.body)
        node.orelse = self._stmts(node.orelse)
        node.finalbody = self._stmts(node.finalbody)
        return node

    def _stmts(self, stmts):
        out = []
        for s in stmts:
            r = self.visit(s)
            out.extend(r if isinstance(r, list) else [r])
        return out

    def visit_Raise(self, node):
        if node.exc is None or node.cause is not None:
            return node
        call = template(f"ag__.raise_stmt(EXC, {self.try_depth > 0})", node, EXC=node.exc)[0]
        anno.setanno(call, anno.Basic.RAISE, True)
        return call


def is_raise(stmt):
    return anno.getanno(stmt, anno.Basic.RAISE, False)


def transform(func_node, ctx):
    visitor = _Raises(ctx)
    func_node.body = visitor._stmts(func_node.body)
