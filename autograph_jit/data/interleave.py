"""flat_map and interleave: functions returning datasets, run eagerly per input element
(their result is a dataset object, which is not a graph value here)."""
import os

from . import structure
from .dataset import AUTOTUNE, Dataset, UNKNOWN
from .mapfn import call_user
from .transforms import _Unary, background


def _dataset_fn(func, input_spec, what):
    def make(flat):
        out = call_user(func, structure.to_user(input_spec, flat))
        if not isinstance(out, Dataset):
            raise TypeError(f"`{what}`: map_func must return a tf.data.Dataset, got "
                            f"{type(out).__name__}")
        return out
    return make


def _first_spec(ds, make):
    for flat in ds._iter_flat():
        return make(flat).element_spec
    raise ValueError("the input dataset is empty, so the element spec of the datasets "
                     "map_func returns is unknown")


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

