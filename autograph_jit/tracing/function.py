"""tf.function: the decorator, the per-signature cache of ConcreteFunctions, and retracing.

A call binds its arguments to the Python signature, computes the cache key (signature.py) plus
the current values of the Python globals/closure cells the function read when traced (a changed
global retraces instead of returning a stale result), and runs the cached ConcreteFunction —
tracing a new one on a miss, with the reason recorded (`retrace_reasons()`), and one warning
naming the argument and the fix once a function has traced five times.
"""
import collections
import functools
import inspect
import time
import types
import warnings
import weakref

import numpy as np

from .. import config as _config
from .. import tracebacks as _tracebacks
from ..ir import gc_pause
from ..ir.types import TensorType
from ..ir.verifier import verify
from ..errors import UnavailableError
from ..runtime import forksafe
from ..tensor import Tensor, convert_to_tensor
from . import context
from .builder import GraphBuilder
from .concrete import _LEAF, ConcreteFunction
from .warm_call import FAST_CACHE_LIMIT, MISS, fast_caller
from .warm_call import fast_key as _fast_key
from .signature import (TensorSpec, call_key, describe_change, has_unknown_dims, key_matches,
                        relax, spec_of_key)
from .. import nest
from ..passes.pipeline import check_options
from ..autograph import api as _ag

RETRACE_WARNING_THRESHOLD = 5
_BUILTIN = type(len)


def _always_miss(args):
    return MISS

_CONFIG = _config._state
_GUARDABLE = (int, float, bool, str, bytes, type(None))


# Told of every ConcreteFunction traced (tf.summary.trace_on registers one).
TRACE_LISTENERS = []


class Function:
    """What `@tf.function` returns (TF's `tf.types.experimental.GenericFunction`).

    >>> f = tf.function(lambda x: x * 2)
    >>> print(f(tf.constant(2)))
    tf.Tensor(4, shape=(), dtype=int32)
    >>> f.experimental_get_tracing_count()
    1
    """

    # `_native` is a slot: the native dispatcher reads it at a fixed offset
    __slots__ = ("_native", "__dict__", "__weakref__")

    def __init__(self, python_function, name=None, input_signature=None, autograph=True,
                 reduce_retracing=False, jit_compile=None, backend=None, strict=False,
                 experimental_autograph_options=None, experimental_relax_shapes=None,
                 optimizer_options=None, experimental_trace_cache_size=None):
        if not callable(python_function):
            raise TypeError(f"tf.function expects a callable, got {python_function!r}")
        functools.update_wrapper(self, python_function, updated=())
        self.python_function = python_function
        self._name = name or getattr(python_function, "__name__", "function")
        self.input_signature = None if input_signature is None else tuple(input_signature)
        self._autograph = autograph
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self.jit_compile = jit_compile
        self.backend = backend or _config.default_backend()
        self._explicit_backend = backend    # None: a tf.device scope picks (_for_device)
        self._by_device = {}                # backend -> this function's twin for a tf.device
        if self.backend == "cpu":  # LLVM/BLAS setup overlaps the first trace
            from ..codegen import prewarm
            prewarm()
        self.strict = strict
        if optimizer_options is not None:
            check_options(optimizer_options)
        self.optimizer_options = None if optimizer_options is None else dict(optimizer_options)
        if experimental_trace_cache_size is not None:
            _config._positive_size(experimental_trace_cache_size, "experimental_trace_cache_size")
        self._cache_size = experimental_trace_cache_size  # None: tf.config's
        self._cache = collections.OrderedDict()  # key -> ConcreteFunction, least recent first
        self._evicted = 0           # traces dropped from the cache (LRU)
        self._general = []          # (relaxed key, ConcreteFunction) for reduce_retracing
        self._keys = []             # keys in trace order (for miss explanations)
        self._reasons = []
        self._tracing_count = 0
        self._first_trace_done = False
        self._warned = False
        self._guards = []           # (kind, name) of Python values the traces depend on
        self._holders = {}          # id(ConcreteFunction) -> objects its key holds by id
        self._instances = weakref.WeakKeyDictionary()
        self._fast_cache = {}       # fast key -> (guard values, warm_call.fast_caller closure)
        self._native = _always_miss  # the newest native warm call (native_call.py), if no guards
        self._trace_lock = forksafe.RLock()
        try:
            self._signature = inspect.signature(python_function)
        except (TypeError, ValueError):
            self._signature = None

    # -- methods: one Function (and cache) per instance, as TF ------------------------------------
    def __get__(self, instance, owner):
        if instance is None:
            return self
        try:
            bound = self._instances.get(instance)
        except TypeError:  # unhashable / un-weakref-able instance
            bound = None
        if bound is None:
            with self._trace_lock:  # threads binding at once must share one bound Function
                return self._bind_instance(instance)
        return bound

    def _bind_instance(self, instance):
        try:
            bound = self._instances.get(instance)
        except TypeError:
            bound = None
        if bound is None:
            bound = Function(types.MethodType(self.python_function, instance), name=self._name,
                             input_signature=self.input_signature, autograph=self._autograph,
                             reduce_retracing=self._reduce_retracing,
                             jit_compile=self.jit_compile, backend=self._explicit_backend,
                             strict=self.strict, optimizer_options=self.optimizer_options,
                             experimental_trace_cache_size=self._cache_size)
            try:
                self._instances[instance] = bound
            except TypeError:
                pass
        return bound

    # -- public API -------------------------------------------------------------------------------
    def experimental_get_tracing_count(self):
        return self._tracing_count

    def retrace_reasons(self):
        """Why each trace after the first happened ('x: tensor float32[3] -> tensor int32[3]')."""
        return list(self._reasons)

    @property
    def function_spec(self):
        return self._signature

    def get_concrete_function(self, *args, **kwargs):
        """The ConcreteFunction for these arguments (values or TensorSpecs), tracing if needed."""
        if self.input_signature is not None and not args and not kwargs:
            args = self.input_signature
        if self._explicit_backend is None and context.current_device() is not None:
            twin = self._for_device()
            if twin is not self:
                return twin.get_concrete_function(*args, **kwargs)
        args = tuple(_spec_placeholder(a) for a in args)
        kwargs = {k: _spec_placeholder(v) for k, v in kwargs.items()}
        cf, _ = self._lookup(args, kwargs, for_concrete=True)
        return cf

    def _for_device(self):
        """This function, or its twin for the backend of the enclosing tf.device scope ("GPU":
        backend="gpu"; "CPU": the default backend, "cpu" when that is "gpu"): a function
        without an explicit backend keeps one trace cache per device. Inside a trace the outer
        function's backend decides."""
        if context.current_builder() is not None:
            return self
        kind = context.current_device()
        default = _config.default_backend()
        backend = "gpu" if kind == "GPU" else ("cpu" if default == "gpu" else default)
        if backend == self.backend:
            return self
        twin = self._by_device.get(backend)
        if twin is None:
            with self._trace_lock:
                twin = self._by_device.get(backend)
                if twin is None:
                    twin = Function(self.python_function, name=self._name,
                                    input_signature=self.input_signature,
                                    autograph=self._autograph,
                                    reduce_retracing=self._reduce_retracing,
                                    jit_compile=self.jit_compile, backend=backend,
                                    strict=self.strict, optimizer_options=self.optimizer_options,
                                    experimental_trace_cache_size=self._cache_size)
                    twin._first_trace_done = self._first_trace_done
                    self._by_device[backend] = twin
        return twin

    def __call__(self, *args, **kwargs):
        """The call in Python, also `Function._call`: what `f(...)` runs when the native
        dispatcher (codegen/llvm/native_call.py `install_dispatcher`, which becomes
        `Function.__call__` once a native warm call exists) did not finish it, having tried the
        builtin in `self._native`."""
        __tracebackhide__ = True  # pytest and IPython hide this frame
        if _CONFIG["run_eagerly"]:  # (tf.config.functions_run_eagerly(), without a call)
            return self.python_function(*args, **kwargs)
        if context._local.device is not None and self._explicit_backend is None:
            twin = self._for_device()   # inside tf.device: that device's backend
            if twin is not self:
                return twin(*args, **kwargs)
        try:
            if not kwargs:
                # warm-call fast path (warm_call.py): any caller for these dtypes and shapes,
                # valid while the guarded Python values are those it was made under; MISS: the
                # caller did not apply (the newest native caller, `self._native`, was tried
                # first by the dispatcher, or just below without it, and is not asked again)
                native = self._native
                if not _DISPATCHER:
                    result = native(args)
                    if result is not MISS:
                        return result
                hit = self._fast_cache.get(_fast_key(args))
                if hit is not None and hit[1] is not native and (
                        not self._guards or hit[0] == self._guard_values()):
                    result = hit[1](args)
                    if result is not MISS:
                        return result
            # the full path (inline: the retrace warning's stacklevel counts these frames)
            fast = _fast_key(args) if not kwargs else None
            guards = self._guard_values()
            cf, tensors = self._lookup(args, kwargs)
            result = cf._call_flat(tensors)
            # (with an input_signature too: the key's exact dtypes and shapes passed its checks)
            if fast is not None and len(tensors) == len(args) \
                    and len(guards) == len(self._guards) and guards == self._guard_values() \
                    and len(self._fast_cache) < FAST_CACHE_LIMIT:
                caller = fast_caller(cf, tensors)
                if caller is not None:  # (None: not yet, ask on a later call)
                    self._fast_cache[fast] = (guards, caller)
                if not self._guards and type(caller) is _BUILTIN:
                    self._native = caller
                    if not _DISPATCHER:
                        _install_dispatcher()
            return result
        except Exception as e:
            raise e.with_traceback(_user_traceback(e.__traceback__))

    _call = __call__  # (the native dispatcher replaces __call__; see _install_dispatcher)

    def __repr__(self):
        return f"<autograph_jit.Function {self._name}>"

    def __reduce__(self):
        """Pickled by its Python function and options; the receiver traces again (pickling.py)."""
        from .pickling import reduce_function
        return reduce_function(self)

    # -- cache ------------------------------------------------------------------------------------
    def _bind(self, args, kwargs):
        if self._signature is None:
            return [f"arg{i}" for i in range(len(args))] + list(kwargs), list(args) + list(
                kwargs.values())
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self._name}(): {e}") from None
        bound.apply_defaults()
        return list(bound.arguments), list(bound.arguments.values())

    def _lookup(self, args, kwargs, for_concrete=False):
        if self.input_signature is not None:
            return self._lookup_signature(args, kwargs)
        names, values = self._bind(args, kwargs)
        tensors, holders = [], []
        arg_key = tuple(call_key(v, tensors, holders) for v in values)
        key = (arg_key, self._guard_values())
        cf = self._cached(key, arg_key)
        if cf is None:
            # one trace at a time: threads that miss together must share one ConcreteFunction
            # (two would compile twice, create variables twice, and race on variables)
            with self._trace_lock:
                cf = self._cached(key, arg_key)
                if cf is None:
                    trace_key = key
                    if self._reduce_retracing and self._keys:
                        trace_key = self._relaxed(key) or key
                    self._note_retrace(names, key)  # (here: its warning's stacklevel)
                    cf = self._trace_new(names, values, holders, arg_key, key, trace_key)
        return cf, tensors

    def _cached(self, key, arg_key):
        """The ConcreteFunction traced for this key, or for a relaxed key that fits it."""
        cf = self._cache.get(key)
        if cf is not None:
            try:
                self._cache.move_to_end(key)  # (LRU order)
            except KeyError:  # another thread's trace evicted it meanwhile
                pass
        if cf is None and self._general:
            for general, gcf in self._general:
                if general[1] == key[1] and len(general[0]) == len(arg_key) and all(
                        key_matches(g, s) for g, s in zip(general[0], arg_key)):
                    return gcf
        return cf

    def _trace_new(self, names, values, holders, arg_key, key, trace_key):
        """Trace for trace_key (key, or its relaxed form) and cache the result."""
        cf = self._trace(names, values, trace_key[0], key)
        self._holders[id(cf)] = holders
        # the trace may have found new guarded globals: key it by the values it saw
        guards = self._guard_values()
        relaxed_trace = trace_key is not key
        key, trace_key = (arg_key, guards), (trace_key[0], guards)
        self._cache[key] = cf
        if relaxed_trace:
            self._cache[trace_key] = cf
        if any(has_unknown_dims(k) for k in trace_key[0]):
            self._general.append((trace_key, cf))
        self._evict()
        return cf

    def cached_concrete_functions(self):
        """The traces this function keeps now, least recently used first (each once).

        Returns:
          A tuple of ConcreteFunctions; at most `trace_cache_size()` of them.

        Example: `len(f.cached_concrete_functions())` after calls with three new shapes is 3.
        """
        out = {}
        for cf in self._cache.values():
            out.setdefault(id(cf), cf)
        return tuple(out.values())

    def trace_cache_size(self):
        """How many traces this function keeps (experimental_trace_cache_size, else
        tf.config.experimental.get_trace_cache_size())."""
        return self._cache_size if self._cache_size is not None else \
            _CONFIG["trace_cache_size"]

    def _evict(self):
        """Drop the least recently used traces past trace_cache_size(), and warn once, naming
        what keeps changing (else memory grows with every new shape or Python value)."""
        limit = self.trace_cache_size()
        live = {id(cf) for cf in self._cache.values()}
        dropped = 0
        while len(live) > limit:
            key, cf = self._cache.popitem(last=False)
            if any(other is cf for other in self._cache.values()):
                continue  # (a relaxed trace is stored under two keys)
            live.discard(id(cf))
            self._general = [(k, g) for k, g in self._general if g is not cf]
            self._holders.pop(id(cf), None)
            dropped += 1
        if not dropped:
            return
        self._evicted += dropped
        kept = set(self._cache)
        self._keys = [k for k in self._keys if k in kept]
        del self._reasons[:-max(limit, 100)]
        self._fast_cache = {}  # (its callers hold the dropped traces)
        self._native = _always_miss
        if self._evicted == dropped:
            reason = self._reasons[-1] if self._reasons else "new call signature"
            warnings.warn(
                f"tf.function '{self._name}' has more than {limit} traces; the least recently "
                f"used are dropped (and traced again if called again). The last retrace "
                f"happened because {reason}. Fix: pass that as a tensor instead of a Python "
                "value, give input_signature=[tf.TensorSpec(shape=[None, ...], ...)], or use "
                "@tf.function(reduce_retracing=True); raise the limit with "
                "experimental_trace_cache_size= or "
                "tf.config.experimental.set_trace_cache_size().", RuntimeWarning, stacklevel=5)

    def _relaxed(self, key):
        for old in reversed(self._keys):
            if old[1] != key[1] or len(old[0]) != len(key[0]):
                continue
            parts = [relax(a, b) for a, b in zip(old[0], key[0])]
            if all(p is not None for p in parts):
                return (tuple(parts), key[1])
        return None

    def _lookup_signature(self, args, kwargs):
        if kwargs:
            names = list(self._signature.parameters) if self._signature else []
            args = tuple(args) + tuple(kwargs[n] for n in names[len(args):] if n in kwargs)
        specs = self.input_signature
        if len(args) != len(specs):
            raise TypeError(f"{self._name}() takes {len(specs)} argument(s) per its "
                            f"input_signature {list(specs)}, got {len(args)}")
        tensors = []
        for value, spec in zip(nest.flatten(args), nest.flatten(specs)):
            if isinstance(value, TensorSpec):
                value_t = value
            elif isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
                value_t = convert_to_tensor(value)
            else:
                try:
                    value_t = convert_to_tensor(value, dtype=spec.dtype)
                except (TypeError, ValueError) as e:
                    raise TypeError(self._signature_error(value, spec, str(e))) from None
            if value_t.dtype != spec.dtype or not spec.shape.is_compatible_with(value_t.shape):
                raise TypeError(self._signature_error(value, spec))
            tensors.append(value_t)
        key = ("input_signature",)
        cf = self._cache.get(key)
        if cf is None:
            with self._trace_lock:  # (see _lookup)
                cf = self._cache.get(key)
                if cf is None:
                    names, _ = self._bind(specs, {}) if self._signature else (None, None)
                    arg_key = tuple(call_key(s, [], []) for s in specs)
                    arg_key = tuple(_spec_to_tensor_key(k) for k in arg_key)
                    self._note_retrace(names, key)
                    cf = self._trace(names, list(specs), arg_key, key)
                    self._cache[key] = cf
        return cf, [t for t in tensors if not isinstance(t, TensorSpec)]

    def _signature_error(self, value, spec, detail=""):
        got = (f"TensorSpec(shape={value.shape}, dtype={value.dtype!r})"
               if hasattr(value, "dtype") else repr(value))
        return (f"Binding inputs to tf.function `{self._name}` failed: can not cast {got} to "
                f"{spec!r}{': ' + detail if detail else ''}. The function was declared with "
                f"input_signature={list(self.input_signature)}; pass a tensor of dtype "
                f"{spec.dtype.name} and shape {spec.shape}, or remove/widen the input_signature.")

    def _guard_values(self):
        return tuple(_read_guard(self.python_function, kind, name) for kind, name in self._guards)

    def _note_retrace(self, names, key):
        if key in self._keys:  # an earlier trace for this key raised: trying again is no retrace
            return
        if self._keys and key != ("input_signature",):
            old = min(self._keys, key=lambda k: _distance(k, key))
            for general, _ in self._general:  # a relaxed trace that fits these arguments
                if len(general[0]) == len(key[0]) and all(
                        key_matches(g, a) for g, a in zip(general[0], key[0])):
                    old = (key[0], general[1])
                    break
            change = None
            if names and old[0] != key[0] and isinstance(old[0], tuple):
                change = describe_change(names, old[0], key[0])
                if change is not None:
                    change = (f"argument {change[0]}",) + tuple(change[1:])
            if change is None and old[1] != key[1]:
                change = self._guard_change(old[1], key[1])
            reason = (f"{change[0]}: {change[1]} -> {change[2]}" if change
                      else "new call signature")
            self._reasons.append(reason)
            if len(self._keys) + 1 >= RETRACE_WARNING_THRESHOLD and not self._warned:
                self._warned = True
                warnings.warn(
                    f"tf.function '{self._name}' has been traced {len(self._keys) + 1} times; "
                    f"the last retrace happened because {reason}. Each trace builds and compiles "
                    "a new graph. Fix: pass tensors instead of changing Python values, give "
                    "input_signature=[tf.TensorSpec(shape=[None, ...], ...)] to accept "
                    "varying shapes, or use @tf.function(reduce_retracing=True).",
                    stacklevel=4)
        self._keys.append(key)

    def _guard_change(self, old, new):
        for (kind, name), a, b in zip(self._guards, old, new):
            if a != b:
                return (f"{kind} {name!r}", repr(a), repr(b))
        return None

    # -- tracing ----------------------------------------------------------------------------------
    # a persistent cache of traced graphs (keras/models/graph_cache.py attaches one to Keras's
    # steps): `load` before tracing, `save` after
    _graph_cache = None

    @gc_pause.pausing  # (no garbage collection walks the heap mid-compile)
    def _trace(self, names, values, arg_key, key):
        start = time.perf_counter()
        store = self._graph_cache
        cf = store.load(self, values, arg_key) if store is not None else None
        if cf is not None:
            self._first_trace_done = True
            self._record_guards()
            return cf
        fn = self._converted()
        converted = time.perf_counter()
        cf = self._trace_once(fn, names, values, arg_key, allow_variables=True)
        if self._first_trace_done or not cf._created_variables:
            self._first_trace_done = True
        else:
            # TF semantics: a first trace that created variables is followed at once by a
            # trace that must not create any (the tf.Module singleton pattern).
            self._first_trace_done = True
            cf = self._trace_once(fn, names, values, arg_key, allow_variables=False)
        cf.trace_seconds = time.perf_counter() - start
        cf.stage_times[:0] = [("autograph convert", converted - start),
                              ("trace", cf.trace_seconds - (converted - start))]
        self._record_guards()
        if store is not None:
            store.save(self, cf, arg_key)
        return cf

    def _converted(self):
        if not self._autograph:
            return self.python_function
        return _ag.convert_for_tracing(self.python_function)

    def _trace_once(self, fn, names, values, arg_key, allow_variables):
        if self.backend == "gpu":
            _refuse_gpu(self._name)
        self._tracing_count += 1
        builder = GraphBuilder(self._name)
        builder.allow_variable_creation = allow_variables and not self._first_trace_done
        # The check trace right after a first trace that made variables, or a later trace.
        builder.variable_refusal = "later" if allow_variables else "every_call"
        params = []
        with context.building(builder):
            it = iter(_tensor_keys(arg_key))
            symbolic_values = [_substitute(v, it, builder, params, name)
                               for v, name in zip(values, names or [None] * len(values))]
            if self._signature is not None and names is not None:
                args, kwargs = _rebuild_call(self._signature, names, symbolic_values)
            else:
                args, kwargs = symbolic_values, {}
            outputs = fn(*args, **kwargs)
            result_values, structure, result_tensors = _collect_outputs(outputs, builder)
        graph = verify(builder.finish(result_values))
        sig = (tuple(_spec_of(v) for v in symbolic_values), {})
        cf = ConcreteFunction(self._name, graph, params, result_tensors, structure, sig,
                              self.python_function, backend=self.backend)
        cf._created_variables = builder.created_variables
        cf.graph_verified = True  # (just above: the pipeline's verify pass need not repeat it)
        cf.optimizer_options = self.optimizer_options
        cf.strict = self.strict
        for listener in TRACE_LISTENERS:
            listener(cf)
        return cf

    def _record_guards(self):
        fn = self.python_function
        func = getattr(fn, "__func__", fn)
        code = getattr(func, "__code__", None)
        if code is None:
            return
        known = set(self._guards)
        for name in code.co_names:
            if name in func.__globals__ and isinstance(func.__globals__[name], _GUARDABLE):
                known.add(("global", name))
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            try:
                if isinstance(cell.cell_contents, _GUARDABLE):
                    known.add(("closure", name))
            except ValueError:
                pass
        if len(known) != len(self._guards):
            old_guards = self._guards
            self._guards = sorted(known)
            self._fast_cache = {}  # entries made before a guard existed
            self._native = _always_miss
            # re-key existing traces with the guard values seen when they were made
            rekeyed = collections.OrderedDict()
            for k, cf in self._cache.items():
                if k == ("input_signature",):
                    rekeyed[k] = cf
                    continue
                old_vals = dict(zip(old_guards, k[1]))
                vals = tuple(old_vals.get(g, _read_guard(self.python_function, *g))
                             for g in self._guards)
                rekeyed[(k[0], vals)] = cf
            self._cache = rekeyed
            self._general = [((k[0], tuple(dict(zip(old_guards, k[1])).get(
                g, _read_guard(self.python_function, *g)) for g in self._guards)), cf)
                for k, cf in self._general]
            self._keys = [(k[0], tuple(dict(zip(old_guards, k[1])).get(
                g, _read_guard(self.python_function, *g)) for g in self._guards))
                if k != ("input_signature",) else k for k in self._keys]


def _read_guard(fn, kind, name):
    func = getattr(fn, "__func__", fn)
    if kind == "global":
        return func.__globals__.get(name, _MISSING)
    for n, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        if n == name:
            try:
                return cell.cell_contents
            except ValueError:
                return _MISSING
    return _MISSING


class _Missing:
    def __repr__(self):
        return "<undefined>"


_MISSING = _Missing()


def _distance(a, b):
    if not isinstance(a[0], tuple) or not isinstance(b[0], tuple) or len(a[0]) != len(b[0]):
        return 10 ** 6
    return sum(x != y for x, y in zip(a[0], b[0])) + (a[1] != b[1])


def _spec_placeholder(a):
    return a


def _spec_to_tensor_key(k):
    return ("tensor", k[1], k[2]) if k[0] == "spec" else k


def _tensor_keys(key):
    """Tensor leaf keys of an argument key, in call_key's traversal order."""
    out = []

    def walk(k):
        kind = k[0]
        if kind in ("tensor", "spec"):
            out.append(k)
        elif kind in ("list", "tuple", "namedtuple"):
            for c in k[1]:
                walk(c)
        elif kind == "dict":
            for _, c in k[1]:
                walk(c)
    for k in key:
        walk(k)
    return out


def _substitute(value, keys, builder, params, name):
    """Replace tensor leaves (and TensorSpecs) of an argument by symbolic parameters."""
    if isinstance(value, (Tensor, TensorSpec, np.ndarray)):  # (call_key's tensor leaves)
        k = next(keys)
        spec = spec_of_key(("tensor", k[1], k[2]))
        p = builder.add_param(TensorType(spec.dtype, spec.shape), name=name)
        t = builder.symbolic(p)
        params.append(t)
        return t
    if isinstance(value, list):
        return [_substitute(v, keys, builder, params, name) for v in value]
    if isinstance(value, tuple):
        items = [_substitute(v, keys, builder, params, name) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        order = sorted(value, key=repr)
        new = {k: _substitute(value[k], keys, builder, params, name) for k in order}
        return type(value)((k, new[k]) for k in value) if type(value) is not dict else \
            {k: new[k] for k in value}
    return value


def _rebuild_call(signature, names, values):
    args, kwargs = [], {}
    for name, value in zip(names, values):
        p = signature.parameters[name]
        if p.kind == p.VAR_POSITIONAL:
            args.extend(value)
        elif p.kind == p.VAR_KEYWORD:
            kwargs.update(value)
        elif p.kind == p.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return args, kwargs


def _refuse_gpu(name):
    """backend="gpu" runs only where a device is at hand (a CUDA GPU, or the host grid emulator
    with AUTOGRAPH_JIT_GPU=emulator); otherwise a clear UnavailableError naming what is missing
    and the alternatives, never a silent interpreter run."""
    from ..codegen.gpu.function import get_device
    try:
        get_device()
    except UnavailableError as e:
        raise UnavailableError(None, None, f"tf.function {name}: {e.message}") from None


def _spec_of(v):
    return nest.map_structure(lambda x: TensorSpec(x.shape, x.dtype) if isinstance(x, Tensor)
                              else x, v)


def _collect_outputs(outputs, builder):
    """Graph results for the tensor leaves of `outputs`; the structure keeps other values.

    Python numbers and NumPy values come back as tensors, as in TF (a function returning `3`
    returns `tf.Tensor(3)`); None and other objects are kept as they are."""
    flat = nest.flatten(outputs)
    values, tensors, structure_leaves = [], [], []
    for leaf in flat:
        if isinstance(leaf, Tensor) or hasattr(leaf, "_as_tensor") or \
                isinstance(leaf, (int, float, np.ndarray, np.generic)):
            t = convert_to_tensor(leaf)
            values.append(builder.value_of(t))
            tensors.append(t)
            structure_leaves.append(_LEAF)
        else:
            structure_leaves.append(leaf)
    structure = nest.pack_sequence_as(outputs, structure_leaves)
    return values, structure, tensors


_DISPATCHER = []  # [True] once Function.__call__ is the native dispatcher


def _install_dispatcher():
    """Make `Function.__call__` the native dispatcher (once; it needs the native warm call's
    setup, done by then): a warm call then runs no Python frame at all."""
    from ..codegen.llvm.native_call import install_dispatcher
    if install_dispatcher(Function, "_native", Function._call, MISS, _CONFIG, "python_calls"):
        _DISPATCHER.append(True)


def _user_traceback(tb):
    """The traceback without this library's frames (all of it if nothing else is left, or with
    tf.config.set_debug_tracebacks(True)); the frame rule is tracebacks.py's."""
    if _tracebacks.full():
        return tb
    kept = _tracebacks.user_traceback(tb)
    return tb if kept is None else kept


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None, experimental_autograph_options=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None, backend=None, strict=False, name=None,
             optimizer_options=None, experimental_trace_cache_size=None):
    """TF's `tf.function`, usable as `@tf.function` or `@tf.function(...)`; plus `backend=`
    ("cpu", "gpu", "eager"), `strict=` (turn any interpreter fallback into an error),
    `optimizer_options=` (a dict switching optimizer passes, with the keys of
    `tf.config.optimizer.set_experimental_options`; it wins over the global options) and
    `experimental_trace_cache_size=` (how many traces to keep, least recently used dropped
    first; default tf.config.experimental.get_trace_cache_size(), 64).

    >>> @tf.function
    ... def f(x):
    ...     if tf.reduce_sum(x) > 0:   # a tensor condition: AutoGraph makes it a tf.cond
    ...         return x * x
    ...     return -x
    >>> f(tf.constant([1.0, 2.0])).numpy()
    array([1., 4.], dtype=float32)
    >>> f(tf.constant([-3.0])).numpy()
    array([3.], dtype=float32)
    >>> f.experimental_get_tracing_count()   # one trace per input signature
    2
    """
    if backend not in (None, "cpu", "gpu", "eager"):
        raise ValueError(f"backend must be 'cpu', 'gpu' or 'eager', got {backend!r}")

    def decorate(f):
        return Function(f, name=name, input_signature=input_signature, autograph=autograph,
                        reduce_retracing=reduce_retracing, jit_compile=jit_compile,
                        backend=backend, strict=strict,
                        experimental_relax_shapes=experimental_relax_shapes,
                        optimizer_options=optimizer_options,
                        experimental_trace_cache_size=experimental_trace_cache_size)
    if func is not None:
        return decorate(func)
    return decorate
