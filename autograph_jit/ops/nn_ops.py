"""NN OpDefs and `tf.nn.*` functions: activations, softmax, cross-entropy losses, bias_add,
dropout, l2_loss and moments. Convolution and pooling live in conv_ops.py.

Ops that TF fuses for numerical reasons (softplus, softmax, log_softmax, the softmax
cross-entropies) are OpDefs with stable NumPy kernels and fused VJPs (softmax - labels); the rest
are composites of math ops, which are just as exact and differentiate through those ops' VJPs.
"""
import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import Tensor, constant_value
from ..tensor_shape import TensorShape
from . import array_ops as A
from . import math_ops as M
from . import random_ops, type_rules as tr
from ._args import match_dtypes, static_axis, static_ints, to_tensor
from ..errors import InvalidArgumentError
from .opdef import apply, defop

sigmoid = M.sigmoid
tanh = M.tanh

# ----------------------------------------------------------------------------------------------
# elementwise activations
# ----------------------------------------------------------------------------------------------


def _act(name, kernel, vjp, allowed=tr.FLOATS, **kw):
    return defop(name, tr.make_elementwise(name, allowed), kernel, vjp=vjp, elementwise=True,
                 **kw)


def _x(c):
    return c.inputs[0]


def _zero(g):
    return M.zeros_like_(g)


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _elu_kernel(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu_kernel(x):
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


_relu = _act("relu", lambda x: np.maximum(x, np.zeros_like(x)),  # (a full array: SIMD, 2x faster)
             lambda c, g: M.where(M.greater(_x(c), 0), g, _zero(g)), allowed=tr.NUMERIC)
_relu6 = _act("relu6", lambda x: np.clip(x, 0, 6).astype(x.dtype),
              lambda c, g: M.where(M.logical_and(M.greater(_x(c), 0), M.less(_x(c), 6)),
                                   g, _zero(g)), allowed=tr.NUMERIC)
_elu = _act("elu", _elu_kernel,
            lambda c, g: M.where(M.greater(_x(c), 0), g,
                                 M.multiply(g, M.add(c.outputs[0], 1))))
_selu = _act("selu", _selu_kernel,
             lambda c, g: M.where(M.greater(_x(c), 0), M.multiply(g, _SELU_SCALE),
                                  M.multiply(g, M.add(c.outputs[0], _SELU_SCALE * _SELU_ALPHA))))
# log(1 + e^x) = logaddexp(0, x): no overflow for large x, no underflow to 0 for large -x
_softplus = _act("softplus", lambda x: np.logaddexp(np.zeros((), x.dtype), x),
                 lambda c, g: M.multiply(g, M.sigmoid(_x(c))), heavy=True)


def _leaky_infer(in_types, alpha):
    return tr.make_elementwise("leaky_relu", tr.FLOATS)(in_types)


_leaky_relu = defop(
    "leaky_relu", _leaky_infer,
    lambda x, alpha: np.where(x > 0, x, x * np.asarray(alpha, x.dtype)),
    vjp=lambda c, g: M.where(M.greater(_x(c), 0), g, M.multiply(g, c.attrs["alpha"])),
    elementwise=True)


def relu(features, name=None):
    """Computes rectified linear: `max(features, 0)`.

    >>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """
    return apply(_relu, to_tensor(features))


def relu6(features, name=None):
    """Computes Rectified Linear 6: `min(max(features, 0), 6)`.

    >>> tf.nn.relu6(tf.constant([-1.0, 8.0])).numpy()
    array([0., 6.], dtype=float32)
    """
    return apply(_relu6, to_tensor(features))


def leaky_relu(features, alpha=0.2, name=None):
    """Computes the Leaky ReLU: `features` if positive, else `alpha * features`.

    >>> tf.nn.leaky_relu(tf.constant([-1.0, 2.0])).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    return apply(_leaky_relu, to_tensor(features), alpha=float(alpha))


def elu(features, name=None):
    """Computes the exponential linear unit: `x` if x > 0 else `exp(x) - 1`.

    >>> tf.nn.elu(tf.constant([0.0, 1.0])).numpy()
    array([0., 1.], dtype=float32)
    """
    return apply(_elu, to_tensor(features))


def selu(features, name=None):
    """Computes the scaled exponential linear unit (Klambauer et al., 2017).

    >>> tf.nn.selu(tf.constant([0.0])).numpy()
    array([0.], dtype=float32)
    """
    return apply(_selu, to_tensor(features))


def softplus(features, name=None):
    """Computes elementwise softplus: `log(exp(features) + 1)`.

    >>> round(float(tf.nn.softplus(tf.constant(0.0))), 4)
    0.6931
    """
    return apply(_softplus, to_tensor(features))


def softsign(features, name=None):
    """Computes softsign: `features / (abs(features) + 1)`.

    >>> tf.nn.softsign(tf.constant([1.0, -3.0])).numpy()
    array([ 0.5 , -0.75], dtype=float32)
    """
    x = to_tensor(features)
    return M.divide_(x, M.add(M.abs(x), 1))


def silu(features, beta=1.0, name=None):
    """x * sigmoid(beta * x) (TF's tf.nn.silu / tf.nn.swish).

    >>> np.round(tf.nn.silu(tf.constant([-1.0, 0.0, 2.0])).numpy(), 4)
    array([-0.2689,  0.    ,  1.7616], dtype=float32)
    """
    x = to_tensor(features)
    return M.multiply(x, M.sigmoid(M.multiply(x, beta)))


swish = silu


def gelu(features, approximate=False, name=None):
    """Computes the Gaussian error linear unit (`approximate=True`: the tanh form).

    >>> float(tf.nn.gelu(tf.constant(0.0)))
    0.0
    """
    x = to_tensor(features)
    if approximate:
        inner = M.multiply(M.add(x, M.multiply(M.pow(x, 3), 0.044715)), 0.7978845608028654)
        return M.multiply(M.multiply(x, 0.5), M.add(M.tanh(inner), 1))
    return M.multiply(M.multiply(x, 0.5), M.add(M.erf(M.divide_(x, 1.4142135623730951)), 1))


# ----------------------------------------------------------------------------------------------
# softmax, log_softmax
# ----------------------------------------------------------------------------------------------


def _softmax_infer(name):
    def infer(in_types, axis):
        x = in_types[0]
        tr.check_dtype(name, x, tr.FLOATS, "logits")
        if x.shape.rank == 0:
            raise InvalidArgumentError(f"{name}: logits must have >= 1 dimension, got shape [] "
                                       f"[Op:{name}]", name)
        tr.normalize_axis(name, axis, x.shape.rank)
        return x
    return infer


def _shifted(x, axis):
    # subtracting the max keeps exp() <= 1: no overflow for logits of any size
    if x.size == 0:  # (an empty axis has no max; the result is empty as in TF)
        return x
    m = x.max(axis=axis, keepdims=True)
    return x - np.where(np.isfinite(m), m, 0)


def _log_sum_exp(s, axis):
    return np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _softmax_kernel(x, axis):
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_kernel(x, axis):
    s = _shifted(x, axis)
    return s - _log_sum_exp(s, axis)


def _softmax_backward(g, p, axis):
    """VJP of softmax at output p: (g - sum(g * p)) * p."""
    return M.multiply(M.subtract(g, M.reduce_sum(M.multiply(g, p), axis, keepdims=True)), p)


_softmax = defop("softmax", _softmax_infer("softmax"), _softmax_kernel,
                 vjp=lambda c, g: _softmax_backward(g, c.outputs[0], c.attrs["axis"]),
                 speculatable=True)
_log_softmax = defop(
    "log_softmax", _softmax_infer("log_softmax"), _log_softmax_kernel,
    vjp=lambda c, g: M.subtract(g, M.multiply(M.exp(c.outputs[0]),
                                              M.reduce_sum(g, c.attrs["axis"], keepdims=True))),
                     speculatable=True)


def _axis(axis):
    return -1 if axis is None else int(static_axis(axis, "axis"))


def softmax(logits, axis=None, name=None):
    """Computes softmax activations along `axis` (default: the last).

    >>> tf.nn.softmax(tf.constant([0.0, 0.0])).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    return apply(_softmax, to_tensor(logits), axis=_axis(axis))


def log_softmax(logits, axis=None, name=None):
    """Computes log softmax activations along `axis` (default: the last).

    >>> tf.nn.log_softmax(tf.constant([0.0, 0.0])).numpy().round(4)
    array([-0.6931, -0.6931], dtype=float32)
    """
    return apply(_log_softmax, to_tensor(logits), axis=_axis(axis))


# ----------------------------------------------------------------------------------------------
# cross-entropy losses
# ----------------------------------------------------------------------------------------------

_SPARSE = "SparseSoftmaxCrossEntropyWithLogits"


def _sparse_infer(in_types):
    labels, logits = in_types
    tr.check_dtype(_SPARSE, labels, (dtypes.int32, dtypes.int64), "labels")
    tr.check_dtype(_SPARSE, logits, tr.FLOATS, "logits")
    lr, gr = labels.shape.rank, logits.shape.rank
    if gr == 0:
        raise ValueError("Logits cannot be scalars - received shape ().")
    if lr is not None and gr is not None:
        if lr != gr - 1:
            raise ValueError(f"Rank mismatch: Rank of labels (received {lr}) should equal rank "
                             f"of logits minus 1 (received {gr}).")
        if not labels.shape.is_compatible_with(logits.shape[:-1]):
            raise InvalidArgumentError(
                f"Shape mismatch: The shape of labels (received {labels.shape}) should equal the "
                f"shape of logits except for the last dimension (received {logits.shape}). "
                f"[Op:{_SPARSE}]", _SPARSE)
        return TensorType(logits.dtype, labels.shape.merge_with(logits.shape[:-1]))
    shape = labels.shape if lr is not None else (
        logits.shape[:-1] if gr is not None else TensorShape(None))
    return TensorType(logits.dtype, shape)


def _check_labels(labels, depth):
    bad = (labels < 0) | (labels >= depth)
    if np.any(bad):
        value = labels[bad].ravel()[0]
        shown = " ".join(str(v) for v in labels.ravel()[:100])
        raise InvalidArgumentError(
            f"Received a label value of {value} which is outside the valid range of "
            f"[0, {depth}).  Label values: {shown} [Op:{_SPARSE}]. Fix: labels must be class "
            f"indices in [0, num_classes); check the last dimension of logits.", _SPARSE)


def _label_index(labels):
    """(rows, columns) picking each label's class in logits viewed as [labels.size, depth]:
    take_along_axis's selection as one fancy index, without its Python-level index building."""
    return np.arange(labels.size), labels.reshape(-1).astype(np.intp)


def _sparse_kernel(labels, logits):
    depth = logits.shape[-1]
    _check_labels(labels, depth)
    s = _shifted(logits, -1)
    if s.size == 0:
        picked = np.take_along_axis(s, labels[..., None].astype(np.intp), axis=-1)
    else:
        picked = s.reshape(-1, depth)[_label_index(labels)].reshape(labels.shape + (1,))
    return (_log_sum_exp(s, -1) - picked)[..., 0]


def _sparse_grad_kernel(labels, logits):
    depth = logits.shape[-1]
    _check_labels(labels, depth)
    p = _softmax_kernel(logits, -1)
    if p.size == 0:
        return p
    p = np.ascontiguousarray(p)   # (then the reshape below is a view of it)
    flat = p.reshape(-1, depth)
    index = _label_index(labels)
    flat[index] = flat[index] - 1
    return p


def _sparse_vjp(c, g):
    labels, logits = c.inputs
    return None, M.multiply(A.expand_dims(g, -1), apply(_sparse_grad, labels, logits))


def _sparse_grad_vjp(c, h):
    # d(softmax - onehot) = the softmax Jacobian
    return None, _softmax_backward(h, softmax(c.inputs[1]), -1)


_sparse = defop("sparse_softmax_cross_entropy_with_logits",
                _sparse_infer, _sparse_kernel,
                vjp=_sparse_vjp)
_sparse_grad = defop("sparse_softmax_cross_entropy_grad",
                     lambda in_types: (_sparse_infer(in_types), in_types[1])[1],
                     _sparse_grad_kernel, vjp=_sparse_grad_vjp,
                     doc="softmax(logits) - one_hot(labels): the fused gradient of the loss.")


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Computes sparse softmax cross entropy between integer `labels` and `logits`.

    Args:
      labels: int tensor of class indices, shape `logits.shape[:-1]`.
      logits: unscaled log probabilities, shape `[..., num_classes]`.

    >>> tf.nn.sparse_softmax_cross_entropy_with_logits(
    ...     labels=tf.constant([0]), logits=tf.constant([[0.0, 0.0]])).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    logits = to_tensor(logits)
    labels = to_tensor(labels, dtype_hint=dtypes.int32)
    return apply(_sparse, labels, logits)


def _xent_infer(in_types, axis):
    labels, logits = in_types
    name = "SoftmaxCrossEntropyWithLogits"
    tr.same_dtype(name, [logits, labels])
    tr.check_dtype(name, logits, tr.FLOATS, "logits")
    if logits.shape.rank == 0:
        raise ValueError("Logits cannot be scalars - received shape ().")
    if not labels.shape.is_compatible_with(logits.shape):
        raise InvalidArgumentError(
            f"logits and labels must be broadcastable: logits_size={logits.shape.as_list()} "
            f"labels_size={labels.shape.as_list()} [Op:{name}]. Fix: labels need the shape of "
            "logits (one probability distribution per row).", name)
    shape = logits.shape.merge_with(labels.shape)
    ax = tr.normalize_axis(name, axis, shape.rank)
    return TensorType(logits.dtype, tr.reduced_shape(shape, (ax,), False)
                      if shape.rank is not None else TensorShape(None))


def _xent_kernel(labels, logits, axis):
    s = _shifted(logits, axis)
    return np.sum(labels * (_log_sum_exp(s, axis) - s), axis=axis)


def _xent_vjp(c, g):
    labels, logits = c.inputs
    axis = c.attrs["axis"]
    ge = A.expand_dims(g, axis)
    # TF's fused gradient: softmax - labels (labels sum to 1 along the axis)
    return (M.multiply(ge, M.negative(log_softmax(logits, axis))),
            M.multiply(ge, M.subtract(softmax(logits, axis), labels)))


_xent = defop("softmax_cross_entropy_with_logits", _xent_infer, _xent_kernel, vjp=_xent_vjp)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Computes softmax cross entropy between `logits` and label distributions.

    >>> tf.nn.softmax_cross_entropy_with_logits(
    ...     labels=[[1.0, 0.0]], logits=[[0.0, 0.0]]).numpy().round(4)
    array([0.6931], dtype=float32)
    """
    labels, logits = match_dtypes(labels, logits)
    return apply(_xent, labels, logits, axis=_axis(axis))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)): never exp() of a positive number.

    >>> logits = tf.constant([0.0, 2.0])
    >>> labels = tf.constant([1.0, 0.0])
    >>> np.round(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits).numpy(), 4)
    array([0.6931, 2.1269], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    logits, labels = match_dtypes(logits, labels)
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(f"logits and labels must have the same shape "
                         f"({logits.shape} vs {labels.shape})")
    zeros = M.zeros_like_(logits)
    cond = M.greater_equal(logits, zeros)
    relu_logits = M.where(cond, logits, zeros)
    neg_abs_logits = M.where(cond, M.negative(logits), logits)
    return M.add(M.subtract(relu_logits, M.multiply(logits, labels)),
                 M.log1p(M.exp(neg_abs_logits)))


# ----------------------------------------------------------------------------------------------
# bias_add
# ----------------------------------------------------------------------------------------------


def _bias_infer(in_types, channel_axis):
    value, bias = in_types
    tr.same_dtype("BiasAdd", in_types)
    tr.check_dtype("BiasAdd", value, tr.NUMERIC)
    if value.shape.rank is not None and value.shape.rank < 2:
        raise InvalidArgumentError(f"Input tensor must be at least 2D: {value.shape} "
                                   "[Op:BiasAdd]", "BiasAdd")
    if bias.shape.rank is not None and bias.shape.rank != 1:
        raise InvalidArgumentError(f"Biases must be 1D: {bias.shape} [Op:BiasAdd]", "BiasAdd")
    if value.shape.rank is not None and bias.shape.rank is not None:
        c, b = value.shape[channel_axis], bias.shape[0]
        if c is not None and b is not None and c != b:
            where = "last" if channel_axis == -1 else "channel"
            raise InvalidArgumentError(
                f"Must provide as many biases as the {where} dimension of the input tensor: "
                f"{bias.shape} vs. {value.shape} [Op:BiasAdd]", "BiasAdd")
    return value


def _bias_kernel(value, bias, channel_axis):
    shape = [1] * value.ndim
    shape[channel_axis] = -1
    return value + bias.reshape(shape)


def _bias_vjp(c, g):
    value = c.inputs[0]
    rank = value.shape.rank
    ch = c.attrs["channel_axis"] % rank
    return g, M.reduce_sum(g, axis=[i for i in range(rank) if i != ch])


_bias_add = defop("bias_add", _bias_infer, _bias_kernel, vjp=_bias_vjp)


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D bias along the channel dim: last for None/'N...C'/'NHWC', 1 for 'NC...'.

    >>> tf.nn.bias_add(tf.zeros([2, 3]), [1.0, 2.0, 3.0]).numpy()
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """
    value, bias = match_dtypes(value, bias)
    if data_format is None or (data_format.startswith("N") and data_format.endswith("C")):
        axis = -1
    elif data_format.startswith("NC"):
        axis = 1
    else:
        raise ValueError(f"data_format must be of the form `N...C` or `NC...`, got "
                         f"{data_format!r}")
    return apply(_bias_add, value, bias, channel_axis=axis)


# ----------------------------------------------------------------------------------------------
# dropout, l2_loss, moments
# ----------------------------------------------------------------------------------------------


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).

    >>> x = tf.ones([1, 1000])
    >>> y = tf.nn.dropout(x, rate=0.5, seed=1)
    >>> sorted(set(y.numpy().ravel().tolist()))
    [0.0, 2.0]
    """
    x = to_tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"x has to be a floating point tensor since it's going to be scaled. "
                         f"Got a {x.dtype.name} tensor instead.")
    known = rate
    if isinstance(rate, Tensor) or hasattr(rate, "_as_tensor"):
        v = constant_value(to_tensor(rate))
        if v is not None and np.ndim(v) != 0:
            raise ValueError(f"dropout: rate must be a scalar, got shape {list(np.shape(v))}")
        known = None if v is None else float(v)
    if known is not None:
        known = float(known)
        if not 0 <= known < 1:
            raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                             f"got {known:g}")
        if known == 0 and not isinstance(rate, Tensor):
            return x
    rate_t = M.cast(to_tensor(rate, dtype_hint=x.dtype), x.dtype)
    if noise_shape is None:
        noise = A.shape(x)
    else:
        dims = static_ints(noise_shape, "noise_shape")
        if dims is not None and x.shape.rank is not None:
            # None entries take x's dim, as in TF
            noise = [x.shape[i] if d is None else d for i, d in enumerate(dims)]
            noise = A.shape(x) if None in noise else noise
        else:
            noise = noise_shape
    u = random_ops.uniform(noise, dtype=x.dtype, seed=seed)
    keep = M.cast(M.greater_equal(u, rate_t), x.dtype)
    scale = M.divide_(1, M.subtract(1, rate_t)) if known is None else 1.0 / (1.0 - known)
    return M.multiply(M.multiply(x, scale), keep)


def l2_loss(t, name=None):
    """sum(t ** 2) / 2.

    >>> print(tf.nn.l2_loss(tf.constant([1.0, 2.0, 3.0])))
    tf.Tensor(7.0, shape=(), dtype=float32)
    """
    t = to_tensor(t)
    return M.multiply(M.reduce_sum(M.square(t)), 0.5)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance over `axes` (float16 is computed in float32, as TF).

    >>> mean, variance = tf.nn.moments(tf.constant([1.0, 2.0, 3.0, 4.0]), axes=[0])
    >>> float(mean), float(variance)
    (2.5, 1.25)
    """
    x = to_tensor(x)
    y = M.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
    mean = M.reduce_mean(y, axes, keepdims=True)
    variance = M.reduce_mean(M.squared_difference(y, A.stop_gradient(mean)), axes,
                             keepdims=True)
    if not keepdims:
        ax = static_ints(axes, "axes")
        ax = [ax] if isinstance(ax, int) else list(ax)
        mean = A.squeeze(mean, ax)
        variance = A.squeeze(variance, ax)
    if x.dtype is dtypes.float16:
        return M.cast(mean, x.dtype), M.cast(variance, x.dtype)
    return mean, variance
