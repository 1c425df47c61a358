"""Symbolic leading dims: one executable for every size of a graph's `None` batch dim.

A graph whose data params have an unknown leading dim (`TensorSpec([None, 784])`, a shape
relaxed by `reduce_retracing`) is specialized once with that dim left symbolic: every value's
shape is a tuple whose first entry may be a `Dim` (`coef * n`, n the run-time size of the dim)
and whose other entries are ints. Strides stay static (only the outermost dim varies), buffer
sizes are `bytes_per_n * n`, and kernels read n at run time from the error record's SYMBOLIC_SLOT
(set by the executable before each call): loop bounds, BLAS's M, workspace offsets and the output
allocation take it as a value.

How the shapes are found (`specialize_symbolic`): the graph is specialized twice with the
symbolic dim set to two different probe sizes; a value's dim that equals c*P1 in one and c*P2 in
the other is `Dim(c)`, a dim equal in both is static, anything else (a dim depending on n some
other way, a folded value that depends on n, a symbolic dim past axis 0) makes the graph
unsupported. Unsupported graphs (and graphs with an op outside SYMBOLIC_OPS, whose kernels
still need static shapes) keep per-shape specialization; `reason` says why in explain().

`Dim` refuses `int()`, ordering and arithmetic other than scaling, which could silently pick a
static code path (it is truthy: "may be non-empty", so code for it is emitted and its loops test
n at run time): a kernel that does not handle symbolic dims raises while lowering, and the graph falls back
to per-shape specialization rather than miscompiling.
"""
import numpy as np

SYMBOLIC_SLOT = 6      # err[6]: the run-time size n of the symbolic dim
ENABLED = True         # False: graphs first called while it is False compile per shape
                       # (benchmarks/ragged.py compares the two)
PROBES = (1009, 1013)  # two distinct primes: dims proportional to n tell themselves apart


class SymbolicUnsupported(Exception):
    """This graph (or one of its kernels) cannot run with a symbolic dim."""


class Dim:
    """`coef * n`: a dim known only at run time (n is the symbolic dim's size)."""
    __slots__ = ("coef",)

    def __init__(self, coef=1):
        self.coef = int(coef)

    def __mul__(self, other):
        if isinstance(other, Dim):
            raise SymbolicUnsupported("a product of two symbolic dims")
        return Dim(self.coef * int(other))

    __rmul__ = __mul__

    def __eq__(self, other):
        return isinstance(other, Dim) and other.coef == self.coef

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("Dim", self.coef))

    def _refuse(self, *_):
        raise SymbolicUnsupported("a kernel needs this symbolic dim as a compile-time int")

    def __bool__(self):  # "may be non-empty": code for it is emitted, loops test n at run time
        return True

    __int__ = __index__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __floordiv__ = __mod__ = _refuse

    def __repr__(self):
        return "n" if self.coef == 1 else f"{self.coef}n"

    def at(self, n):
        """The concrete size for symbolic size n."""
        return self.coef * n


def is_symbolic(shape):
    return any(isinstance(d, Dim) for d in shape)


def numel(shape):
    """Elements of a shape: an int, or a Dim when the shape has a symbolic dim."""
    acc = 1
    sym = None
    for d in shape:
        if isinstance(d, Dim):
            sym = d
        else:
            acc *= int(d)
    return acc if sym is None else sym * acc


def concrete(shape, n):
    """The shape with every Dim evaluated at symbolic size n."""
    return tuple(d.at(n) if isinstance(d, Dim) else d for d in shape)


# ops whose lowering handles a symbolic leading dim (views, maps, row kernels, BLAS products)
# (squeeze is left out: without axes it drops axis 0 exactly when n == 1)
SYMBOLIC_OPS = frozenset({
    "constant", "identity", "stop_gradient", "cast", "reshape", "expand_dims", "transpose",
    "slice", "strided_slice", "split", "unstack", "concat", "bias_add",
    "matmul", "softmax", "log_softmax", "sparse_softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
    "reduce_all", "argmax", "argmin", "read_variable", "assign_variable",
    "shape", "size", "zeros_like", "ones_like", "broadcast_like", "sum_to",
    "sparse_softmax_cross_entropy_grad",
})


def _op_supported(node):
    from .scalar import SCALAR_OPS
    name = node.op.name
    if name == "fusion":
        kind = node.attrs.get("kind")
        return kind in ("elementwise", "matmul", "reduction")
    if name in SYMBOLIC_OPS:
        return True
    return node.op.elementwise and name in SCALAR_OPS


def symbolic_params(graph):
    """(indices of data params whose traced leading dim is unknown (None), None), or ([], why)
    when a param has an unknown dim elsewhere or an unknown rank (those keep per-shape
    specialization); ([], None) when no dim is unknown."""
    if not ENABLED:
        return [], None
    out = []
    for k, p in enumerate(graph.data_params):
        shape = p.type.shape
        if shape.rank is None:
            return [], f"input {k} has an unknown rank"
        dims = shape.as_list()
        if any(d is None for d in dims[1:]):
            return [], (f"input {k} has an unknown dim past its leading one (only a leading "
                        "batch dim is symbolic)")
        if dims and dims[0] is None:
            out.append(k)
    return out, None


def specialize_symbolic(graph, dtypes_shapes, sym):
    """(specs, in_specs) of `graph` with the leading dim of data params `sym` symbolic, or
    raise SymbolicUnsupported saying why. dtypes_shapes: [(dtype, concrete shape)] per param."""
    from .specialize import Spec, Unspecializable, specialize
    if any(n.regions and n.op.name != "fusion" for n in graph.nodes):
        raise SymbolicUnsupported("it has control flow (per-shape loops and branches)")
    bad = sorted({n.op.name for n in graph.nodes if not _op_supported(n)})
    if bad:
        raise SymbolicUnsupported(f"{', '.join(bad)} needs static shapes")
    envs = []
    for probe in PROBES:
        specs = [Spec(dt, (probe, *shape[1:]) if k in sym else shape)
                 for k, (dt, shape) in enumerate(dtypes_shapes)]
        it = iter(specs)
        try:
            env = specialize(graph, [None if p.is_token else next(it) for p in graph.params])
        except Unspecializable as e:
            raise SymbolicUnsupported(f"its shapes do not follow the batch size ({e.reason})") \
                from None
        envs.append(env)
    merged, seeds = {}, set()
    for vid, a in envs[0].items():
        if not isinstance(vid, int):
            continue
        b = envs[1].get(vid)
        merged[vid] = None if a is None else _merge(a, b)
        if a is not None and a.value is not None and merged[vid].value is None:
            seeds.add(vid)
    _unfold(graph, merged, seeds)
    in_specs = [merged[p.id] for p in graph.data_params]
    return merged, in_specs


def _unfold(graph, merged, runtime):
    """Values computed from one that depends on n are computed at run time too, even where
    both probes folded them to the same value (`tf.size(x) > 0` is False only at n = 0)."""
    def mark(vid):
        runtime.add(vid)
        spec = merged.get(vid)
        if spec is not None:
            spec.value = None

    for node in graph.nodes:
        if node.op.name == "fusion":
            body = node.attrs["body"]
            for p, v in zip(body.data_params, node.data_inputs):
                if v.id in runtime:
                    mark(p.id)
            _unfold(body, merged, runtime)
            for r, o in zip(body.data_results, node.data_outputs):
                if r.id in runtime:
                    mark(o.id)
        elif any(v.id in runtime for v in node.inputs):
            for o in node.outputs:
                mark(o.id)


def _merge(a, b):
    from .specialize import Spec
    if a.growable or b is None or b.growable or len(a.shape) != len(b.shape):
        raise SymbolicUnsupported("a value's rank depends on the batch size")
    dims = []
    for axis, (x, y) in enumerate(zip(a.shape, b.shape)):
        if x == y:
            dims.append(x)
            continue
        p1, p2 = PROBES
        if axis == 0 and x % p1 == 0 and y == x // p1 * p2:
            dims.append(Dim(x // p1))
            continue
        raise SymbolicUnsupported(f"a shape {list(a.shape)} depends on the batch size other "
                                  "than through its leading dim")
    sym = is_symbolic(dims)
    if a.value is not None and b.value is not None and not sym \
            and np.array_equal(a.value, b.value):
        return Spec(a.dtype, tuple(dims), a.value)
    # a value that depends on n (tf.size(x), 1 / n in a mean's gradient) is computed at run
    # time; a consumer that needs it at compile time (a reshape target) fails to lower and the
    # graph compiles per shape
    return Spec(a.dtype, tuple(dims))


__all__ = ["Dim", "SymbolicUnsupported", "SYMBOLIC_SLOT", "numel", "concrete", "is_symbolic",
           "symbolic_params", "specialize_symbolic"]
