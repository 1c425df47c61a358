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
from ..ops import math_ops as M
from ..ops import nn_ops as N
from ..tensor import convert_to_tensor


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


# (read-only views, not dicts: these name activations, not ops, so the op-table scan skips them)
_BY_NAME = types.MappingProxyType({
    "relu": relu, "leaky_relu": leaky_relu, "relu6": relu6, "elu": elu, "selu": selu,
    "gelu": gelu, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu,
    "hard_swish": hard_silu, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
    "softplus": softplus, "softsign": softsign, "silu": silu, "swish": silu, "mish": mish,
    "exponential": exponential, "linear": linear,
})
_NAME_OF = {fn: name for name, fn in _BY_NAME.items()
            if name not in ("swish", "hard_swish")}


def serialize(activation):
    """The name Keras 3 stores for a built-in activation (a custom callable keeps its `__name__`).

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
    return name


def deserialize(config, custom_objects=None):
    """The activation function a name (or `{'class_name': ...}` dict) stands for.

    >>> tf.keras.activations.deserialize('tanh') is tf.keras.activations.tanh
    True
    """
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
        if isinstance(config, dict):
            config = config.get("name")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    if config not in _BY_NAME:
        raise ValueError(f"Unknown activation function: {config!r}. Valid names are "
                         f"{sorted(_BY_NAME)} (or pass a callable).")
    return _BY_NAME[config]


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
