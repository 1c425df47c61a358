"""Merging layers (Keras 3): Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
Dot, and their functional forms (`add([a, b])`, ...). Inputs are a list of tensors of the same
shape (size-1 axes broadcast); masks are combined with logical AND (Concatenate: per input)."""
import functools

from ...ops import array_ops as A
from ...ops import math_ops as M
from .layer import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _shape_str(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


class _Merge(Layer):
    _MIN_INPUTS = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"A merge layer ({type(self).__name__}) should be called on a list "
                             f"of inputs. Received: input_shape={shapes}")
        if len(shapes) < self._MIN_INPUTS:
            raise ValueError(f"A merge layer ({type(self).__name__}) should be called on a list "
                             f"of at least {self._MIN_INPUTS} inputs. Got {len(shapes)} inputs.")
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError("Cannot merge tensors with different batch sizes. Received tensors "
                             f"with shapes {[tuple(s) for s in shapes]}")
        ranks = {len(s) for s in shapes}
        if len(ranks) == 1:
            for axis in range(1, len(shapes[0])):
                dims = {s[axis] for s in shapes if s[axis] is not None and s[axis] != 1}
                if len(dims) > 1:
                    raise ValueError(f"Inputs have incompatible shapes. Received shapes "
                                     f"{_shape_str(shapes)} in layer {self.name} "
                                     f"({type(self).__name__})")

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer ({type(self).__name__}) should be called on a list "
                             f"of inputs. Received: inputs={inputs}")
        return self._merge(list(inputs))

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        masks = [A.expand_dims(m, 0) for m in mask if m is not None]
        return M.reduce_all(A.concat(masks, 0), axis=0)

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        for s in input_shape[1:]:
            for i, d in enumerate(s):
                if out[i] in (None, 1):
                    out[i] = d if d != 1 or out[i] is None else out[i]
        return tuple(out)


class Add(_Merge):
    """Elementwise sum of a list of inputs: `Add()([a, b])`.

    >>> tf.keras.layers.Add()([tf.ones([1, 2]), tf.fill([1, 2], 2.0)]).numpy()
    array([[3., 3.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(M.add, inputs)


class Subtract(_Merge):
    """`inputs[0] - inputs[1]` (exactly two inputs).

    >>> tf.keras.layers.Subtract()([tf.constant([5.0, 3.0]), tf.constant([1.0, 1.0])]).numpy()
    array([4., 2.], dtype=float32)
    """

    _MIN_INPUTS = 2

    def _check(self, shapes):
        super()._check(shapes)
        if len(shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={shapes}")

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: {len(inputs)} inputs")
        return M.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product of a list of inputs.

    >>> tf.keras.layers.Multiply()([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
    array([ 3., 10.], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(M.multiply, inputs)


class Average(_Merge):
    """Elementwise mean of a list of inputs.

    >>> tf.keras.layers.Average()([tf.ones([1, 2]), tf.fill([1, 2], 3.0)]).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        return M.divide(functools.reduce(M.add, inputs), float(len(inputs)))


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs.

    >>> tf.keras.layers.Maximum()([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
    array([3., 5.], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(M.maximum, inputs)


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs.

    >>> tf.keras.layers.Minimum()([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
    array([1., 2.], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(M.minimum, inputs)


class Concatenate(_Merge):
    """Concatenates a list of inputs along `axis` (-1); other axes must match.

    >>> tf.keras.layers.Concatenate()([tf.ones([2, 3]), tf.zeros([2, 1])]).shape
    TensorShape([2, 4])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _check(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 "
                             f"input. Received: input_shape={shapes}")
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except "
                             f"for the concatenation axis. Received: input_shape="
                             f"{_shape_str(shapes)}")
        rank = ranks.pop()
        axis = self.axis % rank
        for i in range(rank):
            if i == axis:
                continue
            dims = {s[i] for s in shapes if s[i] is not None}
            if len(dims) > 1:
                raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes "
                                 f"except for the concatenation axis. Received: input_shape="
                                 f"{_shape_str(shapes)}")

    def _merge(self, inputs):
        return A.concat(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = M.cast(A.ones_like(x), "bool")
            elif m.shape.rank is not None and x.shape.rank is not None and \
                    m.shape.rank < x.shape.rank:
                m = M.logical_and(A.expand_dims(m, -1), M.cast(A.ones_like(x), "bool"))
            full.append(m)
        return M.reduce_all(A.concat(full, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        axis = self.axis % len(out)
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if None in sizes else sum(sizes)
        for i in range(len(out)):
            if i != axis and out[i] is None:
                out[i] = next((s[i] for s in input_shape if s[i] is not None), None)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(x, axis):
    sq = M.reduce_sum(M.square(x), axis=axis, keepdims=True)
    return M.multiply(x, M.rsqrt(M.maximum(sq, 1e-12)))


def batch_dot(x, y, axes):
    """Keras's batch_dot for inputs of rank 2 or 3: contracts x's axes[0] with y's axes[1]."""
    rx, ry = x.shape.rank, y.shape.rank
    ax, ay = axes[0] % rx, axes[1] % ry
    if rx == 2 and ry == 2:
        return M.reduce_sum(M.multiply(x, y), axis=1, keepdims=True)
    x3 = A.expand_dims(x, 1) if rx == 2 else x                    # (B, m, k) with k = ax
    if rx == 3 and ax == 1:
        x3 = A.transpose(x3, [0, 2, 1])
    y3 = A.expand_dims(y, 2) if ry == 2 else y                    # (B, k, n)
    if ry == 3 and ay == 2:
        y3 = A.transpose(y3, [0, 2, 1])
    out = M.matmul(x3, y3)
    if rx == 2:
        out = A.squeeze(out, [1])
    if ry == 2:
        out = A.squeeze(out, [-1])
    return out


class Dot(_Merge):
    """Dot product of two samples-wise inputs along `axes` (an int or a pair); with
    `normalize=True` the cosine similarity. Inputs of rank 2 or 3.

    >>> tf.keras.layers.Dot(axes=1)([tf.constant([[1.0, 2.0]]), tf.constant([[3.0, 4.0]])]).numpy()
    array([[11.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) and not (isinstance(axes, (list, tuple)) and
                                              len(axes) == 2):
            raise TypeError(f"Invalid type/value for `axes` argument. Expected an int or a "
                            f"list/tuple of 2 ints. Received: axes={axes}")
        self.axes = axes if isinstance(axes, int) else tuple(axes)
        self.normalize = normalize
        self.supports_masking = True

    def _axes(self, rx, ry):
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return axes[0] % rx, axes[1] % ry

    def _check(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={shapes}")
        a, b = shapes
        if not (2 <= len(a) <= 3 and 2 <= len(b) <= 3):
            raise ValueError(f"Dot layer {self.name}: inputs of rank 2 or 3 are supported, got "
                             f"shapes {_shape_str(shapes)}")
        ax, ay = self._axes(len(a), len(b))
        if ax == 0 or ay == 0:
            raise ValueError(f"Dot layer {self.name}: cannot contract the batch axis")
        if a[ax] is not None and b[ay] is not None and a[ax] != b[ay]:
            raise ValueError(f"Incompatible input shapes: axis values {a[ax]} (at axis {ax}) != "
                             f"{b[ay]} (at axis {ay}). Full input shapes: {_shape_str(shapes)}")

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: "
                             f"{len(inputs)} inputs")
        x, y = inputs
        ax, ay = self._axes(x.shape.rank, y.shape.rank)
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        return batch_dot(x, y, (ax, ay))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        a, b = list(input_shape[0]), list(input_shape[1])
        ax, ay = self._axes(len(a), len(b))
        a.pop(ax)
        b.pop(ay)
        b.pop(0)
        out = a + b
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def _functional(cls, summary, example):
    """The functional form of a merging layer: `fn(inputs, **kwargs)` builds `cls(**kwargs)` and
    calls it on `inputs`; the docstring is `summary`, the shared Args/Returns and `example`."""
    def fn(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = (f"{summary}\n\nArgs:\n  inputs: a list of tensors of the same shape.\n"
                  "  **kwargs: the layer's arguments.\n\nReturns:\n  A tensor, the layer's output.\n\n"
                  f"{example}\n")
    return fn


add = _functional(
    Add, """Functional interface to the `tf.keras.layers.Add` layer: the sum of `inputs`.""",
    """>>> tf.keras.layers.add([tf.ones([1, 2]), tf.ones([1, 2])]).numpy()
array([[2., 2.]], dtype=float32)""")
subtract = _functional(
    Subtract, """Functional interface to the `tf.keras.layers.Subtract` layer: `inputs[0] - inputs[1]`.""",
    """>>> tf.keras.layers.subtract([tf.constant([5.0, 3.0]), tf.constant([1.0, 1.0])]).numpy()
array([4., 2.], dtype=float32)""")
multiply = _functional(
    Multiply, """Functional interface to the `tf.keras.layers.Multiply` layer: the product of `inputs`.""",
    """>>> tf.keras.layers.multiply([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
array([ 3., 10.], dtype=float32)""")
average = _functional(
    Average, """Functional interface to the `tf.keras.layers.Average` layer: the mean of `inputs`.""",
    """>>> tf.keras.layers.average([tf.ones([1, 2]), tf.fill([1, 2], 3.0)]).numpy()
array([[2., 2.]], dtype=float32)""")
maximum = _functional(
    Maximum, """Functional interface to the `tf.keras.layers.Maximum` layer: the element-wise maximum.""",
    """>>> tf.keras.layers.maximum([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
array([3., 5.], dtype=float32)""")
minimum = _functional(
    Minimum, """Functional interface to the `tf.keras.layers.Minimum` layer: the element-wise minimum.""",
    """>>> tf.keras.layers.minimum([tf.constant([1.0, 5.0]), tf.constant([3.0, 2.0])]).numpy()
array([1., 2.], dtype=float32)""")


def concatenate(inputs, axis=-1, **kwargs):
    """`concatenate([a, b, ...], axis=-1)`: the functional form of Concatenate.

    >>> tf.keras.layers.concatenate([tf.ones([2, 3]), tf.zeros([2, 1])]).shape
    TensorShape([2, 4])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """`dot([a, b], axes, normalize=False)`: the functional form of Dot.

    >>> tf.keras.layers.dot([tf.constant([[1.0, 2.0]]), tf.constant([[3.0, 4.0]])], axes=1).numpy()
    array([[11.]], dtype=float32)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
