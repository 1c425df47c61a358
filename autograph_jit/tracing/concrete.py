"""ConcreteFunction: one traced graph for one input signature, callable and inspectable.

A call converts its tensor leaves, runs the graph (the interpreter, or a compiled backend), and
packs the results into the traced output structure. Variables are captured by reference: the
graph reads their current values at call time and writes them in place.
"""
import inspect

import numpy as np

from .. import nest
from ..autodiff import tape as _tape
from ..runtime import forksafe
from ..runtime.interpreter import run_graph
from ..tensor import EagerTensor
from . import context
from . import stages as _stages
from ..ops.recording import variables_read
from .warm_call import FAST_CACHE_LIMIT, MISS, fast_caller, fast_key
from ..ops.replay import replay
from .structure import LEAF as _LEAF
from ..passes.pipeline import optimize_concrete_function
from ..ir.dot import to_dot
from ..ir.render import render_dot
from .signature import call_key

_CPU_SETUP = forksafe.RLock()


def _python_value_matches(want, got):
    """A call's leaf against the trace's: tensors only against specs, Python values equal."""
    if hasattr(want, "is_compatible_with") or hasattr(want, "_as_tensor"):  # a spec / Variable
        return hasattr(got, "dtype") or isinstance(got, (int, float, np.ndarray))
    if hasattr(got, "dtype") and not isinstance(got, (np.generic,)):
        return False
    if want is got:
        return True
    try:
        if isinstance(want, float) and isinstance(got, float) and want != want:
            return got != got  # NaN keys like NaN
        return type(want) is type(got) and bool(want == got)
    except Exception:  # noqa: BLE001 - an object without a usable ==
        return False


def _spec_text(value):
    if hasattr(value, "is_compatible_with") or hasattr(value, "dtype") and \
            hasattr(value, "shape") and not isinstance(value, (np.ndarray, np.generic)):
        return repr(value) if hasattr(value, "is_compatible_with") else _type_text(value)
    if nest.is_nested(value):
        return _type_text(value)
    return f"Literal[{value!r}]"


def _type_text(structure):
    """TF's text for an output structure: TensorSpec(...), Tuple[...], List[...], Dict[...]."""
    if isinstance(structure, tuple):
        return "Tuple[" + ", ".join(_type_text(x) for x in structure) + "]"
    if isinstance(structure, list):
        return "List[" + ", ".join(_type_text(x) for x in structure) + "]"
    if isinstance(structure, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in structure.items()) \
            + "]"
    if hasattr(structure, "dtype") and hasattr(structure, "shape"):
        return (f"TensorSpec(shape={structure.shape}, dtype=tf.{structure.dtype.name}, "
                f"name=None)")
    return f"Literal[{structure!r}]"


def _describe(value):
    if hasattr(value, "is_compatible_with"):
        return "a tensor"
    return repr(value) if len(repr(value)) < 60 else type(value).__name__


def _wrap_output(arr, dtype):
    """An EagerTensor over a fresh native output (right dtype already): no checks, no copy."""
    arr.setflags(write=False)  # (twice as fast as arr.flags.writeable = False)
    t = EagerTensor.__new__(EagerTensor)
    t._value = arr
    t.dtype = dtype
    return t


class ConcreteFunction:
    """One traced graph of a `tf.function` for one input signature: callable, and inspectable.

    Get one with `f.get_concrete_function(*args_or_specs)`. Besides calling it, read every
    stage: `graph` (as traced), `optimized_graph`, `llvm_ir()`, `asm()`, `explain()`,
    `to_dot()`, `render_graph()` (a picture; Jupyter shows it by itself),
    `structured_input_signature`, `inputs`, `outputs`.

    >>> f = tf.function(lambda x: x * 2)
    >>> cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    >>> cf(tf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init__(self, name, graph, input_tensors, output_tensors, output_structure,
                 structured_input_signature, python_function, backend="eager", trace_seconds=0.0):
        self.name = name
        self.graph = graph
        self.inputs = input_tensors            # symbolic parameter tensors
        self.outputs = output_tensors          # symbolic result tensors
        self._output_structure = output_structure
        self.structured_input_signature = structured_input_signature
        self.python_function = python_function
        self.backend = backend
        self._variables = variables_read(graph)
        self._has_token = graph.has_effects
        self.trace_seconds = trace_seconds
        # (stage name, seconds) in the order the stages ran: "autograph convert", "trace", one
        # "pass <name>" per optimizer pass, "llvm optimize", "machine code" (see explain()).
        self.stage_times = []
        # optimizer (passes/pipeline.py): per-function options, and the pipeline's result
        self.optimizer_options = None
        # True when whoever made `graph` verified it (the tracer): the pipeline's verify pass
        # then records its step without walking the graph again (graphs are never changed)
        self.graph_verified = False
        self._optimized = None
        self._pass_steps = ()
        self._fast_calls = {}  # warm_call.fast_key -> closure, for direct calls of this function

    @property
    def variables(self):
        return tuple(self._variables)

    @property
    def trainable_variables(self):
        return tuple(v for v in self._variables if v.trainable)

    @property
    def optimized_graph(self):
        """The graph after the optimizer's passes (run once, on a copy; `graph` stays as traced).
        Printing it shows each fusion node with the ops it contains."""
        if self._optimized is None:
            self._optimized, self._pass_steps = optimize_concrete_function(self)
        return self._optimized

    def to_dot(self, stage="traced"):
        """The graph as Graphviz DOT text: `stage="traced"` (`cf.graph`) or `"optimized"`
        (`cf.optimized_graph`, fusion nodes drawn as clusters of their ops). Deterministic."""
        if stage not in ("traced", "optimized"):
            raise ValueError(f"to_dot: stage must be 'traced' or 'optimized', got {stage!r}")
        return to_dot(self.graph if stage == "traced" else self.optimized_graph)

    def render_graph(self, stage="optimized", format="svg", path=None):  # noqa: A002
        """Draw the graph as a picture with Graphviz (`dot`): `to_dot(stage)` rendered.

        Args:
          stage: "optimized" (default; each fusion kernel a shaded cluster of its ops) or
            "traced".
          format: "svg" (default), "png", "pdf", "jpg", "gif", "ps" or "eps".
          path: when given, the picture is also written to this file.

        Returns:
          The image as bytes (SVG text encoded as UTF-8 for "svg").

        Raises:
          GraphvizUnavailableError (an `UnavailableError` and `ImportError`): Graphviz is not
          installed; the message says how to install it.

        In Jupyter a ConcreteFunction shows this picture by itself (`_repr_svg_`).

        >>> f = tf.function(lambda x: tf.nn.relu(x * 2.0 + 1.0))
        >>> cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
        >>> cf.render_graph(format="svg")[:5]
        b'<?xml'
        """
        return render_dot(self.to_dot(stage), format=format, path=path,
                          what=f"the {stage} graph of {self.name!r}")

    def _repr_svg_(self):
        """Jupyter's rich display: the optimized graph as SVG (see `render_graph`)."""
        return self.render_graph("optimized", "svg").decode("utf-8")

    def explain(self, verbose=False):
        """How this function is compiled, as text that prints itself in a REPL.

        By default one screen: each stage's time, the passes that changed the graph, and the
        backend's report (kernels, host callbacks, anything run on the interpreter and why).
        `verbose=True` adds the traced graph and the graph after every pass, with what each
        pass does (passes/explain.py)."""
        from ..passes.explain import explain
        return explain(self, verbose=verbose)

    def pretty_printed_signature(self, verbose=True):
        """The inputs (each parameter with its spec or Python literal), the output type and the
        captured variables, in TF's layout (also what `print(cf)` shows).

        >>> v = tf.Variable(1.0)
        >>> f = tf.function(lambda x, flag: x * v if flag else x)
        >>> print(f.get_concrete_function(tf.TensorSpec([None, 3]), True))
        ConcreteFunction Input Parameters:
          x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
          flag (POSITIONAL_OR_KEYWORD): Literal[True]
        Output Type:
          TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
        Captures:
          ...: TensorSpec(shape=(), dtype=tf.resource, name=None)
        """
        lines = ["ConcreteFunction Input Parameters:"]
        lines += [f"  {name} ({kind}): {_spec_text(value)}"
                  for name, kind, value in self._bound_parameters()]
        if not verbose:
            return "\n".join(lines)
        it = iter(self.outputs)
        structure = nest.map_structure(
            lambda x: next(it) if x is _LEAF else x, self._output_structure)
        lines += ["Output Type:", "  " + _type_text(structure)]
        if self._variables:
            lines.append("Captures:")
            lines += [f"  {id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                      for v in self._variables]
        return "\n".join(lines)

    def _bound_parameters(self):
        """[(name, kind, spec or value)] for the traced call, by the Python signature."""
        sig = self.structured_input_signature
        args, kwargs = sig if isinstance(sig, tuple) and len(sig) == 2 else (sig, {})
        try:
            params = inspect.signature(self.python_function).parameters
            bound = inspect.signature(self.python_function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return [(f"arg{i}", "POSITIONAL_ONLY", a) for i, a in enumerate(args)] + \
                [(k, "KEYWORD_ONLY", v) for k, v in kwargs.items()]
        return [(name, params[name].kind.name, value)
                for name, value in bound.arguments.items()]

    def __str__(self):
        return self.pretty_printed_signature()

    def __repr__(self):
        return f"<ConcreteFunction {self.name} at 0x{id(self):X}>"

    def __reduce__(self):
        raise TypeError(
            f"cannot pickle ConcreteFunction {self.name!r}: it holds native code bound to this "
            "process. Send the tf.function itself (pickled by its Python function; the receiver "
            "traces again), or save it with tf.saved_model.save and send the directory.")

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not kwargs:  # warm path: eager tensors of dtypes and shapes already accepted
            call = self._fast_calls.get(fast_key(args))
            if call is not None:
                result = call(args)
                if result is not MISS:
                    return result
        self._check_python_args(args, kwargs)
        tensors = []
        for a in nest.flatten((args, kwargs)):
            call_key(a, tensors, [])
        expected = len(self.graph.data_params)
        if len(tensors) != expected:
            raise TypeError(f"{self.name}: expected {expected} tensor argument(s) matching "
                            f"{self.structured_input_signature}, got {len(tensors)}")
        for t, p in zip(tensors, self.graph.data_params):
            if t.dtype is not p.type.dtype or not p.type.shape.is_compatible_with(t.shape):
                raise TypeError(f"{self.name}: argument of type {t.dtype.name}{t.shape} does not "
                                f"match the traced parameter {p.type}")
        result = self._call_flat(tensors)
        key = fast_key(args) if not kwargs and len(args) == expected else None
        if key is not None and len(self._fast_calls) < FAST_CACHE_LIMIT:
            caller = fast_caller(self, tensors)
            if caller is not None:  # (None: not yet, ask on a later call)
                self._fast_calls[key] = caller
        return result

    def _check_python_args(self, args, kwargs):
        """Python values are part of a trace: a call must pass the ones it was traced with, and
        no unknown keyword (TF raises TypeError too; using the traced value would be silent)."""
        fn = self.python_function
        sig = self.structured_input_signature
        if fn is None or not isinstance(sig, tuple) or len(sig) != 2:
            return
        try:
            params = inspect.signature(fn)
            traced = params.bind(*sig[0], **sig[1])
        except (TypeError, ValueError):
            return  # (a signature this check cannot map, e.g. a bound method's self)
        try:
            given = params.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.name}(): {e}. This ConcreteFunction was traced for "
                            f"{self.pretty_printed_signature()}") from None
        traced.apply_defaults()
        given.apply_defaults()
        for name, want in traced.arguments.items():
            got = given.arguments.get(name)
            try:
                pairs = list(zip(nest.flatten(want), nest.flatten(got)))
                same_shape = len(nest.flatten(want)) == len(nest.flatten(got))
            except (TypeError, ValueError):
                pairs, same_shape = [], False
            bad = not same_shape or any(
                not _python_value_matches(w, g) for w, g in pairs)
            if bad:
                raise TypeError(
                    f"{self.name}(): argument {name!r} was {_describe(want)} when this "
                    f"ConcreteFunction was traced, but the call passes {_describe(got)}. Python "
                    f"values are fixed in a trace: call the tf.function itself (it traces again) "
                    f"or get a concrete function for the new value.")

    def _call_flat(self, tensors):
        builder = context.current_builder()
        if builder is not None or (_tape.ACTIVE_TAPES and self._needs_tape(tensors)):
            results = replay(self.graph, tensors)
        else:
            if self.backend == "cpu":
                return self._call_cpu(tensors)
            if self.backend == "gpu":
                return self._call_gpu(tensors)
            args = [t._value for t in tensors]
            if self._has_token:
                args.append(None)
            graph = self.optimized_graph if self.backend == "eager" else self.graph
            raw = run_graph(graph, args)
            results = [EagerTensor(np.asarray(v), r.type.dtype)
                       for v, r in zip(raw, graph.results) if not r.is_token]
        it = iter(results)
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x,
                                  self._output_structure)

    # -- the LLVM CPU backend (codegen/llvm/backend.py) ------------------------------------------
    _cpu = None
    _backend_report = ()

    def _cpu_function(self):
        with _CPU_SETUP:  # threads calling a new function at once must share one CpuFunction
            return self._cpu or self._make_cpu_function()

    def _make_cpu_function(self):
        if self._cpu is None:
            from ..codegen.llvm.backend import make_cpu_function
            self._backend_report = []
            self._cpu = make_cpu_function(self)
            self._out_dtypes = [r.type.dtype for r in self.graph.data_results]
            self._single = (self._output_structure is _LEAF)
        return self._cpu

    def _call_cpu(self, tensors):
        fn = self._cpu or self._cpu_function()
        outs = fn([t._value for t in tensors])
        if self._single:
            return _wrap_output(outs[0], self._out_dtypes[0])
        it = iter([_wrap_output(o, d) for o, d in zip(outs, self._out_dtypes)])
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x,
                                  self._output_structure)

    # -- the GPU backend (codegen/gpu/backend.py) -------------------------------------------------
    _gpu = None

    def _call_gpu(self, tensors):
        from ..codegen.gpu.backend import call_gpu
        outs = call_gpu(self, [t._value for t in tensors])
        it = iter([_wrap_output(o, r.type.dtype) for o, r in zip(outs, self.graph.data_results)])
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x,
                                  self._output_structure)

    def ptx(self):
        """The PTX of the GPU kernels (backend="gpu"), each kernel annotated with the user's
        source line; compiled for the shapes of the last call."""
        from ..codegen.gpu.backend import ptx
        return ptx(self)

    @property
    def backend_report(self):
        """The CPU backend's report lines: each compile with its time, each op left to the
        interpreter and why (the lines `explain()` shows)."""
        return tuple(self._backend_report)

    @property
    def native_executables(self):
        """The compiled executables, one per shape variant compiled so far (empty before the
        first call on the cpu backend)."""
        return tuple(self._cpu.executables) if self._cpu is not None else ()

    @property
    def compiled_shapes(self):
        """The input-shape variants compiled to native code so far on the cpu backend, in the
        order they compiled: one tuple of shapes (inputs, then variables) per variant
        (codegen/llvm/variants.py decides which shapes compile); empty before the first call."""
        return tuple(self._cpu._plans) if self._cpu is not None else ()

    @property
    def fallbacks(self):
        """(node, reason) for each op the native code leaves to the interpreter."""
        return tuple(self._cpu.fallbacks) if self._cpu is not None else ()

    def stages(self):
        """Every compilation stage as an object with `.name` and `.as_text()`, in order
        (tracing/stages.py): the traced and optimized graphs, then on the cpu backend the LLVM
        IR (Lowered) and the assembly (Compiled)."""
        return _stages.stages_of(self)

    def lower(self):
        """The Lowered stage (JAX's name): `.as_text()` is `llvm_ir()`, `.compile().as_text()`
        is `asm()`."""
        if self.backend != "cpu":
            raise ValueError(f"{self.name}: lower() needs the cpu backend (this function runs on "
                             f"the {self.backend!r} backend); the graphs are cf.graph and "
                             "cf.optimized_graph")
        return _stages.Lowered(self)

    def llvm_ir(self, optimized=False):
        """The LLVM IR of the native code (each kernel annotated with the user's source line);
        optimized=True: after LLVM's O3 pipeline."""
        if self.backend == "gpu":
            from ..codegen.gpu.backend import llvm_ir as gpu_llvm_ir
            return gpu_llvm_ir(self, optimized)
        from ..codegen.llvm.backend import llvm_ir
        return llvm_ir(self, optimized)

    def asm(self):
        """The host assembly of the native code."""
        from ..codegen.llvm.backend import asm
        return asm(self)

    def _needs_tape(self, tensors):
        for tape in _tape.ACTIVE_TAPES:
            if any(_tape._key(t) in tape._watched for t in tensors):
                return True
            if tape._watch_accessed_variables and any(v.trainable for v in self._variables):
                return True
            if any(_tape._key(v) in tape._watched for v in self._variables):
                return True
        return False

