"""Static facts about one function's AST that the converters need: which names a statement
assigns, which it reads, and which are live (read later) after each `if`/`while`/`for`.

Scopes: nested functions, lambdas, classes and comprehensions have their own locals, so the
walkers never count their assignments; their *reads* count (a closure reads its free names
whenever it is called), and every name read by any nested scope is treated as live everywhere.

`annotate(func_node)` stores the results on the compound statements, for control_flow.py:
  node.ag_modified  - names assigned anywhere inside (bodies, targets), sorted
  node.ag_live_out  - names possibly read after the statement
  node.ag_live_head - loops only: names possibly read at the start of an iteration (test or
                      body before being assigned, or after the loop)
"""
import ast

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Methods that change their receiver in place: the receiver counts as modified (a TensorArray
# or list carried through a graph loop).
MUTATORS = frozenset({"append", "write", "unstack", "scatter", "extend", "insert", "pop",
                      "list_append"})


def _walk_scope(node):
    """ast.walk that does not enter nested scopes (but yields the scope nodes themselves)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n is not node and isinstance(n, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(n))


def stores(nodes, mutable=frozenset()):
    """Names bound by `nodes` (a node or a list) in the current scope, plus the names in
    `mutable` (the function's locals) changed in place by a MUTATORS method or list_append."""
    out = set()
    for root in nodes if isinstance(nodes, list) else [nodes]:
        for n in _walk_scope(root):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and n is not root:
                out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out.update((a.asname or a.name).split(".")[0] for a in n.names)
            elif isinstance(n, ast.ExceptHandler) and n.name:
                out.add(n.name)
            elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and \
                    isinstance(n.value, ast.Name) and n.value.id in mutable:
                out.add(n.value.id)  # d[k] = v changes d in place
            elif isinstance(n, ast.Call) and mutable:
                name = _mutated(n)
                if name in mutable:
                    out.add(name)
    return out


def _mutated(call):
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr == "converted_call" and call.args and \
            isinstance(f.value, ast.Name) and f.value.id == "ag__":
        f = call.args[0]  # ag__.converted_call(x.write, ...)
        return f.value.id if isinstance(f, ast.Attribute) and f.attr in MUTATORS and \
            isinstance(f.value, ast.Name) else None
    if isinstance(f, ast.Attribute) and f.attr in MUTATORS and isinstance(f.value, ast.Name):
        if f.value.id != "ag__":
            return f.value.id
        if f.attr == "list_append" and call.args and isinstance(call.args[0], ast.Name):
            return call.args[0].id
    return None


def loads(nodes):
    """Names read by `nodes`, including the free reads of nested scopes."""
    out = set()
    for root in nodes if isinstance(nodes, list) else [nodes]:
        if root is None:
            continue
        for n in ast.walk(root):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                out.add(n.id)
    return out


def nested_scope_reads(func_node):
    """Names read inside nested functions/lambdas/comprehensions of `func_node`."""
    out = set()
    for n in _walk_scope(func_node):
        if n is not func_node and isinstance(n, _SCOPES):
            out |= loads(n)
    return out


def declared(func_node, kind):
    """Names declared `global` (kind=ast.Global) or `nonlocal` in this scope."""
    out = set()
    for n in _walk_scope(func_node):
        if isinstance(n, kind):
            out.update(n.names)
    return out


def parameters(func_node):
    a = func_node.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return set(names)


# ----------------------------------------------------------------------------------------------
# liveness
# ----------------------------------------------------------------------------------------------


class _Liveness:
    def __init__(self, always_live, local_names):
        self.always = set(always_live)
        self.local = frozenset(local_names)

    def block(self, stmts, out):
        live = set(out)
        for s in reversed(stmts):
            live = self.stmt(s, live) | self.always
        return live

    def stmt(self, s, out):
        if isinstance(s, ast.If):
            s.ag_live_out = set(out) | self.always
            s.ag_modified = sorted(stores(s.body + s.orelse, self.local))
            return loads(s.test) | self.block(s.body, out) | self.block(s.orelse, out)
        if isinstance(s, (ast.While, ast.For)):
            return self._loop(s, out)
        if isinstance(s, (ast.With, ast.AsyncWith)):
            inner = self.block(s.body, out)
            bound = stores([i.optional_vars for i in s.items if i.optional_vars is not None])
            return (inner - bound) | loads([i.context_expr for i in s.items])
        if isinstance(s, ast.Try):
            parts = s.body + s.orelse + s.finalbody + [h for h in s.handlers]
            for blk in (s.body, s.orelse, s.finalbody):
                self.block(blk, out)
            for h in s.handlers:
                self.block(h.body, out)
            return set(out) | loads(parts)
        if isinstance(s, ast.AugAssign):
            name = s.target.id if isinstance(s.target, ast.Name) else None
            live = set(out) - {name}
            return live | loads(s) | ({name} if name else set())
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            deco = s.decorator_list + (s.args.defaults + s.args.kw_defaults
                                       if not isinstance(s, ast.ClassDef) else s.bases)
            return (set(out) - {s.name}) | loads([d for d in deco if d is not None]) | loads(s)
        return (set(out) - stores(s)) | loads(s)

    def _loop(self, s, out):
        s.ag_live_out = set(out) | self.always
        extra = getattr(s, "ag_extra_test", None)
        test = s.test if isinstance(s, ast.While) else extra
        target_names = stores(s.target) if isinstance(s, ast.For) else set()
        head = set(out) | loads(test) | self.always
        while True:
            body_in = self.block(s.body, head) - target_names
            new = head | body_in
            if new == head:
                break
            head = new
        s.ag_live_head = head
        s.ag_modified = sorted(stores(s.body, self.local) | target_names)
        else_in = self.block(s.orelse, out)
        entry = head | else_in
        if isinstance(s, ast.For):
            entry |= loads(s.iter)
        return entry


def annotate(func_node):
    """Set ag_modified / ag_live_out / ag_live_head on the compound statements of func_node
    (not those of nested functions: each function is annotated on its own)."""
    local_names = (parameters(func_node) | stores(func_node.body)
                   | declared(func_node, ast.Nonlocal)) - declared(func_node, ast.Global)
    _Liveness(nested_scope_reads(func_node), local_names).block(func_node.body, set())
