"""Iterators over datasets: `iter(ds)` in Python (StopIteration at the end) and
`get_next()` (tf.errors.OutOfRangeError at the end, as TF)."""
import numpy as np

from ..errors import InvalidArgumentError, OutOfRangeError
from ..tensor import EagerTensor
from ..tracing import context
from . import structure
from .graph_loop import traced_next


class OwnedIterator:
    """TF's `tf.data.Iterator` for eager iteration: `next(it)`, `it.get_next()`,
    `it.get_next_as_optional()`, `it.element_spec`.

    >>> it = iter(tf.data.Dataset.range(2))
    >>> int(next(it)), int(next(it))
    (0, 1)
    """

    def __init__(self, dataset):
        self._dataset = dataset
        self._spec = dataset.element_spec
        self._flat = iter(dataset._iter_flat())
        self._done = False
        self._traced = context.current_builder() is not None

    @property
    def element_spec(self):
        return self._spec

    def __iter__(self):
        return self

    def __next__(self):
        if context.current_builder() is not None:
            if self._traced:
                raise TypeError("This dataset iterator was made while tracing a tf.function; "
                                "make it outside the function (it = iter(ds)) and pass it in, "
                                "or loop with `for x in ds:` inside the function.")
            return traced_next(self)
        if self._done:
            raise StopIteration
        try:
            flat = next(self._flat)
        except StopIteration:
            self._done = True
            raise
        return structure.to_user(self._spec, flat)

    def get_next(self):
        """The next element; tf.errors.OutOfRangeError at the end of the sequence."""
        try:
            return self.__next__()
        except StopIteration:
            raise OutOfRangeError("End of sequence") from None

    def get_next_as_optional(self):
        """An Optional holding the next element, or no value at the end."""
        try:
            return Optional(self.__next__())
        except StopIteration:
            return Optional(None, has=False)


class Optional:
    """TF's `tf.experimental.Optional`: a value or nothing."""

    def __init__(self, value, has=True):
        self._value, self._has = value, has

    def has_value(self):
        return EagerTensor(np.bool_(self._has))

    def get_value(self):
        if not self._has:
            raise InvalidArgumentError("The Optional has no value.")
        return self._value
