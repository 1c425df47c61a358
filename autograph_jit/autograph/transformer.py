"""The ordered list of converters, and what they share: a per-function Context (fresh names)
and `template`, which builds AST from a code string with placeholders.

Why this order (each step relies on the ones before it):
1. raise becomes an operator call that return lowering treats as a jump (a staged raise is a
   run-time check, and the code after it must not run either);
   return, break, continue become boolean flags, so no jump reaches control-flow conversion
   (the graph IR has no jumps). Return goes first: it adds `not do_return` to loop tests, which
   break lowering then combines with its own flag.
2. assert and list.append become operator calls (`ag__.assert_stmt`, `ag__.list_append`).
3. call_trees wraps user calls in `ag__.converted_call` (recursive conversion) before
   control_flow adds calls of its own, which must not be wrapped.
4. control_flow turns if/while/for into `ag__.if_stmt/while_stmt/for_stmt` over generated
   functions; it needs the liveness annotations computed on the lowered tree.
5. conditional and logical expressions become `ag__.if_exp / and_ / or_ / not_` (including the
   ones the flag lowering generated).
6. variables: every name a generated function declares `nonlocal` gets an initial
   `ag__.Undefined` binding, so "assigned on one path only" is an error we can name.
"""
import ast
import copy

from . import analysis


class Context:
    """Per-function conversion state: names in use, fresh-name counters, source info."""

    def __init__(self, func_node, filename, source_lines):
        self.filename = filename
        self.source_lines = source_lines
        self.used = {n.id for n in ast.walk(func_node) if isinstance(n, ast.Name)}
        self.used |= analysis.parameters(func_node) if hasattr(func_node, "args") and \
            not isinstance(func_node, ast.Lambda) else set()
        self.counters = {}
        self.generated = set()     # names of the helper functions converters generate
        self.globals = set()
        self.nonlocals = set()
        self.params = set()

    def new_name(self, base):
        n = self.counters.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.used:
                self.counters[base] = n
                self.used.add(name)
                return name


def template(code, loc=None, **subs):
    """Statements parsed from `code`, with each Name `X` in `subs` replaced by subs[X] (an
    expression, a name string, or — for a placeholder statement `X` — a list of statements).
    Every new node gets the location of `loc`."""
    tree = ast.parse(code)
    if loc is not None:  # locate the template's own nodes; substituted ones keep theirs
        for n in ast.walk(tree):
            if "lineno" in n._attributes:
                point_location(n, loc)

    class _Sub(ast.NodeTransformer):
        def visit_Expr(self, node):
            if isinstance(node.value, ast.Name) and isinstance(subs.get(node.value.id), list):
                return subs[node.value.id]
            return self.generic_visit(node)

        def visit_Name(self, node):
            if node.id in subs:
                v = subs[node.id]
                if isinstance(v, str):
                    return ast.Name(id=v, ctx=node.ctx)
                v = copy.copy(v)
                if hasattr(v, "ctx"):
                    v.ctx = node.ctx
                return v
            return node

        def visit_arg(self, node):
            v = subs.get(node.arg)
            if isinstance(v, str):
                node.arg = v
            return node

        def visit_Nonlocal(self, node):
            return _rename_decl(node, subs)

        visit_Global = visit_Nonlocal

    return _Sub().visit(tree).body


def _rename_decl(node, subs):
    names = []
    for n in node.names:
        v = subs.get(n, n)
        names.extend(v if isinstance(v, (list, tuple)) else [v])
    if not names:
        return None
    node.names = names
    return node


def point_location(node, loc):
    """Give `node` the first line of `loc` only: a generated call spanning a whole compound
    statement would otherwise be reported (by Python 3.11 tracebacks and frame line numbers)
    at the statement's last line."""
    node.lineno = loc.lineno
    node.col_offset = loc.col_offset
    node.end_lineno = loc.lineno
    node.end_col_offset = loc.end_col_offset if loc.end_lineno == loc.lineno else \
        loc.col_offset
    return node


def expr(code, loc=None, **subs):
    return template(code, loc, **subs)[0].value


def transform(func_node, ctx):
    """Convert one function (FunctionDef or Lambda) in place. Nested functions and lambdas are
    converted first, each with its own Context; the enclosing function's converters then leave
    them alone (ScopedTransformer)."""
    from .converters import (asserts, break_statements, call_trees, conditional_expressions,
                             continue_statements, control_flow, lists, logical_expressions,
                             raise_statements, return_statements, variables)
    for child in _nested_scopes(func_node):
        if _is_generator(child):
            continue  # runs as written, like a top-level generator function
        child_ctx = Context(child, ctx.filename, ctx.source_lines)
        child_ctx.generated = ctx.generated
        transform(child, child_ctx)
    if isinstance(func_node, ast.Lambda):
        for conv in (call_trees, conditional_expressions, logical_expressions):
            func_node.body = conv.transform_expr(func_node.body, ctx)
        return func_node
    ctx.globals = analysis.declared(func_node, ast.Global)
    ctx.nonlocals = analysis.declared(func_node, ast.Nonlocal)
    ctx.params = analysis.parameters(func_node)
    for conv in (raise_statements, return_statements, break_statements, continue_statements,
                 asserts, lists, call_trees):
        conv.transform(func_node, ctx)
    analysis.annotate(func_node)
    for conv in (control_flow, conditional_expressions, logical_expressions, variables):
        conv.transform(func_node, ctx)
    ast.fix_missing_locations(func_node)
    return func_node


def _is_generator(func_node):
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await))
               for n in analysis._walk_scope(func_node))


def _nested_scopes(func_node):
    """Functions and lambdas defined directly in func_node's scope (not inside another one)."""
    out = []
    for n in analysis._walk_scope(func_node):
        if n is not func_node and isinstance(n, (ast.FunctionDef, ast.Lambda)):
            out.append(n)
    return out


class ScopedTransformer(ast.NodeTransformer):
    """A NodeTransformer that converts nested functions with their own Context (a nested def is
    converted as a whole, then left alone by the enclosing function's converters)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def visit_FunctionDef(self, node):
        return node  # converted on its own by `transform`

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node):
        return node
