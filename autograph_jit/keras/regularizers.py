"""`tf.keras.regularizers` (Keras 3): L1, L2, L1L2 and `get`.

A regularizer is called on a weight and returns a scalar penalty that the layer adds to its
losses (`Layer.add_weight(regularizer=...)`).

    >>> tf.keras.regularizers.L2(0.1)(tf.constant([1.0, 2.0])).numpy()
    0.5
"""
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..tensor import convert_to_tensor
from . import identifiers

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "OrthogonalRegularizer",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


def _factor(value, name, who):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: `{name}` must be a number, got {value!r}") from None
    if value < 0 or value != value:
        raise ValueError(f"{who}: `{name}` must be a non-negative float, got {name}={value}")
    return value


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty; `get_config`/`from_config`.

    >>> class Sum(tf.keras.regularizers.Regularizer):
    ...     def __call__(self, x):
    ...         return 0.01 * tf.reduce_sum(x)
    >>> layer = tf.keras.layers.Dense(1, kernel_initializer='ones', kernel_regularizer=Sum())
    >>> _ = layer(tf.ones([1, 3]))
    >>> [round(float(l), 4) for l in layer.losses]
    [0.03]
    """

    def __call__(self, x):
        raise TypeError(f"{type(self).__name__} must define __call__(x) returning a scalar penalty")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x^2)` (both default to 0.0).

    >>> round(float(tf.keras.regularizers.L1L2(l1=0.1, l2=0.1)(tf.constant([1.0, -2.0]))), 4)
    0.8
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", "L1L2")
        self.l2 = _factor(l2, "l2", "L1L2")

    def __call__(self, x):
        x = convert_to_tensor(x)
        total = None
        if self.l1:
            total = M.multiply(M.reduce_sum(M.abs(x)), self.l1)
        if self.l2:
            term = M.multiply(M.reduce_sum(M.square(x)), self.l2)
            total = term if total is None else M.add(total, term)
        if total is None:
            total = M.multiply(M.reduce_sum(x), 0.0)
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)` (l1 defaults to 0.01).

    >>> float(tf.keras.regularizers.L1(0.1)(tf.constant([1.0, -2.0])))
    0.30000001192092896
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x^2)` (l2 defaults to 0.01).

    >>> float(tf.keras.regularizers.L2(0.1)(tf.constant([1.0, -2.0])))
    0.5
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (`mode='rows'`) or columns (`'columns'`) of a rank-2
    weight: `factor * 0.5 * sum(|off-diagonal of X X^T|) / (n * (n - 1) / 2)` with the rows
    (columns) of X L2-normalized. `OrthogonalRegularizer(factor=0.01, mode='rows')`.

    >>> reg = tf.keras.regularizers.OrthogonalRegularizer(factor=1.0)
    >>> round(float(reg(tf.constant([[1.0, 0.0], [1.0, 1.0]]))), 4)
    0.7071
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, x):
        x = convert_to_tensor(x)
        if x.shape.rank != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={tuple(x.shape.as_list())}")
        axis = 1 if self.mode == "rows" else 0
        x = M.multiply(x, M.minimum(M.rsqrt(M.reduce_sum(M.square(x), axis=axis,
                                                         keepdims=True)), 1e7))
        if self.mode == "rows":
            product, size = M.matmul(x, x, transpose_b=True), x.shape[0]
        else:
            product, size = M.matmul(x, x, transpose_a=True), x.shape[1]
        off = M.multiply(product, M.subtract(1.0, A.eye(size, dtype=x.dtype)))
        pairs = size * (size - 1.0) / 2.0
        return M.divide(M.multiply(M.reduce_sum(M.abs(off)), self.factor * 0.5), pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2,
            "OrthogonalRegularizer": OrthogonalRegularizer,
            "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer):
    """Keras 3's dict for a regularizer object.

    >>> tf.keras.regularizers.serialize(tf.keras.regularizers.L2(0.5))['config']
    {'l2': 0.5}
    """
    return identifiers.serialize(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    """The regularizer a name or serialized dict stands for.

    >>> config = tf.keras.regularizers.serialize(tf.keras.regularizers.L2(0.5))
    >>> tf.keras.regularizers.deserialize(config).get_config()
    {'l2': 0.5}
    """
    return identifiers.deserialize(config, _CLASSES, "regularizer", "or pass a callable(weight) -> scalar", custom_objects)


def get(identifier):
    """Resolve a `kernel_regularizer=`-style argument: None, a name, a dict, or a callable.

    >>> type(tf.keras.regularizers.get('l2')).__name__
    'L2'
    """
    return identifiers.get(identifier, deserialize, "regularizer")
