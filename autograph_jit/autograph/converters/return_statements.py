"""`return` anywhere becomes `do_return = True; retval_ = value`, with the code after it guarded
by `if not do_return:` and every enclosing loop stopped by `not do_return` in its test. The
function then ends in `return ag__.retval(retval_)`. A converted `raise` (raise_statements.py)
is lowered the same way, without a value: a staged raise must not fall through.

A function whose only return is its last top-level statement is left as it is. Whether every
path ends in a return is recorded in the `UndefinedReturnValue` sentinel: then a branch or
loop that has not returned yet may carry a placeholder for the return value (it is never read),
otherwise a tensor-dependent return on one path only is an error naming the line.
"""
import ast

from ..transformer import template
from .jumps import Lowering, add_extra_test
from .raise_statements import is_raise


def _needs_lowering(func_node):
    body = func_node.body
    for i, s in enumerate(body):
        last = i == len(body) - 1
        for n in _walk_own(s):
            if (isinstance(n, ast.Return) or is_raise(n)) and not (last and n is s):
                return True
    return False


def _walk_own(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(n))


def transform(func_node, ctx):
    if not _needs_lowering(func_node):
        return
    do_return = ctx.new_name("do_return")
    retval = ctx.new_name("retval_")

    def replace(s):
        if is_raise(s):  # raises (or, staged, checks at run time); the rest is skipped
            return [s] + template("DO = True", s, DO=do_return)
        value = s.value if s.value is not None else ast.Constant(value=None)
        return template("DO = True\nRET = VALUE", s, DO=do_return, RET=retval, VALUE=value)

    def loop_hook(loop, may):
        if may:
            add_extra_test(loop, do_return)
            if loop.orelse:
                loop.orelse = template("if not DO:\n    BODY", loop, DO=do_return,
                                       BODY=loop.orelse)
        return [loop]

    lowering = Lowering(lambda s: isinstance(s, ast.Return) or is_raise(s), replace,
                        do_return, loop_hook)
    body, _, always = lowering.block(_strip_docstring(func_node))
    head = template(f"DO = False\nRET = ag__.UndefinedReturnValue({always!r})", func_node,
                    DO=do_return, RET=retval)
    tail = template("return ag__.retval(RET, DO)", func_node, RET=retval, DO=do_return)
    func_node.body = _docstring(func_node) + head + body + tail


def _docstring(func_node):
    b = func_node.body
    if b and isinstance(b[0], ast.Expr) and isinstance(getattr(b[0], "value", None),
                                                       ast.Constant) \
            and isinstance(b[0].value.value, str):
        return [b[0]]
    return []


def _strip_docstring(func_node):
    return func_node.body[len(_docstring(func_node)):]



