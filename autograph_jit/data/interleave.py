"""flat_map and interleave: functions returning datasets, run eagerly per input element
(their result is a dataset object, which is not a graph value here).

Element spec: TF traces `map_func` once with symbolic tensors of the input's element_spec, so
the spec is known without reading an element (an empty input is fine) and a dimension that
depends on the values is None. Here `map_func` is called on two placeholder elements of the
input's element_spec (each unknown dimension 1, then 2; numbers all 1, then all 2; strings
b""; a dataset component an empty dataset of its spec) and the two results' specs are
relaxed (`most_specific`: dimensions that differ become None), which gives TF's spec for
functions whose shapes follow from their input's shapes and values. When `map_func` raises
on a placeholder (it reads a file named by the element, indexes a Python list with it, ...)
the spec is the first real element's dataset's, as before; an empty input then raises the
ValueError that names the placeholder's error."""
import os

import numpy as np

from .. import dtypes, nest
from . import structure
from .dataset import AUTOTUNE, Dataset, UNKNOWN
from .mapfn import call_user
from .sources import GeneratorDataset
from .transforms import _Unary, background


def _dataset_fn(func, input_spec, what):
    def make(flat):
        out = call_user(func, structure.to_user(input_spec, flat))
        if not isinstance(out, Dataset):
            raise TypeError(f"`{what}`: map_func must return a tf.data.Dataset, got "
                            f"{type(out).__name__}")
        return out
    return make


def _placeholder(spec, k):
    """One flat component for `spec` in placeholder `k` (1 or 2): see the module docstring."""
    if isinstance(spec, structure.DatasetSpec):
        return GeneratorDataset(lambda: iter(()), None, None, None, spec.element_spec)
    shape = spec.shape
    dims = [k] if shape.rank is None else [k if d is None else d for d in shape.as_list()]
    if spec.dtype is dtypes.string:
        arr = np.empty(dims, dtype=object)
        arr.fill(b"")
        return arr
    return np.full(dims, True if spec.dtype is dtypes.bool else k, dtype=spec.dtype.np_dtype)


def _traced_spec(input_spec, make):
    """The element spec of `make`'s datasets from two placeholder inputs, relaxed."""
    specs = [make(tuple(_placeholder(s, k) for s in nest.flatten(input_spec))).element_spec
             for k in (1, 2)]
    nest.assert_same_structure(specs[0], specs[1])
    if any(isinstance(s, structure.DatasetSpec) for s in nest.flatten(specs[0])):
        return specs[0]
    return structure.most_specific(specs[0], specs[1])


def _first_spec(ds, make):
    try:
        return _traced_spec(ds.element_spec, make)
    except Exception as e:  # map_func cannot run on a placeholder: read the first element
        reason = f"{type(e).__name__}: {e}"
    for flat in ds._iter_flat():
        return make(flat).element_spec
    raise ValueError(f"the input dataset is empty, and map_func failed on a placeholder "
                     f"element of the input's element_spec ({reason}), so the element spec of "
                     f"the datasets it returns is unknown. Fix: make map_func work for any "
                     f"element of that spec")


class _DatasetOfDatasets(_Unary):
    """A dataset whose elements come from the datasets `map_func` makes of its input's
    elements: their element spec (from the first one) and an unknown cardinality."""

    def __init__(self, input_dataset, map_func, what):
        super().__init__(input_dataset)
        self._make = _dataset_fn(map_func, input_dataset.element_spec, what)
        self._spec = None

    @property
    def element_spec(self):
        if self._spec is None:
            self._spec = _first_spec(self._input, self._make)
        return self._spec

    def _cardinality(self):
        return UNKNOWN


class FlatMapDataset(_DatasetOfDatasets):
    """`ds.flat_map(f)`: the elements of `f(x)` for every x, in order."""

    def __init__(self, input_dataset, map_func):
        super().__init__(input_dataset, map_func, "flat_map")

    def _iter_flat(self):
        for flat in self._input._iter_flat():
            yield from self._make(flat)._iter_flat()


class InterleaveDataset(_DatasetOfDatasets):
    """`ds.interleave(f, cycle_length, block_length)`: TF's cycle — `cycle_length` open
    datasets visited in turn, `block_length` elements from each; an exhausted one is closed
    and its slot takes the next input element when the cycle comes back to it."""

    def __init__(self, input_dataset, map_func, cycle_length, block_length, num_parallel_calls):
        super().__init__(input_dataset, map_func, "interleave")
        if cycle_length is None or int(cycle_length) == AUTOTUNE:
            cycle_length = os.cpu_count() or 1
        self._cycle = int(cycle_length)
        self._block = 1 if block_length is None else int(block_length)
        if self._cycle < 1 or self._block < 1:
            raise ValueError("interleave: cycle_length and block_length must be positive")
        self._parallel = num_parallel_calls is not None

    def _open(self, flat):
        it = self._make(flat)._iter_flat()
        return background(it, 4) if self._parallel else iter(it)

    def _iter_flat(self):
        inputs = self._input._iter_flat()
        slots = [None] * self._cycle
        open_count, index, block, end_of_input = 0, 0, 0, False
        while not end_of_input or open_count > 0:
            current = slots[index]
            if current is not None:
                try:
                    item = next(current)
                except StopIteration:
                    slots[index] = None
                    open_count -= 1
                    index, block = (index + 1) % self._cycle, 0
                    continue
                block += 1
                if block == self._block:
                    index, block = (index + 1) % self._cycle, 0
                yield item
            elif not end_of_input:
                try:
                    flat = next(inputs)
                except StopIteration:
                    end_of_input = True
                    continue
                slots[index] = self._open(flat)
                open_count += 1
            else:
                index, block = (index + 1) % self._cycle, 0

