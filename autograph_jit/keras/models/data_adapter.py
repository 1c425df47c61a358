"""How `fit`/`evaluate`/`predict` read their data: in-memory arrays (NumPy, tensors, lists/dicts
of them) sliced into batches, or any iterable yielding batches (Python generators, a
`tf.data.Dataset`, a `keras.utils.PyDataset`-like sequence), each batch `x`, `(x,)`, `(x, y)` or
`(x, y, sample_weight)`."""
import math
import warnings

import numpy as np

from ... import nest
from ...tensor import Tensor
from ...variables import Variable

__all__ = ["unpack_x_y_sample_weight", "pack_x_y_sample_weight", "ArrayData", "IterableData",
           "make_data", "train_validation_split"]


def unpack_x_y_sample_weight(data):
    """Keras's `keras.utils.unpack_x_y_sample_weight`: `(x, y, sample_weight)` of a batch.

    >>> tf.keras.utils.unpack_x_y_sample_weight(([1, 2], [0, 1]))
    ([1, 2], [0, 1], None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs user-provided data into a tuple: `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    Args:
      x: the features.
      y: the targets, or None.
      sample_weight: the sample weights, or None.

    Returns:
      The shortest tuple holding the values given (the inverse of `unpack_x_y_sample_weight`).

    >>> tf.keras.utils.pack_x_y_sample_weight([1, 2], [0, 1])
    ([1, 2], [0, 1])
    >>> tf.keras.utils.pack_x_y_sample_weight("x")
    ('x',)
    """
    if y is None:
        return (x,) if not isinstance(x, (list, tuple)) else (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _to_array(v):
    if v is None:
        return None
    if isinstance(v, (Tensor, Variable)):
        return np.asarray(v.numpy())
    if isinstance(v, np.ndarray):
        return v
    if hasattr(v, "__array__") and not isinstance(v, (list, tuple, dict)):
        return np.asarray(v)
    return np.asarray(v)


def _is_array_data(x):
    leaves = nest.flatten(x)
    return bool(leaves) and all(
        v is None or isinstance(v, (np.ndarray, Tensor, Variable, int, float, np.generic))
        or (hasattr(v, "__array__") and hasattr(v, "shape")) for v in leaves)


def _class_weights_to_sample_weights(y, class_weight):
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = np.round(y.reshape(y.shape[0], -1)[:, 0]).astype(np.int64) if y.ndim > 1 \
            else np.round(y).astype(np.int64)
    max_class = max(class_weight) if class_weight else 0
    table = np.ones(max(int(max_class) + 1, int(labels.max(initial=0)) + 1), np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


class ArrayData:
    """Batches sliced from in-memory arrays (shuffled per epoch when `shuffle`)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        self.x = nest.map_structure(_to_array, x)
        self.y = nest.map_structure(_to_array, y) if y is not None else None
        self.sample_weight = nest.map_structure(_to_array, sample_weight) \
            if sample_weight is not None else None
        leaves = [v for v in nest.flatten((self.x, self.y, self.sample_weight)) if v is not None]
        sizes = {int(v.shape[0]) for v in leaves if v.ndim > 0}
        if len(sizes) > 1:
            raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the "
                             f"same number of samples. Received sizes: {sorted(sizes)}")
        self.num_samples = sizes.pop() if sizes else 0
        if class_weight is not None:
            if self.y is None or nest.is_nested(self.y):
                raise ValueError("`class_weight` is only supported for models with a single "
                                 "output and with `y` given.")
            cw = _class_weights_to_sample_weights(self.y, class_weight)
            self.sample_weight = cw if self.sample_weight is None else self.sample_weight * cw
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        self.steps = steps if steps is not None else \
            max(1, math.ceil(self.num_samples / self.batch_size)) if self.num_samples else 0

    @property
    def partial_batch_size(self):
        return self.num_samples % self.batch_size

    def _slice(self, index):
        def take(v):
            if v is None:
                return None
            return v[index]
        x = nest.map_structure(take, self.x)
        if self.y is None:
            return (x,)
        y = nest.map_structure(take, self.y)
        if self.sample_weight is None:
            return (x, y)
        return (x, y, nest.map_structure(take, self.sample_weight))

    def epoch_batches(self):
        """The batches of one epoch (NumPy structures), `steps` of them (cycling when needed)."""
        n, bs = self.num_samples, self.batch_size
        order = None
        if self.shuffle == "batch":
            order = np.arange(n)
            starts = np.random.permutation(np.arange(0, n, bs))
            order = np.concatenate([order[s:s + bs] for s in starts]) if n else order
        elif self.shuffle:
            order = np.random.permutation(n)
        step = 0
        while step < self.steps:
            for start in range(0, n, bs):
                if step >= self.steps:
                    return
                stop = min(start + bs, n)
                index = slice(start, stop) if order is None else order[start:stop]
                yield self._slice(index)
                step += 1
            if n == 0:
                return

    def whole(self):
        """All the data as one (x, y, sample_weight) structure of arrays."""
        return self.x, self.y, self.sample_weight


class IterableData:
    """Batches from an iterable (a generator, a tf.data.Dataset, a sequence of batches)."""

    def __init__(self, data, steps=None, class_weight=None):
        self.data = data
        self.steps = steps
        self.class_weight = class_weight
        self._iterator = None
        self._used = False
        self.known_steps = steps if steps is not None else _cardinality(data)

    def epoch_batches(self):
        if self.steps is None:
            if self._used and iter(self.data) is self.data:
                warnings.warn("Your input ran out of data: a Python generator can only be read "
                              "once. Pass `steps_per_epoch` and a generator that loops forever "
                              "(or a tf.data.Dataset) to train for several epochs.",
                              stacklevel=4)
            self._used = True
            for batch in self.data:
                yield self._weighted(batch)
            return
        if self._iterator is None:
            self._iterator = iter(self.data)
        for _ in range(self.steps):
            try:
                batch = next(self._iterator)
            except StopIteration:
                warnings.warn("Your input ran out of data; interrupting training. Make sure "
                              "that your dataset or generator can generate at least "
                              "`steps_per_epoch * epochs` batches.", stacklevel=4)
                self._iterator = None
                return
            yield self._weighted(batch)

    def _weighted(self, batch):
        if isinstance(batch, list):
            batch = tuple(batch)
        if self.class_weight is None:
            return batch
        x, y, sw = unpack_x_y_sample_weight(batch)
        cw = _class_weights_to_sample_weights(_to_array(y), self.class_weight)
        sw = cw if sw is None else _to_array(sw) * cw
        return (x, y, sw)


def _cardinality(data):
    """The number of batches of a finite dataset or sequence, when it says (else None)."""
    try:
        if hasattr(data, "cardinality"):
            n = int(data.cardinality())
            return n if n >= 0 else None
        if hasattr(data, "__len__") and not isinstance(data, (list, tuple)):
            return len(data)
    except Exception:  # a stand-in whose cardinality cannot be computed: unknown
        return None
    return None


def make_data(x, y=None, sample_weight=None, batch_size=None, shuffle=False,
              class_weight=None, steps=None):
    """ArrayData for in-memory arrays, IterableData for anything iterable."""
    if x is None:
        raise ValueError("Unrecognized data type: x=None. Expected NumPy arrays, tensors, a "
                         "tf.data.Dataset, or a Python generator.")
    if _is_array_data(x):
        return ArrayData(x, y, sample_weight, batch_size, shuffle, class_weight, steps)
    if isinstance(x, (list, tuple, dict)) and _is_array_data(
            [v for v in nest.flatten(x)]):
        return ArrayData(x, y, sample_weight, batch_size, shuffle, class_weight, steps)
    if hasattr(x, "__iter__") or hasattr(x, "__next__") or hasattr(x, "__getitem__"):
        if y is not None:
            raise ValueError("When providing `x` as a generator or dataset, `y` should not be "
                             "passed: the batches carry the targets.")
        if sample_weight is not None:
            raise ValueError("When providing `x` as a generator or dataset, `sample_weight` "
                             "should not be passed: the batches carry the weights.")
        if hasattr(x, "__next__") and not hasattr(x, "__iter__"):
            x = _IterWrapper(x)
        return IterableData(x, steps, class_weight)
    raise ValueError(f"Unrecognized data type: x={x!r} (of type {type(x).__name__})")


class _IterWrapper:
    def __init__(self, it):
        self.it = it

    def __iter__(self):
        return self.it


def train_validation_split(arrays, validation_split):
    """Split the structure of arrays `arrays` at `1 - validation_split` of the samples."""
    leaves = [v for v in nest.flatten(arrays) if v is not None]
    n = int(leaves[0].shape[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, or "
                         "a different value for the `validation_split` argument.")
    train = nest.map_structure(lambda v: None if v is None else v[:split_at], arrays)
    val = nest.map_structure(lambda v: None if v is None else v[split_at:], arrays)
    return train, val
