"""`keras.utils.to_categorical` and `keras.utils.normalize` (NumPy in, NumPy out)."""
import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape `x.shape + (num_classes,)`, float32
    (a trailing dimension of 1 is dropped first, as Keras does).

    Example: `to_categorical([0, 2], num_classes=3)` -> `[[1, 0, 0], [0, 0, 1]]`.

    >>> tf.keras.utils.to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if hasattr(x, "numpy"):
        x = x.numpy()
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
    out = np.zeros((x.shape[0], num_classes), dtype="float32")
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
