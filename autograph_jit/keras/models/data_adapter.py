"""How `fit`/`evaluate`/`predict` read their data: in-memory arrays (NumPy, tensors, lists/dicts
of them) sliced into batches, or any iterable yielding batches (Python generators, a
`tf.data.Dataset`), or any object following Keras 3's `PyDataset` protocol (`__getitem__` giving
batch `i`, `__len__` or `num_batches`, optional `on_epoch_begin`/`on_epoch_end`), each batch `x`,
`(x,)`, `(x, y)` or `(x, y, sample_weight)`.

Epochs follow Keras 3's `EpochIterator`: with `steps_per_epoch`, an epoch continues the previous
one's pass over the data and a new pass starts only once the data (of known size) is used up, so
`fit(x64, y64, batch_size=16, steps_per_epoch=2, epochs=3)` trains on rows 0,16 | 32,48 | 0,16;
"Your input ran out of data" is warned exactly where Keras warns it.
"""
import itertools
import math
import random
import warnings

import numpy as np

from ... import nest
from ...tensor import Tensor
from ...variables import Variable

__all__ = ["unpack_x_y_sample_weight", "pack_x_y_sample_weight", "ArrayData", "IterableData",
           "PyDatasetData", "make_data", "train_validation_split", "is_py_dataset"]

_RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches. You may need to "
            "use the `.repeat()` function when building your dataset.")


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
    """Keras 3's `can_convert_arrays`: every leaf None or array-like (Python scalars and nested
    lists of numbers are not: Keras refuses them as "Unrecognized data type")."""
    leaves = nest.flatten(x)
    return bool(leaves) and any(v is not None for v in leaves) and all(
        v is None or isinstance(v, (np.ndarray, Tensor, Variable, np.generic))
        or hasattr(v, "__array__") for v in leaves)


def is_py_dataset(x):
    """Whether `x` follows Keras 3's `PyDataset` protocol (duck typed): `__getitem__` giving
    batches and a size from `num_batches` or `__len__` (None: infinite), not a plain container,
    an array or a dataset that iterates itself."""
    if isinstance(x, (list, tuple, dict, str, bytes, np.ndarray, Tensor, Variable)):
        return False
    if not hasattr(x, "__getitem__") or hasattr(x, "cardinality"):
        return False
    return hasattr(type(x), "num_batches") or hasattr(x, "__len__")


class _Epochs:
    """Keras 3's `EpochIterator` over a data source with `_new_pass()` (an iterator over one
    pass of the data) and `num_batches` (batches in a pass, None when unknown).

    `executions(steps_per_execution)` yields one epoch's `(begin_step, end_step, take)`; `take()`
    pulls the execution's batches (a shorter or empty list when the data ran out: the epoch ends
    there, after warning as Keras does)."""

    def _init_epochs(self, steps):
        self.steps = steps               # steps_per_epoch (None: one pass)
        self._current = None
        self._seen = 0
        self._ran_out = False
        self._known = self.num_batches

    @property
    def known_steps(self):
        """The steps of an epoch as Keras's progress bar and `params["steps"]` see them."""
        return self.steps if self.steps else self._known

    def _pull(self, count):
        out = []
        try:
            for _ in range(count):
                out.append(next(self._current))
        except StopIteration:
            if not out:
                if self._known is None:
                    self._known = self._seen
                warnings.warn(_RAN_OUT, stacklevel=5)
                self._current = None
                self._ran_out = True
                self._end_epoch()
        return out

    def reset(self):
        """A fresh start before a `fit`/`evaluate`/`predict` loop (Keras's
        `EpochIterator.reset`, which also ends the data's epoch: a PyDataset's `on_epoch_end`
        runs once before training, as in Keras)."""
        self._current = None
        self._seen = 0
        self._end_epoch()

    def _begin_epoch(self):
        pass

    def _end_epoch(self):
        pass

    def executions(self, steps_per_execution=1):
        """One epoch's executions (module docstring)."""
        step_count = self.steps or self._known or -1
        self._ran_out = False
        self._begin_epoch()
        if self._known == 0 and not self.steps:   # empty arrays: an epoch of no step
            self._end_epoch()
            return
        if step_count > 0:
            if self._current is None or self.steps is None:
                self._current = iter(self._new_pass())
                self._seen = 0
            for step in range(0, step_count, steps_per_execution):
                if self._known and self._seen >= self._known:
                    if self.steps:
                        warnings.warn(_RAN_OUT, stacklevel=3)
                    break
                self._seen += steps_per_execution
                yield step, step + steps_per_execution - 1, \
                    lambda: self._pull(steps_per_execution)
                if self._ran_out:
                    return
            if self._known and self._seen >= self._known:
                self._current = None
                self._seen = 0
        else:
            self._current = iter(self._new_pass())
            step = -steps_per_execution
            while True:
                step += steps_per_execution
                self._seen = step + steps_per_execution
                yield step, step + steps_per_execution - 1, \
                    lambda: self._pull(steps_per_execution)
                if self._ran_out:
                    return
        self._end_epoch()

    def epoch_batches(self):
        """One epoch's batches, one at a time (`executions(1)`)."""
        for _, _, take in self.executions(1):
            batches = take()
            if not batches:
                return
            yield batches[0]



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


class ArrayData(_Epochs):
    """Batches sliced from in-memory arrays (shuffled per pass when `shuffle`)."""

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
        # as Keras: without a batch size, `steps` batches cover the data once
        self.batch_size = batch_size or (math.ceil(self.num_samples / steps) if steps and
                                         self.num_samples else 32)
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.num_samples / self.batch_size)
        self._init_epochs(steps)

    @property
    def full_pass(self):
        """Whether every epoch is exactly one pass over the data (no `steps_per_epoch`
        continuing or cutting passes)."""
        return self.steps is None or self.steps == self.num_batches

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

    def _new_pass(self):
        """One pass over the data (NumPy structures; the shuffle is drawn when it starts)."""
        n, bs = self.num_samples, self.batch_size
        order = None
        if self.shuffle == "batch":
            order = np.arange(n)
            starts = np.random.permutation(np.arange(0, n, bs))
            order = np.concatenate([order[s:s + bs] for s in starts]) if n else order
        elif self.shuffle:
            order = np.random.permutation(n)
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            index = slice(start, stop) if order is None else order[start:stop]
            yield self._slice(index)

    def whole(self):
        """All the data as one (x, y, sample_weight) structure of arrays."""
        return self.x, self.y, self.sample_weight


class IterableData(_Epochs):
    """Batches from an iterable (a generator, a tf.data.Dataset, a sequence of batches)."""

    def __init__(self, data, steps=None, class_weight=None):
        self.data = data
        self.class_weight = class_weight
        self.num_batches = _cardinality(data)
        self._init_epochs(steps)

    def _new_pass(self):
        return (self._weighted(batch) for batch in self.data)

    def _weighted(self, batch):
        if isinstance(batch, list):
            batch = tuple(batch)
        if self.class_weight is None:
            return batch
        x, y, sw = unpack_x_y_sample_weight(batch)
        cw = _class_weights_to_sample_weights(_to_array(y), self.class_weight)
        sw = cw if sw is None else _to_array(sw) * cw
        return (x, y, sw)


class PyDatasetData(IterableData):
    """Batches of an object following Keras 3's `PyDataset` protocol: `data[i]` for i in a pass
    (batch order shuffled with Python's `random` when `shuffle`, as Keras does), its
    `on_epoch_begin`/`on_epoch_end` called around each epoch. `workers`/`use_multiprocessing`
    are not used: batches are read in this thread, in order."""

    def __init__(self, data, steps=None, class_weight=None, shuffle=False):
        self.shuffle = bool(shuffle) and shuffle != "batch"
        super().__init__(data, steps, class_weight)

    def _new_pass(self):
        n = self.num_batches
        indices = itertools.count() if n is None else list(range(n))
        if n is not None and self.shuffle:
            random.shuffle(indices)
        return (self._standardize(self.data[i]) for i in indices)

    def _standardize(self, batch):
        if isinstance(batch, np.ndarray):
            batch = (batch,)
        if isinstance(batch, list):
            batch = tuple(batch)
        if not isinstance(batch, (tuple, dict)) or (
                isinstance(batch, tuple) and len(batch) not in (1, 2, 3)):
            raise ValueError("PyDataset.__getitem__() must return a tuple or a dict. If a "
                             "tuple, it must be ordered either (input,) or (inputs, targets) "
                             "or (inputs, targets, sample_weights). Received: "
                             f"{str(batch)[:100]}... of type {type(batch)}")
        return self._weighted(batch)

    def _begin_epoch(self):
        hook = getattr(self.data, "on_epoch_begin", None)
        if callable(hook):
            hook()

    def _end_epoch(self):
        hook = getattr(self.data, "on_epoch_end", None)
        if callable(hook):
            hook()


def _cardinality(data):
    """The number of batches of a finite dataset or sequence, when it says (else None)."""
    try:
        if is_py_dataset(data):
            try:
                n = data.num_batches if hasattr(type(data), "num_batches") else len(data)
            except NotImplementedError:
                n = len(data) if hasattr(data, "__len__") else None
            return None if n is None else int(n)
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
    if _is_array_data((x, y, sample_weight)):
        return ArrayData(x, y, sample_weight, batch_size, shuffle, class_weight, steps)
    if isinstance(x, (list, tuple, dict)) or (
            y is not None and not is_py_dataset(x) and _is_array_data(x)):
        raise ValueError(f"Unrecognized data type: x={x} (of type {type(x)})"
                         + ("" if _is_array_data(x) else
                            ". Expected NumPy arrays or tensors (a Python list of numbers is "
                            "not converted: wrap it in np.array)")
                         + ("" if y is None or _is_array_data(y) else
                            f"; y={y} (of type {type(y)}) is not an array either"))
    if is_py_dataset(x):
        if y is not None or sample_weight is not None:
            raise ValueError("When providing `x` as a PyDataset, `y` and `sample_weight` "
                             "should not be passed. Instead, the targets and sample weights "
                             "should be included as part of the PyDataset.")
        return PyDatasetData(x, steps, class_weight, shuffle)
    if hasattr(x, "__iter__") or hasattr(x, "__next__"):
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


def executions_of(data, steps_per_execution=1):
    """`data.executions(steps_per_execution)`, also for a wrapper that only has
    `epoch_batches()` (distributed fit's per-worker view): its batches grouped by
    `steps_per_execution`."""
    if isinstance(data, _Epochs):
        return data.executions(steps_per_execution)
    return _grouped(data.epoch_batches(), steps_per_execution)


def _grouped(batches, steps_per_execution):
    batches = iter(batches)
    step = 0
    while True:
        group = list(itertools.islice(batches, steps_per_execution))
        if not group:
            return
        yield step, step + steps_per_execution - 1, (lambda g=group: g)
        step += steps_per_execution
