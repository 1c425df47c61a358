"""`keras.utils.to_categorical` and `keras.utils.normalize` (NumPy in, NumPy out)."""
import numpy as np

from ...ops.array_ops import reshape
from ...ops.gather_ops import one_hot
from ...tensor import is_tensor

__all__ = ["to_categorical", "normalize"]


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape `x.shape + (num_classes,)` (a trailing
    dimension of 1 is dropped first, as Keras does). As Keras 3: NumPy arrays and lists give a
    float64 NumPy array; a tensor gives a float32 tensor (`tf.one_hot`).

    Example: `to_categorical([0, 2], num_classes=3)` -> `[[1, 0, 0], [0, 0, 1]]`.

    >>> tf.keras.utils.to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    >>> tf.keras.utils.to_categorical(tf.constant([1]), num_classes=2).dtype
    tf.float32
    """
    if is_tensor(x):
        shape = x.shape.as_list()
        if len(shape) > 1 and shape[-1] == 1:
            x = reshape(x, [-1 if d is None else d for d in shape[:-1]])
        if num_classes is None:
            num_classes = int(np.max(x.numpy())) + 1
        return one_hot(x, num_classes)
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(np.max(x)) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}); got values in "
                         f"[{x.min()}, {x.max()}]. Pass a larger `num_classes`.")
    out = np.zeros((x.shape[0], num_classes))   # float64, as Keras 3
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale `x` to unit `order`-norm along `axis` (zero vectors stay zero).

    >>> np.round(tf.keras.utils.normalize(np.array([[3.0, 4.0]])), 4)
    array([[0.6, 0.8]])
    """
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
