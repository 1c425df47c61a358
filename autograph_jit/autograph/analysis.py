"""Static facts about one function's AST that the converters need: which names a statement
assigns, which it reads, and which are live (read later) after each `if`/`while`/`for`.

Scopes: nested functions, lambdas, classes and comprehensions have their own locals, so the
walkers never count their assignments; their *reads* count (a closure reads its free names
whenever it is called): a name a nested scope reads is live everywhere that scope may be called
(see _Liveness.always); names declared nonlocal/global are always live (other scopes read
them).

`annotate(func_node)` stores the results on the compound statements (anno.Static keys, see
anno.py), for control_flow.py:
  MODIFIED  - names assigned anywhere inside (bodies, targets), sorted; also
                      attribute paths (`self.acc`, `a.b.c`) assigned inside whose root name the
                      statement does not rebind, and the names nested functions of this one
                      declare `nonlocal` when the statement calls anything (a call can run them)
  LIVE_OUT  - names possibly read after the statement
  LIVE_HEAD - loops only: names possibly read at the start of an iteration (test or
                      body before being assigned, or after the loop)
"""
import ast

from . import anno

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


def attr_path(node):
    """'a.b.c' for the expression a.b.c (Names and Attributes only), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not parts or node.id == "ag__":
        return None
    return ".".join([node.id] + parts[::-1])


def attr_stores(nodes):
    """Attribute paths assigned (`a.b = ...`, `a.b += ...`) by `nodes` in the current scope."""
    out = set()
    for root in nodes if isinstance(nodes, list) else [nodes]:
        for n in _walk_scope(root):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                path = attr_path(n)
                if path is not None:
                    out.add(path)
    return out


def has_call(nodes):
    """Whether `nodes` call anything (in the current scope)."""
    return any(isinstance(n, ast.Call) for root in nodes for n in _walk_scope(root))


def nested_nonlocals(func_node):
    """Names that functions nested in `func_node` declare `nonlocal` (they may rebind them
    whenever they are called)."""
    out = set()
    for n in _walk_scope(func_node):
        if n is not func_node and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for m in ast.walk(n):
                if isinstance(m, ast.Nonlocal):
                    out.update(m.names)
    return out


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
    """[(ids of the if/while/for statements enclosing it, names it reads)] for each nested
    function/lambda/comprehension of `func_node`."""
    out = []
    argument_lambdas = _call_argument_lambdas(func_node)

    def visit(node, enclosing):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                if id(child) not in argument_lambdas:
                    out.append((frozenset(enclosing), loads(child)))
                continue
            inner = enclosing + [id(child)] if isinstance(child, (ast.If, ast.While, ast.For)) \
                else enclosing
            visit(child, inner)
    visit(func_node, [])
    return out


def _call_argument_lambdas(func_node):
    """ids of the lambdas written as a call's argument (`tf.cond(p, lambda: a, lambda: b)`,
    also inside the argument tuple of ag__.converted_call). Such a lambda counts where the call
    is, by the statement's own reads, not as a closure callable anywhere later (TF's liveness
    does the same). Otherwise a name assigned in a loop body and read only by such a lambda
    would become a loop variable with no value before the loop."""
    out = set()
    for n in ast.walk(func_node):
        if not isinstance(n, ast.Call):
            continue
        args = list(n.args) + [k.value for k in n.keywords]
        for a in args:
            items = a.elts if isinstance(a, ast.Tuple) else [a]
            out.update(id(x) for x in items if isinstance(x, ast.Lambda))
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
    """`always`: names live everywhere in the statements being processed: the reads of nested
    functions defined outside the innermost enclosing if/loop (they may be called anywhere in
    it; one defined inside counts where it is defined, by its free reads), the names nested
    functions rebind, and the function's own nonlocal/global names (read by other scopes)."""

    def __init__(self, scopes, base_live, local_names, call_modified=frozenset()):
        self.scopes = scopes  # [(ids of the if/loop statements around it, names it reads)]
        self.base = set(base_live) | set(call_modified)
        self.local = frozenset(local_names)
        self.call_modified = frozenset(call_modified)
        self._entered = []
        self._stack = [self._outside()]

    @property
    def always(self):
        return self._stack[-1]

    def _outside(self):
        """Reads of the scopes defined outside the innermost entered statement (around it)."""
        around = set(self._entered[:-1])
        out = set(self.base)
        for enclosing, reads in self.scopes:
            if enclosing <= around:
                out |= reads
        return out

    def _enter(self, stmt):
        self._entered.append(id(stmt))
        self._stack.append(self._outside())

    def _leave(self):
        self._entered.pop()
        self._stack.pop()

    def modified(self, stmts, extra=frozenset()):
        """What a compound statement with bodies `stmts` changes (see the module docstring)."""
        names = stores(stmts, self.local) | set(extra)
        if self.call_modified and has_call(stmts):
            names |= self.call_modified
        paths = {p for p in attr_stores(stmts) if p.split(".")[0] not in names}
        return sorted(names | paths)

    def block(self, stmts, out):
        live = set(out)
        for s in reversed(stmts):
            live = self.stmt(s, live) | self.always
        return live

    def stmt(self, s, out):
        if isinstance(s, ast.If):
            self._enter(s)
            try:
                anno.setanno(s, anno.Static.LIVE_OUT, set(out) | self.always)
                anno.setanno(s, anno.Static.MODIFIED, self.modified(s.body + s.orelse))
                return loads(s.test) | self.block(s.body, out) | self.block(s.orelse, out)
            finally:
                self._leave()
        if isinstance(s, (ast.While, ast.For)):
            self._enter(s)
            try:
                return self._loop(s, out)
            finally:
                self._leave()
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
        anno.setanno(s, anno.Static.LIVE_OUT, set(out) | self.always)
        extra = anno.getanno(s, anno.Basic.EXTRA_LOOP_TEST, None)
        test = s.test if isinstance(s, ast.While) else extra
        target_names = stores(s.target) if isinstance(s, ast.For) else set()
        head = set(out) | loads(test) | self.always
        while True:
            body_in = self.block(s.body, head) - target_names
            new = head | body_in
            if new == head:
                break
            head = new
        anno.setanno(s, anno.Static.LIVE_HEAD, head)
        anno.setanno(s, anno.Static.MODIFIED, self.modified(s.body, target_names))
        else_in = self.block(s.orelse, out)
        entry = head | else_in
        if isinstance(s, ast.For):
            entry |= loads(s.iter)
        return entry


def annotate(func_node):
    """Annotate MODIFIED / LIVE_OUT / LIVE_HEAD (anno.Static) on the compound statements of func_node
    (not those of nested functions: each function is annotated on its own)."""
    local_names = (parameters(func_node) | stores(func_node.body)
                   | declared(func_node, ast.Nonlocal)) - declared(func_node, ast.Global)
    call_modified = nested_nonlocals(func_node) & local_names
    shared = declared(func_node, ast.Nonlocal) | declared(func_node, ast.Global)
    _Liveness(nested_scope_reads(func_node), shared, local_names, call_modified).block(
        func_node.body, set())
