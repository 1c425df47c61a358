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
"""
import numpy as np

from ..errors import InvalidArgumentError, OpError, ResourceExhaustedError, UnimplementedError
from ..runtime import kernel_errors as _kernel_errors
from ..runtime.kernel_errors import as_op_error, leaked
from ..tensor import EagerTensor, Tensor
from ..tracing import context as _context
from . import recording as _recording

_kernel_errors.use_error_classes(OpError, InvalidArgumentError, ResourceExhaustedError)

__all__ = ["OpDef", "REGISTRY", "register", "apply", "get", "PURE", "OpError",
           "InvalidArgumentError"]

PURE = frozenset()
READS_VARIABLE = frozenset({"read_variable"})
WRITES_VARIABLE = frozenset({"write_variable"})
RNG = frozenset({"rng"})
IO = frozenset({"io"})


class OpDef:
    __slots__ = ("name", "infer", "kernel", "vjp", "effects", "elementwise", "num_outputs",
                 "doc", "differentiable", "interpret", "replay", "speculatable",
                 "traps_on_integers", "heavy", "host")

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

    @property
    def reads_variable(self):
        """The op reads the tf.Variable named by its `var` attribute (a GradientTape source)."""
        return READS_VARIABLE <= self.effects

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


def apply(op, *inputs, **attrs):
    """Run or trace one op. Returns one tensor, or a tuple when the op has several outputs."""
    builder = _context.current_builder()
    if builder is not None:
        outputs = builder.add_node(op, inputs, attrs)
    else:
        outputs = _run_eagerly(op, inputs, attrs)
    if _recording.ACTIVE_TAPES:
        _recording.record(op, inputs, outputs, attrs)
    if op.num_outputs == 1:
        return outputs[0]
    return None if op.num_outputs == 0 else outputs


def _run_eagerly(op, inputs, attrs):
    for t in inputs:
        if not isinstance(t, EagerTensor):
            if isinstance(t, Tensor):
                raise TypeError(
                    f"{op.name}: a symbolic tensor ({t!r}) was used outside the function that "
                    "traced it. Return it from the tf.function instead of keeping it in a Python "
                    "variable.")
            raise TypeError(f"{op.name}: expected tensors as inputs, got {type(t).__name__}")
    out_types = infer_types(op, [t.type for t in inputs], attrs)
    try:
        with np.errstate(all="ignore"):
            result = op.kernel(*[t._value for t in inputs], **attrs)
    except Exception as e:
        if not leaked(e):  # (runtime/kernel_errors.py: NumPy's and Python's own errors)
            raise
        raise as_op_error(op.name, e, [t.type for t in inputs], _shown_attrs(attrs)) from None
    if not isinstance(result, tuple):
        result = (result,)
    outputs = []
    for value, ty in zip(result, out_types):
        value = np.asarray(value)
        if value.dtype != ty.dtype.np_dtype:
            value = value.astype(ty.dtype.np_dtype)
        outputs.append(EagerTensor(value, ty.dtype))
    return tuple(outputs)


def infer_types(op, in_types, attrs):
    """The op's output types as a tuple; type-rule failures become InvalidArgumentError."""
    return op.output_types(in_types, attrs)


def _shown_attrs(attrs):
    """The attributes worth quoting in an error (not arrays or Python objects)."""
    return {k: v for k, v in attrs.items()
            if isinstance(v, (int, float, bool, str, tuple, list, type(None)))}
