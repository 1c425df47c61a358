"""The persistent graph cache of Keras's compiled steps: a new process whose disk cache already
holds a step skips tracing it and the optimizer's passes.

`attach(function, owner)` gives a step's `tf.function` (the train/test/predict step of
`step_function.py`, the many-steps loop of `steps.py`) a cache that `Function._trace` asks
before tracing (`load`) and fills after a trace (`save`). An entry holds the traced graph, the
optimized graph (in graph_records.py's compact form, which a hit reads back without running the
IR verifier again), the output structure and the input signature; the lowering and object caches
(codegen/llvm/lowering_cache.py, runtime/cpu_engine.py) then find the rest.

Key: a sha256 of everything the trace depends on —
- the step's Python function described as data (`_Describer`): its module and name, its closure
  (the model, its layers, optimizer, compiled loss and metrics, walked attribute by attribute:
  numbers, strings, dtypes, shapes, NumPy arrays and constant tensors by their bytes, each
  variable by its position, name, dtype, shape and trainability, functions by module and name);
- the input specs of the trace (dtypes and shapes, relaxed dims as None) and the Python values;
- the function's options, the optimizer's global options, Keras's backend settings (floatx,
  epsilon, image data format);
- the package (every `.py` file of autograph_jit and its runtime by path, size and mtime, as
  Python validates its own bytecode cache), the Python and NumPy versions.
Anything the describer cannot state exactly — an object or function defined outside this
package (a user's layer, loss, activation, subclassed model, `Lambda`), a set, a generator — makes
the step uncacheable: it is traced as usual and nothing is stored (a miss, never a guess). A
graph holding RNG ops or an object the graph format cannot write is not stored either.

Writing: a store encodes the graphs at once (into plain JSON data) and hands the compressing
and writing to a writer thread, so the first step does not wait for the disk; `flush()` (called
by fit, evaluate and predict before they return) and the interpreter's exit wait for it. The
file appears atomically (a temporary file renamed): a process killed mid-write leaves none.

Entries live in the disk cache directory (`$AUTOGRAPH_JIT_CACHE_DIR`; `AUTOGRAPH_JIT_CACHE=0`
switches every disk cache off, `AUTOGRAPH_JIT_GRAPH_CACHE=0` this one alone) as `<key[:2]>/<key>.graph`: magic, key, length, sha256 of the body, then the
zlib-compressed JSON body; they count towards `$AUTOGRAPH_JIT_CACHE_MAX_MB`
(runtime/cache_files.py). An entry whose header, checksum or contents do not fit (truncated,
corrupted, from a process whose variables differ) is deleted with a warning and the step is
traced again.
"""
import functools
import hashlib
import json
import os
import sys
import threading
import time
import types
import weakref
import zlib

import numpy as np

from ...dtypes import DType
from ...passes import buffer_plan, pipeline
from ...runtime import cache_files, cpu_engine, forksafe
from ...tensor import EagerTensor, Tensor
from ...tensor_shape import TensorShape
from ...tracing.builder import GraphBuilder
from ...tracing.concrete import ConcreteFunction
from ...tracing.function import TRACE_LISTENERS
from ...tracing.graph_json import SaveError
from ...tracing.signature import TensorSpec, spec_of_key
from ...tracing.structure import LEAF
from ...tracing.symbolic import SymbolicTensor
from ...variables import Variable
from .. import backend as keras_backend
from . import graph_records

__all__ = ["attach", "flush", "STATS", "Uncacheable"]

MAGIC = b"AGJITGRAPH1\n"
_OFF = ("0", "false", "off", "")
_FORMAT = 2   # (2: graph_records.py; 1 was graph_json.py's form)
# attributes that hold what the steps made, not what they are made of
_SKIP_ATTRS = frozenset({"_functions", "history", "_fast_cache", "_native", "_cache",
                         "_holders", "_instances", "_trace_lock", "_keys", "_reasons",
                         "_general", "_graph_cache",
                         # transient: the optimizer's per-apply memo, fit's resume epoch
                         "_per_step", "_initial_epoch"})
# {"hits", "misses", "stores", "uncacheable", "discarded"} since the process started (tests,
# benchmarks)
STATS = {"hits": 0, "misses": 0, "stores": 0, "uncacheable": 0, "discarded": 0}
LAST_UNCACHEABLE = []   # [why the last uncacheable step was not cached]
_LOCK = threading.Lock()


class Uncacheable(Exception):
    """The step depends on something the key cannot describe exactly: do not cache it."""


def _uncacheable(why):
    _count("uncacheable")
    LAST_UNCACHEABLE[:] = [why]


def _count(name):
    with _LOCK:
        STATS[name] += 1


# -- the package ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def package_digest():
    """A digest of every .py file of the package and its runtime (path, size, mtime)."""
    here = os.path.abspath(__file__)   # autograph_jit/keras/models/graph_cache.py
    pkg = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    runtime = os.path.dirname(os.path.abspath(cpu_engine.__file__))
    return cache_files.source_stamp(list(dict.fromkeys([pkg, runtime])), once_per_process=True)


def _ours(module):
    return isinstance(module, str) and (module == "autograph_jit" or
                                        module.startswith("autograph_jit."))


# -- describing a step's Python function as data -------------------------------------------------
class _Describer:
    """Canonical, JSON-able description of an object graph; numbers variables as it meets them."""

    def __init__(self):
        self.seen = {}        # id -> reference number (objects, functions, containers)
        self.keep = []        # (keeps described objects alive while ids are in use)
        self.variables = []   # in first-met order

    def __call__(self, x):
        return self.describe(x)

    def describe(self, x):
        if x is None or isinstance(x, (bool, int, str)):
            return [type(x).__name__, x]
        if isinstance(x, float):
            return ["float", repr(x)]
        if isinstance(x, bytes):
            return ["bytes", hashlib.sha256(x).hexdigest()]
        if isinstance(x, DType):
            return ["dtype", x.name]
        if type(x) in (set, frozenset):  # (only of plain values: object order would vary)
            if not all(v is None or isinstance(v, (bool, int, str)) for v in x):
                raise Uncacheable("a set of objects")
            return [type(x).__name__, sorted(([type(v).__name__, v] for v in x), key=repr)]
        if isinstance(x, TensorShape):
            return ["shape", None if x.rank is None else list(x.as_tuple())]
        if isinstance(x, (np.ndarray, np.generic)):
            return self._array(np.asarray(x))
        if isinstance(x, (weakref.ref, type(threading.Lock()), type(threading.RLock()))):
            return ["skip"]
        ref = self.seen.get(id(x))
        if ref is not None:
            return ["ref", ref]
        self.seen[id(x)] = len(self.seen)
        self.keep.append(x)
        if isinstance(x, Variable):
            self.variables.append(x)
            return ["var", len(self.variables) - 1, x.name, x.dtype.name,
                    list(x.shape.as_tuple()), bool(x.trainable)]
        if isinstance(x, EagerTensor):
            return ["tensor", x.dtype.name] + self._array(np.asarray(x._value))[1:]
        if isinstance(x, (list, tuple)):
            kind = type(x)
            if kind not in (list, tuple) and not _ours(kind.__module__):
                raise Uncacheable(f"a {kind.__name__} container")
            return [kind.__name__, [self.describe(v) for v in x]]
        if isinstance(x, dict):
            if type(x) is not dict and not _ours(type(x).__module__):
                raise Uncacheable(f"a {type(x).__name__} mapping")
            return ["dict", [[self._key(k), self.describe(v)] for k, v in x.items()]]
        if isinstance(x, types.MethodType):
            return ["method", x.__func__.__qualname__, self.describe(x.__func__),
                    self.describe(x.__self__)]
        if isinstance(x, types.FunctionType):
            return self._function(x)
        if isinstance(x, types.BuiltinFunctionType):
            if not (_ours(x.__module__) or x.__module__ in ("builtins", "math")
                    or (x.__module__ or "").startswith("numpy")):
                raise Uncacheable(f"the builtin {x.__qualname__}")
            return ["builtin", x.__module__, x.__qualname__]
        if isinstance(x, type):
            if not (_ours(x.__module__) or x.__module__ == "builtins"):
                raise Uncacheable(f"the class {x.__qualname__} of {x.__module__}")
            return ["class", x.__module__, x.__qualname__]
        if isinstance(x, types.ModuleType):
            if not _ours(x.__name__) and x.__name__ not in ("numpy", "math"):
                raise Uncacheable(f"the module {x.__name__}")
            return ["module", x.__name__]
        return self._object(x)

    def _key(self, k):
        """A dict key; an int that is the id() of an object met before (tables keyed by
        identity, e.g. the optimizer's slot index) is described as that object."""
        if type(k) is int:
            ref = self.seen.get(k)
            if ref is not None:
                return ["id-of", ref]
        return self.describe(k)

    def _array(self, a):
        if a.dtype.hasobject:
            raise Uncacheable("an object array")
        data = np.ascontiguousarray(a)
        return ["ndarray", a.dtype.str, list(a.shape), hashlib.sha256(data.tobytes()).hexdigest()]

    def _function(self, f):
        if not _ours(f.__module__):
            raise Uncacheable(f"the function {f.__qualname__} of {f.__module__}")
        cells = []
        for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # (an empty cell)
                value = None
            cells.append([name, self.describe(value)])
        return ["function", f.__module__, f.__qualname__, f.__code__.co_firstlineno, cells,
                self.describe(f.__defaults__), self.describe(f.__kwdefaults__)]

    def _object(self, x):
        cls = type(x)
        bad = [c for c in cls.__mro__ if c is not object and not _ours(c.__module__)]
        if bad:
            raise Uncacheable(f"an object of class {bad[0].__qualname__} "
                              f"({bad[0].__module__})")
        state = []
        names = list(getattr(x, "__dict__", {}))
        for c in cls.__mro__:
            slots = c.__dict__.get("__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        for name in names:
            if name in _SKIP_ATTRS or name in ("__dict__", "__weakref__"):
                continue
            try:
                value = object.__getattribute__(x, name)
            except AttributeError:  # (an unset slot)
                continue
            state.append([name, self.describe(value)])
        return ["object", cls.__module__, cls.__qualname__, state]


def _arg_key_text(arg_key):
    """The trace's argument key as JSON, or Uncacheable when it holds object identities."""
    def walk(k):
        if k is None or isinstance(k, (bool, int, str)):
            return k
        if isinstance(k, float):
            return repr(k)
        if isinstance(k, tuple):
            if k and k[0] in ("variable", "object"):
                raise Uncacheable("an argument keyed by identity")
            return [walk(v) for v in k]
        raise Uncacheable(f"an argument key part of type {type(k).__name__}")
    return walk(arg_key)


def _fingerprint(fn, arg_key):
    """(key, variables in the description's order) for tracing `fn` with `arg_key`."""
    d = _Describer()
    desc = d.describe(fn.python_function)
    material = json.dumps([
        _FORMAT, package_digest(), sys.version, np.__version__,
        [fn._name, bool(fn._autograph), fn.backend, bool(fn.strict),
         bool(fn._reduce_retracing), d.describe(fn.optimizer_options)],
        d.describe(dict(pipeline.GLOBAL_OPTIONS)), d.describe(dict(keras_backend._SETTINGS)),
        _arg_key_text(arg_key), desc], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest(), d.variables, d.keep


# -- entries ----------------------------------------------------------------------------------------
def _path(key):
    directory = cpu_engine.cache_dir()
    return os.path.join(directory, key[:2], key + ".graph") if directory else None


def _discard(path, problem):
    _count("discarded")
    cache_files.discard(path, problem)


def _read(path, key):
    """The decoded JSON body stored at `path` under `key`; None when absent. A damaged entry is
    deleted with a warning (then None)."""
    body = cpu_engine.read_entry(path, key, MAGIC,
                                 on_damage=lambda problem: _discard(path, problem))
    if body is None:
        return None
    try:
        data = json.loads(zlib.decompress(body).decode())
    except (ValueError, zlib.error, UnicodeDecodeError) as e:
        _discard(path, f"unreadable ({type(e).__name__})")
        return None
    return data


def _write(path, key, data):
    body = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)
    cpu_engine.write_entry(path, key, body, MAGIC)


# -- the writer: entries are written beside the first step, not before it ---------------------
_PENDING = []             # [(path, key, data)] encoded, not yet written
_WRITER = []              # [the writer thread] while one runs
_WRITE_LOCK = forksafe.Lock()
forksafe.in_child(_WRITER.clear)  # (a forked child has no writer: its next save starts one)


def _write_later(path, key, data):
    """Queue an encoded entry (plain JSON data: nothing the step changes later) for the writer
    thread. It is not a daemon: the interpreter waits for it at exit; `flush` waits for it
    now. The write itself is atomic (cpu_engine.write_entry: a temporary file renamed), so a
    process killed mid-write leaves no entry, never half of one."""
    with _WRITE_LOCK:
        _PENDING.append((path, key, data))
        if _WRITER:
            return
        writer = threading.Thread(target=_drain, name="autograph_jit-graph-cache-writer")
        _WRITER.append(writer)
    writer.start()


def _drain():
    me = threading.current_thread()
    while True:
        with _WRITE_LOCK:
            if not _PENDING:
                if _WRITER and _WRITER[0] is me:
                    _WRITER.clear()
                return
            path, key, data = _PENDING.pop(0)
        _write(path, key, data)


def flush():
    """Write every queued graph cache entry; returns once they are on disk (fit, evaluate and
    predict call it before they return)."""
    with _WRITE_LOCK:
        writer = _WRITER[0] if _WRITER else None
    if writer is not None and writer is not threading.current_thread():
        writer.join()
    _drain()


# -- output structures ------------------------------------------------------------------------------
def _encode_structure(s):
    if s is LEAF:
        return {"leaf": 1}
    if s is None or isinstance(s, (bool, int, str)):
        return s
    if isinstance(s, float):
        return {"float": repr(s)}
    if type(s) in (list, tuple):
        return {type(s).__name__: [_encode_structure(v) for v in s]}
    if type(s) is dict and all(isinstance(k, str) for k in s):
        return {"dict": [[k, _encode_structure(v)] for k, v in s.items()]}
    raise Uncacheable(f"an output of type {type(s).__name__}")


def _decode_structure(d):
    if not isinstance(d, dict):
        return d
    (tag, body), = d.items()
    if tag == "leaf":
        return LEAF
    if tag == "float":
        return float(body)
    if tag == "list":
        return [_decode_structure(v) for v in body]
    if tag == "tuple":
        return tuple(_decode_structure(v) for v in body)
    if tag == "dict":
        return {k: _decode_structure(v) for k, v in body}
    raise ValueError(f"unknown structure tag {tag!r}")


def _specs_like(values, keys):
    """`values` with each tensor leaf replaced by the TensorSpec of the next tensor key (the
    trace's signature: relaxed dims stay None)."""

    def walk(v):
        if isinstance(v, (Tensor, TensorSpec, np.ndarray)):
            return spec_of_key(("tensor",) + tuple(next(keys)[1:]))
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
            return type(v)(walk(x) for x in v)
        if isinstance(v, dict) or hasattr(v, "_fields"):
            raise Uncacheable("a dict or namedtuple argument")
        return v
    return [walk(v) for v in values]


def _has_rng(graph):
    return any("rng" in node.op.effects for node in graph.walk())


# -- the cache a Function asks ----------------------------------------------------------------------
class StepGraphCache:
    """What `Function._trace` asks before tracing (`load`) and tells after (`save`)."""

    def __init__(self):
        self._pending = None   # (fn, arg_key, key, variables) of the last miss

    def load(self, fn, values, arg_key):
        """A ConcreteFunction rebuilt from the disk cache, or None (then the caller traces)."""
        self._pending = None
        t0 = time.perf_counter()
        if _path("0" * 64) is None or TRACE_LISTENERS or \
                os.environ.get("AUTOGRAPH_JIT_GRAPH_CACHE", "1") in _OFF:
            return None  # (off; or tf.summary's graph tracing, which wants a real trace)
        try:
            key, variables, keep = _fingerprint(fn, arg_key)
            signature = (tuple(_specs_like(values, iter(_tensor_leaf_keys(arg_key)))), {})
        except Uncacheable as e:
            _uncacheable(str(e))
            return None
        self._pending = (fn, arg_key, key, variables, keep, signature)
        path = _path(key)
        data = _read(path, key)
        if data is None:
            _count("misses")
            return None
        try:
            cf = _rebuild(fn, data, variables, signature)
            cf._optimized.structure_key = key  # (lowering_cache.key_for: no walk over nodes)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            _discard(path, f"it does not fit this process ({type(e).__name__}: {e})")
            _count("misses")
            return None
        self._pending = None
        cf.trace_seconds = 0.0
        cf.stage_times[:0] = [("graph cache", time.perf_counter() - t0)]
        _count("hits")
        return cf

    def save(self, fn, cf, arg_key):
        """Store `cf` (just traced for `arg_key` after a miss of `load`), when it can be."""
        pending, self._pending = self._pending, None
        if pending is None or pending[0] is not fn or pending[1] != arg_key:
            return
        _, _, key, variables, _, _ = pending
        if getattr(cf, "_created_variables", None) or _has_rng(cf.graph):
            _uncacheable("the trace created variables or holds RNG ops")
            return
        index = {id(v): k for k, v in enumerate(variables)}

        def var_key(v):
            k = index.get(id(v))
            if k is None:
                raise SaveError("a variable the key does not describe")
            return k
        try:
            optimized = cf.optimized_graph
            tables = graph_records.Tables()
            traced = graph_records.encode(cf.graph, tables, var_key)
            data = {"format": _FORMAT, "key": key, "tables": tables.as_json(), "traced": traced,
                    "optimized": graph_records.encode(optimized, tables, var_key),
                    "structure": _encode_structure(cf._output_structure),
                    "variables": [[v.name, v.dtype.name, list(v.shape.as_tuple())]
                                  for v in variables]}
        except (SaveError, Uncacheable) as e:
            _uncacheable(str(e))
            return
        _write_later(_path(key), key, data)  # (JSON data, encoded above: the graphs may change)
        optimized.structure_key = key  # (the lowering cache keys this graph by it, as on a hit)
        _count("stores")


def _tensor_leaf_keys(arg_key):
    out = []

    def walk(k):
        if isinstance(k, tuple) and k and k[0] in ("tensor", "spec"):
            out.append(k)
        elif isinstance(k, tuple) and k and k[0] in ("list", "tuple"):
            for c in k[1]:
                walk(c)
        elif isinstance(k, tuple) and k and k[0] in ("dict", "namedtuple"):
            raise Uncacheable("a dict or namedtuple argument")
    for k in arg_key:
        walk(k)
    return out


def _rebuild(fn, data, variables, signature):
    """The ConcreteFunction of an entry, its graphs' variables mapped to this process's."""
    if data["format"] != _FORMAT or len(data["variables"]) != len(variables):
        raise ValueError("a different variable list")
    for (name, dtype, shape), v in zip(data["variables"], variables):
        if name != v.name or dtype != v.dtype.name or list(shape) != list(v.shape.as_tuple()):
            raise ValueError(f"variable {v.name!r} differs")
    # (a damaged record raises here, not in the backend; graph_records.py says why the verifier
    # need not run again on what the writer stored from verified graphs)
    tables = graph_records.decode_tables(data["tables"])
    traced = graph_records.decode(data["traced"], tables, variables)
    optimized = graph_records.decode(data["optimized"], tables, variables)
    buffer_plan.run.__wrapped__(optimized)  # (the memory plan, in place: as the pipeline left it)
    builder = GraphBuilder(fn._name)
    builder.graph = traced
    inputs = [SymbolicTensor(p, builder) for p in traced.data_params]
    outputs = [SymbolicTensor(r, builder) for r in traced.data_results]
    structure = _decode_structure(data["structure"])
    cf = ConcreteFunction(fn._name, traced, inputs, outputs, structure, signature,
                          fn.python_function, backend=fn.backend)
    cf._created_variables = []
    cf.optimizer_options = fn.optimizer_options
    cf.strict = fn.strict
    cf._optimized = optimized
    return cf


def attach(function):
    """Let `function` (a step's tf.function) use the persistent graph cache; returns it."""
    function._graph_cache = StepGraphCache()
    return function
