"""Every name that a generated function declares `nonlocal` gets an initial binding
`x = ag__.Undefined('x')` at the top of the function (Python requires one for `nonlocal`), unless
it is a parameter or declared global/nonlocal by the user. Using an Undefined raises
UnboundLocalError naming the variable (operators, calls, and `return x`, which becomes
`return ag__.ld(x)`), and a staged if/loop names the branch that left it undefined."""
import ast

from .. import anno
from ..transformer import template
from ..analysis import stores


def transform(func_node, ctx):
    names = []
    for n in _walk_generated(func_node):
        if isinstance(n, ast.Nonlocal):
            names.extend(n.names)
    skip = ctx.params | ctx.globals | ctx.nonlocals | _assigned_first(func_node)
    seen, init = set(), []
    for name in names:
        if name not in seen and name not in skip:
            seen.add(name)
            init.append(name)
    _deletes_to_undefined(func_node)
    if not init:
        return
    _guard_returns(func_node, set(init))
    stmts = []
    for name in init:
        stmts += template(f"{name} = ag__.Undefined({name!r})", func_node)
    body = func_node.body
    doc = 1 if body and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value,
                                                                      str) else 0
    func_node.body = body[:doc] + stmts + body[doc:]


def _deletes_to_undefined(func_node):
    """`del x` inside a generated if/loop body becomes `x = ag__.Undefined('x')` (as TF's
    converter does): the branch then leaves x undefined instead of emptying the closure cell
    that get_state reads (which would raise a NameError about a free variable)."""
    for n in _walk_generated(func_node):
        if not (isinstance(n, ast.FunctionDef) and anno.getanno(n, anno.Basic.GENERATED, False)):
            continue
        n.body = _replace_deletes(n.body)


def _replace_deletes(stmts):
    out = []
    for stmt in stmts:
        if isinstance(stmt, ast.Delete) and all(isinstance(t, ast.Name) for t in stmt.targets):
            for t in stmt.targets:
                out += template(f"{t.id} = ag__.Undefined({t.id!r})", stmt)
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and not isinstance(
                    stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                setattr(stmt, field, _replace_deletes(inner))
        if isinstance(stmt, ast.Try):
            for h in stmt.handlers:
                h.body = _replace_deletes(h.body)
        out.append(stmt)
    return out


def _assigned_first(func_node):
    """Names the function assigns at top level before any generated code can read them."""
    out = set()
    for stmt in func_node.body:
        if isinstance(stmt, ast.FunctionDef) and anno.getanno(stmt, anno.Basic.GENERATED, False):
            break
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and \
                not (isinstance(stmt, ast.AnnAssign) and stmt.value is None):
            out |= stores(stmt)
    return out


def _walk_generated(func_node):
    """The nodes of func_node's own scope, including the functions control_flow generated
    (not the user's nested functions, which have their own initializations)."""
    stack = list(func_node.body)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) \
                and not anno.getanno(n, anno.Basic.GENERATED, False):
            continue
        stack.extend(ast.iter_child_nodes(n))


def _guard_returns(func_node, names):
    # after return lowering the user's only return is a top-level statement; the returns of
    # generated helpers (get_state, loop_test) must pass undefined values through
    for n in func_node.body:
        if isinstance(n, ast.Return) and n.value is not None:
            n.value = _Loads(names).visit(n.value)


class _Loads(ast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node):
        if node.id in self.names and isinstance(node.ctx, ast.Load):
            call = ast.Call(func=ast.Attribute(value=ast.Name(id="ag__", ctx=ast.Load()),
                                               attr="ld", ctx=ast.Load()),
                            args=[node], keywords=[])
            return ast.copy_location(call, node)
        return node

    def visit_Lambda(self, node):
        return node
