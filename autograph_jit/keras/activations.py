"""`tf.keras.activations`: Keras 3's activation functions by name, and `get`/`serialize`/`deserialize`.

Each function composes existing ops (ops/nn_ops.py, ops/math_ops.py), so it differentiates and
compiles like any op. `get('relu')`, `get(None)` (linear) and `get(callable)` resolve what a layer's
`activation=` argument accepts.

    >>> tf.keras.activations.get("relu")(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""
import types
import weakref

from ..ops import array_ops as A
from ..ops import gather_ops as G
from ..ops import slicing as S
from ..ops import math_ops as M
from ..ops import nn_ops as N
from ..tensor import convert_to_tensor
from . import identifiers


def _t(x):
    return convert_to_tensor(x)


_LOGITS = {}  # id(probabilities) -> (weakref to them, op name, logits)


def _remember_logits(out, x, op_name):
    """Keras's `_keras_logits`: the losses use the logits behind softmax/sigmoid outputs."""
    key = id(out)
    try:
        ref = weakref.ref(out, lambda _, k=key: _LOGITS.pop(k, None))
    except TypeError:
        return out
    _LOGITS[key] = (ref, op_name, x)
    return out


def logits_of(y, op_name):
    """The logits `keras.activations.softmax`/`sigmoid` (op_name) computed `y` from, or None.

    >>> logits = tf.constant([[1.0, 2.0]])
    >>> y = tf.keras.activations.softmax(logits)
    >>> tf.keras.activations.logits_of(y, 'softmax') is logits
    True
    """
    entry = _LOGITS.get(id(y))
    if entry is not None and entry[0]() is y and entry[1] == op_name:
        return entry[2]
    return None


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: `max(x, 0)`, with Keras's optional slope, ceiling and threshold.

    Example: `relu([-1., 2.], max_value=1.)` is `[0., 1.]`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.relu(x).numpy(), 4)
    array([0., 0., 2.], dtype=float32)
    """
    x = _t(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return N.relu(x)
    if threshold != 0:
        y = M.where(M.greater(x, threshold), x, A.zeros_like(x))
    else:
        y = N.relu(x)
    if max_value is not None:
        y = M.minimum(y, M.cast(convert_to_tensor(max_value), x.dtype))
    if negative_slope != 0:
        below = M.multiply(M.subtract(x, threshold), negative_slope)
        y = M.where(M.less(x, threshold), below, y)
    return y


def leaky_relu(x, negative_slope=0.2):
    """`x` where positive, `negative_slope * x` elsewhere.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.leaky_relu(x, negative_slope=0.1).numpy(), 4)
    array([-0.2,  0. ,  2. ], dtype=float32)
    """
    return N.leaky_relu(_t(x), alpha=negative_slope)


def relu6(x):
    """`min(max(x, 0), 6)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.relu6(x).numpy(), 4)
    array([0., 0., 2.], dtype=float32)
    """
    return N.relu6(_t(x))


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if positive else `alpha * (exp(x) - 1)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.elu(x).numpy(), 4)
    array([-0.8647,  0.    ,  2.    ], dtype=float32)
    """
    x = _t(x)
    y = N.elu(x)
    if alpha == 1.0:
        return y
    return M.where(M.greater(x, 0), y, M.multiply(y, alpha))


def selu(x):
    """Scaled ELU (scale 1.0507..., alpha 1.6732...).

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.selu(x).numpy(), 4)
    array([-1.5202,  0.    ,  2.1014], dtype=float32)
    """
    return N.selu(_t(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit, exact (erf) or the tanh approximation.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.gelu(x).numpy(), 4)
    array([-0.0455,  0.    ,  1.9545], dtype=float32)
    """
    return N.gelu(_t(x), approximate=approximate)


def sigmoid(x):
    """`1 / (1 + exp(-x))`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.sigmoid(x).numpy(), 4)
    array([0.1192, 0.5   , 0.8808], dtype=float32)
    """
    x = _t(x)
    return _remember_logits(M.sigmoid(x), x, "sigmoid")


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: `relu6(x + 3) / 6`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.hard_sigmoid(x).numpy(), 4)
    array([0.1667, 0.5   , 0.8333], dtype=float32)
    """
    x = _t(x)
    return M.divide(N.relu6(M.add(x, 3.0)), 6.0)


def hard_silu(x):
    """`x * hard_sigmoid(x)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.hard_silu(x).numpy(), 4)
    array([-0.3333,  0.    ,  1.6667], dtype=float32)
    """
    x = _t(x)
    return M.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def tanh(x):
    """Hyperbolic tangent.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.tanh(x).numpy(), 4)
    array([-0.964,  0.   ,  0.964], dtype=float32)
    """
    return M.tanh(_t(x))


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (the last by default).

    >>> np.round(tf.keras.activations.softmax(tf.constant([[1.0, 2.0, 3.0]])).numpy(), 4)
    array([[0.09  , 0.2447, 0.6652]], dtype=float32)
    """
    x = _t(x)
    out = N.softmax(x, axis=axis)
    if axis == -1 or (x.shape.rank is not None and axis == x.shape.rank - 1):
        _remember_logits(out, x, "softmax")
    return out


def log_softmax(x, axis=-1):
    """`x - logsumexp(x)` along `axis`.

    >>> np.round(tf.keras.activations.log_softmax(tf.constant([[1.0, 2.0, 3.0]])).numpy(), 4)
    array([[-2.4076, -1.4076, -0.4076]], dtype=float32)
    """
    return N.log_softmax(_t(x), axis=axis)


def softplus(x):
    """`log(exp(x) + 1)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.softplus(x).numpy(), 4)
    array([0.1269, 0.6931, 2.1269], dtype=float32)
    """
    return N.softplus(_t(x))


def softsign(x):
    """`x / (abs(x) + 1)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.softsign(x).numpy(), 4)
    array([-0.6667,  0.    ,  0.6667], dtype=float32)
    """
    return N.softsign(_t(x))


def silu(x):
    """Swish / SiLU: `x * sigmoid(x)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.silu(x).numpy(), 4)
    array([-0.2384,  0.    ,  1.7616], dtype=float32)
    """
    return N.silu(_t(x))


swish = silu


def mish(x):
    """`x * tanh(softplus(x))`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.mish(x).numpy(), 4)
    array([-0.2525,  0.    ,  1.944 ], dtype=float32)
    """
    x = _t(x)
    return M.multiply(x, M.tanh(N.softplus(x)))


def exponential(x):
    """`exp(x)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.exponential(x).numpy(), 4)
    array([0.1353, 1.    , 7.3891], dtype=float32)
    """
    return M.exp(_t(x))


def linear(x):
    """The identity: returns `x` unchanged.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.linear(x).numpy(), 4)
    array([-2.,  0.,  2.], dtype=float32)
    """
    return x


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + alpha * expm1(min(x, 0) / alpha)`.

    >>> x = tf.constant([-2.0, 0.0, 2.0])
    >>> np.round(tf.keras.activations.celu(x).numpy(), 4)
    array([-0.8647,  0.    ,  2.    ], dtype=float32)
    """
    x = _t(x)
    negative = M.expm1(M.divide(M.minimum(x, 0.0), alpha))
    return M.add(M.maximum(x, 0.0), M.multiply(negative, alpha))


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half.

    >>> np.round(tf.keras.activations.glu(tf.constant([[1.0, 2.0, 0.0, 3.0]])).numpy(), 4)
    array([[0.5   , 1.9051]], dtype=float32)
    """
    x = _t(x)
    size = x.shape[axis] if x.shape.rank is not None else None
    if size is not None and size % 2 != 0:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={x.shape} with "
                         f"axis={axis}")
    a, b = S.split(x, 2, axis=axis)
    return M.multiply(a, M.sigmoid(b))


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, 0 elsewhere.

    >>> tf.keras.activations.hard_shrink(tf.constant([-1.0, 0.3, 0.6])).numpy()
    array([-1. ,  0. ,  0.6], dtype=float32)
    """
    x = _t(x)
    return M.where(M.greater(M.abs(x), threshold), x, A.zeros_like(x))


def hard_tanh(x):
    """`x` clipped to [-1, 1].

    >>> tf.keras.activations.hard_tanh(tf.constant([-2.0, 0.5, 2.0])).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return M.clip_by_value(_t(x), -1.0, 1.0)


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed as `-softplus(-x)`.

    >>> np.round(tf.keras.activations.log_sigmoid(tf.constant([-2.0, 0.0, 2.0])).numpy(), 4)
    array([-2.1269, -0.6931, -0.1269], dtype=float32)
    """
    return M.log_sigmoid(_t(x))


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, 0 between.

    >>> tf.keras.activations.soft_shrink(tf.constant([-1.0, 0.3, 1.5])).numpy()
    array([-0.5,  0. ,  1. ], dtype=float32)
    """
    x = _t(x)
    zero = A.zeros_like(x)
    inner = M.where(M.less(x, -threshold), M.add(x, threshold), zero)
    return M.where(M.greater(x, threshold), M.subtract(x, threshold), inner)


def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`.

    >>> tf.keras.activations.sparse_plus(tf.constant([-2.0, 0.0, 2.0])).numpy()
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = _t(x)
    middle = M.where(M.less(x, 1.0), M.multiply(M.square(M.add(x, 1.0)), 0.25), x)
    return M.where(M.less_equal(x, -1.0), A.zeros_like(x), middle)


def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, 1 for `x >= 1`.

    >>> tf.keras.activations.sparse_sigmoid(tf.constant([-2.0, 0.0, 2.0])).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = _t(x)
    middle = M.where(M.greater_equal(x, 1.0), A.ones_like(x), M.multiply(M.add(x, 1.0), 0.5))
    return M.where(M.less_equal(x, -1.0), A.zeros_like(x), middle)


def sparsemax(x, axis=-1):
    """Sparsemax along `axis` (Martins & Astudillo, 2016): `max(x - tau, 0)`, the Euclidean
    projection of `x` onto the probability simplex, so each row sums to 1.

    With z the values sorted in descending order, k the largest index with
    `1 + k * z_k > z_1 + ... + z_k`, `tau = (z_1 + ... + z_k - 1) / k`, as Keras documents it.
    (Keras 3.15's code sums the cumulative sums over the support instead, which agrees only
    when k is 1 and otherwise returns rows that do not sum to 1, even all zeros: we compute the
    documented function.)

    >>> tf.keras.activations.sparsemax(tf.constant([[0.1, 1.5, 0.2]])).numpy()
    array([[0., 1., 0.]], dtype=float32)
    >>> np.round(tf.keras.activations.sparsemax(tf.constant([[0.4, -0.3, -1.2]])).numpy(), 4)
    array([[0.85, 0.15, 0.  ]], dtype=float32)
    """
    x = _t(x)
    rank = x.shape.rank
    axis = axis % rank
    ordered = G.sort(x, axis=axis, direction="DESCENDING")
    cumsum = M.cumsum(ordered, axis=axis)
    size = x.shape[axis] if x.shape[axis] is not None else A.shape(x)[axis]
    r = M.cast(A.range(1, M.add(size, 1) if not isinstance(size, int) else size + 1), x.dtype)
    r = A.reshape(r, [-1 if i == axis else 1 for i in range(rank)])
    support = M.greater(M.subtract(ordered, M.divide(M.subtract(cumsum, 1.0), r)), 0.0)
    k = M.reduce_sum(M.cast(support, x.dtype), axis=axis, keepdims=True)
    total = M.reduce_sum(M.where(support, ordered, A.zeros_like(ordered)), axis=axis,
                         keepdims=True)
    tau = M.divide(M.subtract(total, 1.0), k)
    return M.maximum(M.subtract(x, tau), 0.0)


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU.

    >>> np.round(tf.keras.activations.squareplus(tf.constant([-2.0, 0.0, 2.0])).numpy(), 4)
    array([0.4142, 1.    , 2.4142], dtype=float32)
    """
    x = _t(x)
    return M.divide(M.add(x, M.sqrt(M.add(M.square(x), M.cast(b, x.dtype)))), 2.0)


def tanh_shrink(x):
    """`x - tanh(x)`.

    >>> np.round(tf.keras.activations.tanh_shrink(tf.constant([-2.0, 0.0, 2.0])).numpy(), 4)
    array([-1.036,  0.   ,  1.036], dtype=float32)
    """
    x = _t(x)
    return M.subtract(x, M.tanh(x))


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, `default_value` elsewhere (both arguments are required, as
    in Keras 3).

    >>> tf.keras.activations.threshold(tf.constant([-1.0, 0.5, 2.0]), 0.0, -9.0).numpy()
    array([-9. ,  0.5,  2. ], dtype=float32)
    """
    x = _t(x)
    fill = M.add(A.zeros_like(x), M.cast(default_value, x.dtype))
    return M.where(M.greater(x, threshold), x, fill)


# (read-only views, not dicts: these name activations, not ops, so the op-table scan skips them)
_BY_NAME = types.MappingProxyType({
    "relu": relu, "leaky_relu": leaky_relu, "relu6": relu6, "elu": elu, "selu": selu,
    "gelu": gelu, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu,
    "hard_swish": hard_silu, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
    "softplus": softplus, "softsign": softsign, "silu": silu, "swish": silu, "mish": mish,
    "exponential": exponential, "linear": linear, "celu": celu, "glu": glu,
    "hard_shrink": hard_shrink, "hard_tanh": hard_tanh, "log_sigmoid": log_sigmoid,
    "soft_shrink": soft_shrink, "sparse_plus": sparse_plus, "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax, "squareplus": squareplus, "tanh_shrink": tanh_shrink,
    "threshold": threshold,
})
_NAME_OF = {fn: name for name, fn in _BY_NAME.items()
            if name not in ("swish", "hard_swish")}


def serialize(activation):
    """The name Keras 3 stores for a built-in activation; a function of the user's is stored as
    Keras 3 stores it, `{"module", "class_name": "function", "config": its name, ...}` (loading
    finds it in custom_objects).

    >>> tf.keras.activations.serialize(tf.keras.activations.relu)
    'relu'
    """
    if activation is None:
        return "linear"
    if activation in _NAME_OF:
        return _NAME_OF[activation]
    if hasattr(activation, "get_config"):  # an activation layer or object
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"activations.serialize: cannot serialize {activation!r}; pass a "
                         f"built-in activation or a named function")
    return {"module": getattr(activation, "__module__", None) or "builtins",
            "class_name": "function", "config": name, "registered_name": "function"}


def deserialize(config, custom_objects=None):
    """The activation function a name (or `{'class_name': ...}` dict) stands for.

    >>> tf.keras.activations.deserialize('tanh') is tf.keras.activations.tanh
    True
    """
    full = config
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
        if isinstance(config, dict):
            config = config.get("name")
    if config in _BY_NAME and not (custom_objects and config in custom_objects):
        return _BY_NAME[config]
    # a user's function: custom_objects, an enclosing custom_object_scope (load_model opens
    # one), a registered name, or (Keras 3's `{"class_name": "function", "module": ...}`) its
    # module
    found = identifiers.user_object(full, custom_objects)
    if found is None:
        raise ValueError(f"Unknown activation function: {config!r}. Valid names are "
                         f"{sorted(_BY_NAME)} (or pass a callable, or the function in "
                         f"custom_objects={{{config!r}: ...}} when loading).")
    return found


def get(identifier):
    """Resolve a layer's `activation=`: None -> linear, a name -> the function, a callable -> itself.

    Example: `get("swish") is silu`.

    >>> tf.keras.activations.get('relu') is tf.keras.activations.relu
    True
    >>> tf.keras.activations.get(None) is tf.keras.activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r} "
                     f"(use a name such as 'relu', a callable, or None)")
