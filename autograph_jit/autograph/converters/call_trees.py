"""Every call `f(a, *b, k=c, **d)` becomes `ag__.converted_call(f, (a, *b), {'k': c, **d})`, so
the runtime can convert user functions recursively, stage builtins such as `len`/`range` on
tensors, and keep `print` at trace time with a note. Calls that depend on the caller's frame
(`super()`, `locals()`, ...) and calls the converters generated (`ag__.*`) stay as they are."""
import ast

from ..transformer import ScopedTransformer

_FRAME_DEPENDENT = frozenset({"super", "locals", "globals", "vars", "eval", "exec", "dir"})


class _Calls(ScopedTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in _FRAME_DEPENDENT:
            return node
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                f.value.id == "ag__":
            return node
        args = ast.Tuple(elts=list(node.args), ctx=ast.Load())
        if node.keywords:
            kw = ast.Dict(keys=[ast.Constant(value=k.arg) if k.arg is not None else None
                                for k in node.keywords],
                          values=[k.value for k in node.keywords])
        else:
            kw = ast.Constant(value=None)
        new = ast.Call(
            func=ast.Attribute(value=ast.Name(id="ag__", ctx=ast.Load()), attr="converted_call",
                               ctx=ast.Load()),
            args=[f, args, kw], keywords=[])
        for n in (new, new.func, new.func.value, args, kw):
            ast.copy_location(n, node)
        return new


def transform(func_node, ctx):
    visitor = _Calls(ctx)
    func_node.body = [visitor.visit(s) for s in func_node.body]


def transform_expr(node, ctx):
    return _Calls(ctx).visit(node)
