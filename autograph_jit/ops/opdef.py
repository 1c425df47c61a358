"""OpDef, the op registry, and `apply` — the one entry every op goes through.

An op is defined once (../shared/DESIGN.md "One op, one definition"):

    OpDef(name, infer, kernel, vjp=None, effects=PURE, ...)

- `infer(in_types, **attrs)` returns the output TensorType (or a tuple of them) from the inputs'
  types; shapes may hold None. It also validates (dtype mismatches, bad axes, incompatible shapes)
  and is run both eagerly and while tracing, so both modes reject the same programs.
- `kernel(*arrays, **attrs)` computes the outputs with NumPy (eager mode, the graph interpreter,
  constant folding).
- `vjp(call, *output_grads)` returns one gradient (or None) per input, written with public ops so
  it works eagerly and while tracing. `call` has `.inputs`, `.outputs` and `.attrs`.
- `effects`: PURE, or the state it touches (variables, RNG, stdout) — used by tracing to thread the
  effect token and by passes to never reorder or drop such ops.
- Facts the optimizer and backends read (instead of lists of op names):
  `speculatable` (may run although the program would not have run it — hoisted out of a loop,
  both branches of a small cond computed — when its inputs' shapes are fully known: the type rule
  then guarantees it cannot fail; elementwise ops are by default), `traps_on_integers` (with
  integer inputs the kernel can raise — division by zero, a negative integer power — so it is never
  speculated on integers), `heavy` (each element costs a vector-math call: exp, tanh, ...; the CPU
  backend interleaves and parallelizes such loops sooner), `host` (runs on the host by design —
  Python, stdout, LAPACK: a compiled backend calls its kernel through a host callback and does not
  report that as a fallback).

`apply(opdef, *inputs, **attrs)` runs the kernel when every input is concrete and no graph is being
built; otherwise it hands the op to the graph builder. Either way active GradientTapes record it.

The eager path is the one users meet op by op, so it is kept short: the output dtypes of a
repeated op come from the eager type cache (ops/eager_cache.py: the type rule runs once per op,
input dtypes/shapes and attributes), NumPy's floating-point error state is switched with one
context-variable set instead of an `np.errstate` block, and results are wrapped without
re-checking what the kernel returned.
"""
import numpy as np

from ..errors import InvalidArgumentError, OpError, ResourceExhaustedError, UnimplementedError
from ..runtime import kernel_errors as _kernel_errors
from ..runtime.kernel_errors import as_op_error, leaked
from ..tensor import EagerTensor, Tensor
from ..tracing import context as _context
from . import eager_cache as _cache
from . import recording as _recording

_kernel_errors.use_error_classes(OpError, InvalidArgumentError, ResourceExhaustedError)

__all__ = ["OpDef", "REGISTRY", "register", "apply", "get", "PURE", "PYTHON", "OpError",
           "InvalidArgumentError"]

PURE = frozenset()
READS_VARIABLE = frozenset({"read_variable"})
WRITES_VARIABLE = frozenset({"write_variable"})
RNG = frozenset({"rng"})
IO = frozenset({"io"})
# A call into the user's Python (tf.py_function, tf.numpy_function): IO (every call, in program
# order), and it may read or write any variable, so no pass moves a variable's read or write
# across it (passes/cse.py reads {"io"} alone as "writes no variable").
PYTHON = frozenset({"io", "python"})


class OpDef:
    __slots__ = ("name", "infer", "kernel", "vjp", "effects", "elementwise", "num_outputs",
                 "doc", "differentiable", "interpret", "replay", "speculatable",
                 "traps_on_integers", "heavy", "reads_variable", "eager_cacheable",
                 "checked_kernel", "host")

    def __init__(self, name, infer, kernel, vjp=None, effects=PURE, elementwise=False,
                 num_outputs=1, differentiable=None, doc="", interpret=None, replay=None,
                 speculatable=None, traps_on_integers=False, heavy=False, host=False):
        self.name = name
        self.infer = infer
        self.kernel = kernel
        self.vjp = vjp
        self.effects = frozenset(effects)
        self.elementwise = elementwise  # output[i] depends only on the broadcast inputs at [i]
        self.num_outputs = num_outputs  # None: decided per call by infer (e.g. unstack, split)
        # Which inputs gradients flow to; None means every floating input.
        self.differentiable = differentiable
        self.doc = doc
        # Ops holding regions: `interpret(node, inputs, run_graph)` runs a node in the graph
        # interpreter; `replay(attrs, inputs)` re-executes it op by op (eagerly, under tapes).
        self.interpret = interpret
        self.replay = replay
        self.speculatable = elementwise if speculatable is None else speculatable
        self.traps_on_integers = traps_on_integers
        self.heavy = heavy
        # The op reads the tf.Variable named by its `var` attribute (a GradientTape source).
        self.reads_variable = READS_VARIABLE <= self.effects
        # False once its type rule was seen reading an input's value (ops/eager_cache.py).
        self.eager_cacheable = True
        # The kernel to run once the type rule accepted these very input shapes (a cache hit):
        # a kernel wrapped to re-check shapes on a NumPy error (`without_shape_check`) need not.
        self.checked_kernel = getattr(kernel, "without_shape_check", kernel)
        self.host = host

    @property
    def is_pure(self):
        return not self.effects

    def output_types(self, in_types, attrs):
        """The op's output types as a tuple (its type rule, which also validates the inputs).
        The rule's own errors pass through; an error that leaked from it (a Python or NumPy
        error no check caught) becomes an InvalidArgumentError naming the op; a result of a
        dtype without tensors (tf.string) is an UnimplementedError."""
        try:
            out = self.infer(in_types, **attrs)
        except Exception as e:
            if not leaked(e):
                raise
            raise as_op_error(self.name, e, in_types, _shown_attrs(attrs)) from None
        out = out if isinstance(out, (tuple, list)) else (out,)
        for t in out:
            if getattr(t, "dtype", None) is not None and t.dtype.np_dtype is None:
                raise UnimplementedError(
                    f"{self.name}: a tf.{t.dtype.name} result is not supported: string tensors "
                    f"do not exist in autograph_jit yet. [Op:{self.name}]", self.name)
        return out

    def __repr__(self):
        return f"<OpDef {self.name}>"


REGISTRY = {}


def register(opdef):
    if opdef.name in REGISTRY:
        raise ValueError(f"op {opdef.name!r} is already registered: one op, one definition")
    REGISTRY[opdef.name] = opdef
    return opdef


def get(name):
    return REGISTRY[name]


def defop(name, infer, kernel, **kw):
    """Build and register an OpDef in one call (the usual way op families declare ops)."""
    return register(OpDef(name, infer, kernel, **kw))


_LOCAL = _context._local          # per-thread: the graph builder, when one is tracing
_TAPES = _recording.ACTIVE_TAPES   # the list object itself (tapes push and pop in place)
_CACHE = _cache.CACHE
_new = object.__new__
_ET = EagerTensor
_ndarray = np.ndarray
_asarray = np.asarray


def _fp_errors_ignored():
    """(set, reset, value) switching NumPy's floating-point error handling to "ignore" for the
    current context, as `np.errstate(all="ignore")` does, at a fraction of its cost; None on a
    NumPy without the context variable (1.x), where `np.errstate` is used."""
    try:
        from numpy._core import _ufunc_config as cfg
        var = cfg._extobj_contextvar
        ignore = cfg._make_extobj(all="ignore")
    except (ImportError, AttributeError):
        return None
    return var.set, var.reset, ignore


_FP = _fp_errors_ignored()


def apply(op, *inputs, **attrs):
    """Run or trace one op. Returns one tensor, or a tuple when the op has several outputs."""
    builder = _LOCAL.builder
    if builder is not None:
        outputs = builder.add_node(op, inputs, attrs)
    else:
        n = len(inputs)
        if n <= 2 and not attrs and op.eager_cacheable and op.num_outputs == 1:
            # The common eager op (one or two tensors in, one out, no attributes), inline.
            a = inputs[0] if n else None
            if n == 2:
                b = inputs[1]
                if type(a) is _ET and type(b) is _ET:
                    va, vb = a._value, b._value
                    out_dtypes = _CACHE.get((op, va.dtype, va.shape, vb.dtype, vb.shape))
                    if out_dtypes is not None:
                        return _single(op, (va, vb), out_dtypes[0], inputs)
            elif n == 1 and type(a) is _ET:
                va = a._value
                out_dtypes = _CACHE.get((op, va.dtype, va.shape))
                if out_dtypes is not None:
                    return _single(op, (va,), out_dtypes[0], inputs)
        outputs = _run_eagerly(op, inputs, attrs)
    if _TAPES:
        _recording.record(op, inputs, outputs, attrs)
    n = op.num_outputs
    if n == 1:
        return outputs[0]
    return None if n == 0 else outputs


def _single(op, arrays, dtype, inputs):
    """The rest of `apply` for a cached one-output op without attributes: kernel, wrap, record."""
    try:
        if _FP is None:
            with np.errstate(all="ignore"):
                value = op.checked_kernel(*arrays)
        else:
            token = _FP[0](_FP[2])
            try:
                value = op.checked_kernel(*arrays)
            finally:
                _FP[1](token)
    except Exception as e:
        if not leaked(e):
            raise
        raise as_op_error(op.name, e, [t.type for t in inputs], {}) from None
    if isinstance(value, tuple):
        value = value[0]
    if type(value) is not _ndarray:
        value = _asarray(value)
    np_dtype = dtype.np_dtype
    if value.dtype != np_dtype:
        value = value.astype(np_dtype)
    value.setflags(False)   # kernels may return views of inputs: every tensor is immutable
    t = _new(_ET)
    t._value = value
    t.dtype = dtype
    if _TAPES:
        if op.reads_variable or op.interpret is not None:
            _recording.record(op, inputs, (t,), {})
        else:
            _recording.record_one(op, inputs, t)
    return t


def _cache_key(op, inputs, attrs):
    """The eager type cache's key for this call, or None (not every input an EagerTensor, or an
    attribute that is not plain data)."""
    key = [op]
    for t in inputs:
        if type(t) is not EagerTensor:
            return None
        v = t._value
        key.append(v.dtype)
        key.append(v.shape)
    if attrs:
        a = _cache.attrs_key(attrs)
        if a is None:
            return None
        key.append(a)
    return tuple(key)


def _check_eager_inputs(op, inputs):
    for t in inputs:
        if not isinstance(t, EagerTensor):
            if isinstance(t, Tensor):
                raise TypeError(
                    f"{op.name}: a symbolic tensor ({t!r}) was used outside the function that "
                    "traced it. Return it from the tf.function instead of keeping it in a Python "
                    "variable.")
            raise TypeError(f"{op.name}: expected tensors as inputs, got {type(t).__name__}")


def _infer_eager(op, inputs, attrs, key):
    """Output dtypes from the type rule (which validates the inputs), cached under `key`."""
    if key is None:
        _check_eager_inputs(op, inputs)
        return tuple(t.dtype for t in op.output_types([t.type for t in inputs], attrs))
    types, read = _cache.probe_types(inputs)
    out = tuple(t.dtype for t in op.output_types(types, attrs))
    if read[0]:
        op.eager_cacheable = False   # its rule reads values: the dtypes are not the key's alone
    else:
        _cache.store(key, out)
    return out


def _run_eagerly(op, inputs, attrs):
    out_dtypes = None
    key = None
    if op.eager_cacheable:
        if len(inputs) == 2 and not attrs:   # the common binary op: its key built inline
            a, b = inputs
            if type(a) is EagerTensor and type(b) is EagerTensor:
                va, vb = a._value, b._value
                key = (op, va.dtype, va.shape, vb.dtype, vb.shape)
        else:
            key = _cache_key(op, inputs, attrs)
        if key is not None:
            out_dtypes = _CACHE.get(key)
    if out_dtypes is None:
        out_dtypes = _infer_eager(op, inputs, attrs, key)
        kernel = op.kernel
    else:
        kernel = op.checked_kernel
    arrays = [t._value for t in inputs]
    try:
        if _FP is None:
            with np.errstate(all="ignore"):
                result = kernel(*arrays, **attrs)
        else:
            token = _FP[0](_FP[2])
            try:
                result = kernel(*arrays, **attrs)
            finally:
                _FP[1](token)
    except Exception as e:
        if not leaked(e):  # (runtime/kernel_errors.py: NumPy's and Python's own errors)
            raise
        raise as_op_error(op.name, e, [t.type for t in inputs], _shown_attrs(attrs)) from None
    if not isinstance(result, tuple):
        result = (result,)
    outputs = []
    for value, dt in zip(result, out_dtypes):
        if type(value) is not _ndarray:
            value = _asarray(value)
        np_dtype = dt.np_dtype
        if value.dtype != np_dtype:
            value = value.astype(np_dtype)
        # Kernels may return views of inputs; freezing keeps every tensor immutable.
        value.setflags(False)
        t = _new(EagerTensor)
        t._value = value
        t.dtype = dt
        outputs.append(t)
    return tuple(outputs)


def infer_types(op, in_types, attrs):
    """The op's output types as a tuple; type-rule failures become InvalidArgumentError."""
    return op.output_types(in_types, attrs)


def _shown_attrs(attrs):
    """The attributes worth quoting in an error (not arrays or Python objects)."""
    return {k: v for k, v in attrs.items()
            if isinstance(v, (int, float, bool, str, tuple, list, type(None)))}
