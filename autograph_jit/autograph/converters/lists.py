"""`x.append(v)` as a statement becomes `ag__.list_append(x, v)`: a Python list append at trace
time, or a write at the end of the TensorArray `x` became when a graph loop carries it (the
write updates that object in place, so no rebinding is needed and closure lists stay closure
lists)."""
import ast

from ..transformer import ScopedTransformer, template


class _Lists(ScopedTransformer):
    def visit_Expr(self, node):
        call = node.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "append" and isinstance(call.func.value, ast.Name)
                and len(call.args) == 1 and not call.keywords
                and not isinstance(call.args[0], ast.Starred)):
            name = call.func.value.id
            return template("ag__.list_append(X, V)", node, X=name, V=call.args[0])
        return node


def transform(func_node, ctx):
    visitor = _Lists(ctx)
    func_node.body = [visitor.visit(s) for s in func_node.body]
    func_node.body = [x for s in func_node.body for x in (s if isinstance(s, list) else [s])]
