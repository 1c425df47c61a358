"""What `adapt(data)` of the preprocessing layers reads: NumPy arrays, lists, tensors and
`tf.data.Dataset`s, as NumPy batches (Keras 3's `PreprocessingLayer.adapt` input rules)."""
import numpy as np

from ....data.dataset import Dataset
from ....tensor import Tensor

__all__ = ["adapt_batches", "as_numpy"]


def as_numpy(value):
    """A tensor, list or array as a NumPy array (strings as an object array of bytes)."""
    if isinstance(value, Tensor):
        return np.asarray(value.numpy())
    if hasattr(value, "to_tensor") and hasattr(value, "flat_values"):  # a RaggedTensor
        return np.asarray(value.flat_values.numpy())
    arr = np.asarray(value)
    if arr.dtype.kind == "U":
        arr = np.array([s.encode("utf-8") for s in arr.ravel()], dtype=object).reshape(arr.shape)
    return arr


def adapt_batches(data, batch_size=None, steps=None):
    """Yield NumPy arrays of `data` in batches: a Dataset's elements (`steps` of them when given),
    an array or tensor in slices of `batch_size` (all of it when None).

    Raises ValueError for a Dataset of tuples (adapt takes features only, as Keras)."""
    if isinstance(data, Dataset):
        if batch_size is not None:
            data = data.batch(batch_size)
        for i, element in enumerate(data):
            if steps is not None and i >= steps:
                break
            if isinstance(element, (tuple, list, dict)):
                raise ValueError("adapt() takes a dataset of features only; got elements of "
                                 f"type {type(element).__name__}. Fix: "
                                 "`layer.adapt(ds.map(lambda x, y: x))`.")
            yield as_numpy(element)
        return
    arr = as_numpy(data)
    if batch_size is None or arr.ndim == 0:
        yield arr
        return
    count = 0
    for start in range(0, max(len(arr), 1), batch_size):
        if steps is not None and count >= steps:
            break
        count += 1
        yield arr[start:start + batch_size]
