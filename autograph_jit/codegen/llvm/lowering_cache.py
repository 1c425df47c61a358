"""The lowering cache: on a warm disk cache, skip building the LLVM module in Python.

The object cache (runtime/cpu_engine.py) is keyed by the IR text, so without this the whole
Python lowering (lower.py and the kernel emitters, then str(module)) runs on every first call
in a new process just to find the object. This cache stores, per specialized graph, everything
Executable takes from the Lowerer besides the module: the IR text (compressed; it still goes to
cpu_engine, which hashes it into the object key, so the object loaded always matches the IR),
the workspace size, the error table, the kernel annotations, the host-callback nodes and
fallbacks (as positions in graph.walk() order), and the external symbols the IR declares.

Key: a hash of the graph's whole structure (ops, node and value names, attrs with constants'
bytes, value types, source locations, region bodies; or the `structure_key` digest a graph
cache gave the graph, see key_for), the input specs, the variables' dtypes
and shapes, the math provider, the host CPU and LLVM version (via cpu_engine.cache_key), the
relevant environment, and the source files of the compiler and runtime (by path, size and
mtime), so any code change misses. An attr of a type not listed here makes a graph uncacheable (a miss, never a guess).

Entries: MAGIC + key (64 hex) + length (u64) + sha256 of the body + body; a corrupted,
truncated or foreign file is ignored. Follows AUTOGRAPH_JIT_CACHE / AUTOGRAPH_JIT_CACHE_DIR.
"""
import functools
import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np

from ...runtime import cpu_engine
from ...runtime import cache_files
from ...dtypes import as_dtype
from .scalar import ErrorTable
from ...dtypes import DType
from ...ir import gc_pause
from ...ir.graph import Graph
from ...tensor_shape import TensorShape
from ...variables import Variable

MAGIC = b"AGJITLOW1\n"
_ENV = ("AUTOGRAPH_JIT_NUM_THREADS", "AUTOGRAPH_JIT_OPT_LEVEL")
_SOURCE_DIRS = ("codegen", "runtime", "ops", "ir")
_SOURCE_FILES = ("dtypes.py", "tensor_shape.py", "variables.py")


class Uncacheable(Exception):
    """The graph holds something this cache cannot describe exactly: do not cache it."""


# -- the key ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def source_digest():
    """A digest of the compiler's and runtime's source files (path, size, mtime:
    runtime/cache_files.py `source_stamp`)."""
    pkg = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    roots = [os.path.join(pkg, d) for d in _SOURCE_DIRS if d != "runtime"]
    roots.append(os.path.dirname(os.path.abspath(cpu_engine.__file__)))
    return cache_files.source_stamp(roots, [os.path.join(pkg, f) for f in _SOURCE_FILES],
                                    once_per_process=True)


class _Writer:
    """Canonical text of a graph, appended piecewise to a hash."""

    def __init__(self, variables):
        self.h = hashlib.sha256()
        self.vals = {}
        self.vars = {id(v): k for k, v in enumerate(variables)}

    def put(self, *parts):
        self.h.update(repr(parts).encode())
        self.h.update(b"\n")

    def value(self, v):
        k = self.vals[v.id] = len(self.vals)
        self.put("v", k, v.name, type(v.type).__name__, str(v.type))

    def ref(self, v):
        try:
            return self.vals[v.id]
        except KeyError:  # not produced before its use: not a graph this cache understands
            raise Uncacheable("a value used before it is defined") from None

    def graph(self, g):
        self.put("graph", g.name, len(g.params), len(g.nodes))
        for p in g.params:
            self.value(p)
        for n in g.nodes:
            loc = n.location
            where = None if loc is None else (loc.filename, loc.lineno, loc.source, loc.function)
            self.put("node", n.op.name, n.name, [self.ref(v) for v in n.inputs], where)
            for name in sorted(n.attrs):
                self.put("attr", name)
                self.attr(n.attrs[name])
            for v in n.outputs:
                self.value(v)
        self.put("results", [self.ref(v) for v in g.results])

    def attr(self, a):
        if a is None or isinstance(a, (bool, int, float, str, bytes)):
            self.put(type(a).__name__, repr(a))
        elif isinstance(a, (tuple, list)):
            self.put(type(a).__name__, len(a))
            for x in a:
                self.attr(x)
        elif isinstance(a, dict):
            if not all(isinstance(k, str) for k in a):
                raise Uncacheable("a dict attr with non-string keys")
            self.put("dict", sorted(a))
            for k in sorted(a):
                self.attr(a[k])
        elif isinstance(a, np.ndarray):
            if a.dtype.hasobject:
                raise Uncacheable("an object array attr")
            self.put("ndarray", a.dtype.str, a.shape)
            self.h.update(np.ascontiguousarray(a).tobytes())
        elif isinstance(a, np.generic):
            self.put("scalar", a.dtype.str, a.tobytes())
        elif isinstance(a, DType):
            self.put("dtype", a.name)
        elif isinstance(a, TensorShape):
            self.put("shape", None if a.rank is None else a.as_list())
        elif isinstance(a, Graph):
            self.graph(a)
        elif isinstance(a, Variable):
            if id(a) not in self.vars:
                raise Uncacheable("a variable outside the graph's variable list")
            self.put("var", self.vars[id(a)], a.name, a.dtype.name, str(a.shape),
                     np.shape(a._value))
        else:
            raise Uncacheable(f"an attr of type {type(a).__name__}")


def attr_digest(value):
    """A digest of one attribute value, encoded as the key encodes attrs (so 0.0 and -0.0, or
    1 and True, differ), or None for a value the key cannot describe exactly."""
    w = _Writer(())
    try:
        w.attr(value)
    except Uncacheable:
        return None
    return w.h.hexdigest()


def key_for(graph, in_specs, variables, math_tag):
    """The cache key (64 hex), or None when the graph cannot be described exactly.

    A graph carrying `structure_key` (a hex digest that determines the whole graph, set by the
    cache that stored or rebuilt it: keras/models/graph_cache.py) is keyed by that digest and
    its variables' dtypes and shapes instead of a walk over its nodes."""
    if cpu_engine.cache_dir() is None:
        return None
    w = _Writer(variables)
    known = getattr(graph, "structure_key", None)
    if isinstance(known, str) and len(known) == 64:
        w.put("graph key", known, [(v.dtype.name, np.shape(v._value)) for v in variables])
    else:
        try:
            w.graph(graph)
        except Uncacheable:
            return None
    w.put("specs", [(s.dtype.name, tuple(s.shape)) for s in in_specs])
    w.put("env", [os.environ.get(k) for k in _ENV], _cpus(), np.__version__, sys.version,
          math_tag)
    return cpu_engine.cache_key(f"; lowering {source_digest()} {w.h.hexdigest()}")


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count()


# -- entries ---------------------------------------------------------------------------------
def _path(key):
    directory = cpu_engine.cache_dir()
    return os.path.join(directory, key[:2], key + ".lower") if directory else None


class Entry:
    """A cached lowering: `meta` (JSON data) and the IR text."""

    def __init__(self, meta, ir_text):
        self.meta = meta
        self.ir_text = ir_text


def load(key):
    """The Entry stored under `key`, or None (absent, corrupted, foreign, malformed)."""
    path = _path(key) if key else None
    body = cpu_engine.read_entry(path, key, MAGIC) if path else None
    if body is None or len(body) < 4:
        return None
    try:
        (n,) = struct.unpack("<I", body[:4])
        meta = json.loads(zlib.decompress(body[4:4 + n]).decode())
        ir_text = zlib.decompress(body[4 + n:]).decode()
    except (ValueError, zlib.error, struct.error, UnicodeDecodeError):
        return None
    symbols = meta.get("symbols") if isinstance(meta, dict) else None
    if (meta.get("key") != key if isinstance(meta, dict) else True) or not (
            isinstance(symbols, list) and all(isinstance(x, str) for x in symbols)):
        return None
    return Entry(meta, ir_text)


def discard(lowered, problem):
    """Delete the cache entry `lowered` came from, with a warning naming what is wrong."""
    path = _path(lowered.key) if lowered.key else None
    if path is not None:
        cache_files.discard(path, problem)


def store(key, meta, ir_text):
    path = _path(key) if key else None
    if path is None:
        return
    packed = zlib.compress(json.dumps(dict(meta, key=key)).encode(), 1)
    body = struct.pack("<I", len(packed)) + packed + zlib.compress(ir_text.encode(), 1)
    cpu_engine.write_entry(path, key, body, MAGIC)


# -- what Executable takes from the Lowerer --------------------------------------------------
def meta_of(graph, lw, ir_text):
    """The JSON-able record of a finished Lowerer, or None when a node is not in the graph."""
    pos = {id(n): k for k, n in enumerate(graph.walk())}
    if any(id(n) not in pos for n, _ in lw.fallbacks) or any(
            id(n) not in pos for n, _, _ in lw.host_nodes):
        return None
    return {
        "ws_size": lw.ws_size,
        "errors": [list(e) for e in lw.errors.entries],
        "annotations": lw.annotations,
        "fallbacks": [[pos[id(n)], reason] for n, reason in lw.fallbacks],
        "host_nodes": [[pos[id(n)], [[d.name, list(s), list(st)] for d, s, st in ins],
                        [[d.name, list(s)] for d, s in outs]] for n, ins, outs in lw.host_nodes],
        "symbols": declared_symbols(ir_text),
    }


def declared_symbols(ir_text):
    """Names the module declares but does not define (resolved when the object is loaded)."""
    out = []
    for line in ir_text.splitlines():
        if line.startswith("declare "):
            at = line.find("@")
            name = line[at + 1:line.index("(", at)].strip('"')
            if not name.startswith("llvm."):  # intrinsics are LLVM's own
                out.append(name)
    return out


# who registers each external symbol a lowering may declare (what the kernel emitters do while
# lowering; a hit must do it too, or MCJIT could not resolve the object): name prefixes ->
# (module under autograph_jit, function taking the names it matched); imported only when needed.
# BLAS installs per symbol (runtime/blas.py install_for): SciPy's BLAS loads only for a module
# that calls a serial wrapper or a SciPy routine.
_INSTALLERS = (
    (("ag_matmul", "ag_matvec", "ag_sgemm", "ag_dgemm", "ag_sgemv", "ag_dgemv", "ag_cblas_"),
     ("runtime.blas", "install_for")),
    (("ag_parallel_for",), ("codegen.llvm.parallel", "install")),
    (("realloc", "free"), ("codegen.llvm.k_grow", "install_libc")),
    (("agj_rng_take",), ("codegen.llvm.k_random", "_register")),
)
_TAKES_NAMES = frozenset({"install_for"})


def resolve_symbols(names):
    """Register what `names` need; False when one stays unresolvable (then: a miss)."""
    try:
        link_symbols(names)
    except Exception:  # noqa: BLE001 - the full lowering reports it properly
        return False
    return True


def link_symbols(names):
    """Install (compile once per process, or load from the disk cache) and register the
    runtime code behind each external symbol in `names` that is not registered yet: what a
    module needs before MCJIT links it. A fresh lowering only declares these symbols (its
    emitters check that the libraries behind them exist), so this runs at link time, while
    the prewarm thread has had the whole lowering to make them. Raises the installer's error,
    or RuntimeError naming a symbol nothing provides."""
    import importlib

    import llvmlite.binding as llvm
    todo = [n for n in names if not llvm.address_of_symbol(n)]
    if not todo:
        return
    for prefixes, (module, function) in _INSTALLERS:
        matched = [n for n in todo if n.startswith(prefixes)]
        if matched:
            install = getattr(importlib.import_module("autograph_jit." + module), function)
            if function in _TAKES_NAMES:
                install(matched)
            else:
                install()
    missing = [n for n in names if not llvm.address_of_symbol(n)]
    if missing:
        raise RuntimeError(f"autograph_jit CPU backend: no runtime code provides {missing}")


def rebuild(graph, meta):
    """(fallbacks, host_nodes, errors entries) with nodes of `graph`; None if they do not fit."""
    nodes = list(graph.walk())
    try:
        fallbacks = [(nodes[k], reason) for k, reason in meta["fallbacks"]]
        host = [(nodes[k], [(as_dtype(d), tuple(s), tuple(st)) for d, s, st in ins],
                 [(as_dtype(d), tuple(s)) for d, s in outs]) for k, ins, outs in meta["host_nodes"]]
        errors = [(str(m), str(loc)) for m, loc in meta["errors"]]
        ws_size = int(meta["ws_size"])
        annotations = {str(k): str(v) for k, v in meta["annotations"].items()}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    return fallbacks, host, errors, ws_size, annotations



# -- the lowering, through the cache ---------------------------------------------------------
class Lowered:
    """What Executable uses of a lowering, from the Lowerer or from a cache entry."""

    def __init__(self, ir_text, annotations, fallbacks, errors, host_nodes, ws_size, cached,
                 key=None):
        self.key = key                  # the cache key it was read from (cached) or None
        self.ir_text = ir_text
        self.annotations = annotations
        self.fallbacks = fallbacks      # [(node, reason)]
        self.errors = errors            # ErrorTable
        self.host_nodes = host_nodes    # [(node, in (dtype, shape, strides), out (dtype, shape))]
        self.ws_size = ws_size
        self.cached = cached            # True: taken from the lowering cache


def math_tag(math_provider):
    """How the key names the math provider; None for one it cannot name (then: no cache)."""
    return "none" if math_provider is None else getattr(math_provider, "cache_tag", None)


@gc_pause.pausing  # (no garbage collection walks the heap mid-compile)
def lower(graph, specs, in_specs, variables, written, math_provider, use_cache=True,
          early=None):
    """Lower `graph` (specialized as `specs`) to IR, or take a cached lowering of it. `early`,
    when given, is called with each kernel part that closes while the lowering runs
    (early_parts.py), to start compiling it."""
    tag = math_tag(math_provider)
    key = key_for(graph, in_specs, variables, tag) if use_cache and tag else None
    entry = load(key) if key else None
    if entry is not None and resolve_symbols(entry.meta["symbols"]):
        parts = rebuild(graph, entry.meta)
        if parts is not None:
            fallbacks, host, entries, ws_size, annotations = parts
            errors = ErrorTable()
            for message, location in entries:
                errors.code(message, location)
            if len(errors.entries) == len(entries):  # (codes are positions: none may merge)
                return Lowered(entry.ir_text, annotations, fallbacks, errors, host, ws_size,
                               True, key)
    from .backend import finish_ir
    from .lower import Lowerer  # (the lowerer and every kernel emitter: only on a miss)
    lw = Lowerer(graph, specs, variables, written, math_provider=math_provider)
    if early is not None:
        from .early_parts import EarlyParts
        lw.early = EarlyParts(lw.module, early)
    module = lw.lower_function()
    ir_text = finish_ir(module, lw.early.module_text() if lw.early is not None else None)
    if key:
        meta = meta_of(graph, lw, ir_text)
        if meta is not None:
            store(key, meta, ir_text)
    out = Lowered(ir_text, lw.annotations, lw.fallbacks, lw.errors, lw.host_nodes, lw.ws_size,
                  False)
    out.ws_per_n = lw.ws_per_n  # workspace bytes per unit of a symbolic dim (never cached)
    return out


__all__ = ["lower", "Lowered", "key_for", "attr_digest", "load", "store", "discard", "meta_of",
           "rebuild", "resolve_symbols", "link_symbols", "Entry", "source_digest"]
