"""`for x in dataset:` inside `tf.function`: one graph loop, not one trace per element.

The choice: when the function *runs*, a host op (`dataset_elements`, IO effect, in program
order) iterates the dataset afresh and returns each component stacked along a new first
dimension ([None] + the component's shape; components whose shape varies, such as the
short last batch, are padded and each row is sliced back to its own shape); AutoGraph's for-loop then runs the body as a graph
`while_loop` over the row index, reading row i of every component. So each call sees the
dataset's current elements (a reshuffled order every call for `shuffle`, as in TF), the body
is traced once, and the result equals eager iteration. The dataset must be finite and its
components numeric (string components have no graph tensors here). The whole epoch is
materialized on the host for the duration of the loop.

AutoGraph finds this through `loops.ITERATION_PLANS` (registered on import of tf.data).

`next(iterator)` inside `tf.function`, for an iterator made outside it, is a host op too
(`iterator_get_next`): every call of the function takes the iterator's next element, and the
end of the data raises tf.errors.OutOfRangeError, as TF.
"""
import numpy as np

from .. import dtypes, nest
from ..errors import OutOfRangeError
from ..ir.types import TensorType
from ..ops import array_ops
from ..ops.opdef import IO, apply, defop
from ..ops.slicing import slice as slice_op
from ..tensor_shape import TensorShape
from ..tracing import context
from ..tracing.signature import TensorSpec
from .dataset import INFINITE, Dataset


class _DatasetRef:
    """The dataset an op node reads (an attribute; its repr names the object)."""

    __slots__ = ("dataset",)

    def __init__(self, dataset):
        self.dataset = dataset

    def __repr__(self):
        return f"dataset@{id(self.dataset):x}"

    def __eq__(self, other):
        return isinstance(other, _DatasetRef) and other.dataset is self.dataset

    def __hash__(self):
        return id(self.dataset)


def _ragged(spec):
    return not spec.shape.is_fully_defined()


def _infer(in_types, dataset, specs):
    out = [TensorType(s.dtype, TensorShape([None] + s.shape.as_list())) for s in specs]
    out += [TensorType(dtypes.int32, TensorShape([None, s.shape.rank])) for s in specs
            if _ragged(s)]
    return tuple(out)


def _kernel(dataset, specs):
    rows = list(dataset.dataset._iter_flat())
    out, sizes = [], []
    for c, s in enumerate(specs):
        np_t = s.dtype.np_dtype
        if not rows:
            out.append(np.zeros([0] + [d or 0 for d in s.shape.as_list()], np_t))
            if _ragged(s):
                sizes.append(np.zeros((0, s.shape.rank), np.int32))
            continue
        if not _ragged(s):
            out.append(np.stack([r[c] for r in rows]).astype(np_t, copy=False))
            continue
        # elements of varying shape: padded into one array, with each element's shape
        shapes = np.array([r[c].shape for r in rows], dtype=np.int32).reshape(
            len(rows), s.shape.rank)
        padded = np.zeros((len(rows),) + tuple(shapes.max(axis=0)), np_t)
        for i, r in enumerate(rows):
            padded[(i,) + tuple(slice(0, k) for k in r[c].shape)] = r[c]
        out.append(padded)
        sizes.append(shapes)
    return tuple(out + sizes)


dataset_elements = defop(
    "dataset_elements", _infer, _kernel, effects=IO, num_outputs=None,
    doc="Iterate a tf.data dataset on the host; every component stacked along a new axis 0.")


def claims(x):
    """True when `for` over `x` becomes a dataset graph loop (a dataset, while tracing)."""
    return isinstance(x, Dataset) and context.current_builder() is not None


def dataset_plan(x):
    """(count, element(i)) for a dataset iterated inside a traced function; else None."""
    if not claims(x):
        return None  # not a dataset, or converted code running eagerly: Python iteration
    spec = x.element_spec
    specs = nest.flatten(spec)
    for s in specs:
        if not isinstance(s, TensorSpec) or s.dtype.np_dtype is None:
            raise TypeError(f"A `for` loop over a dataset inside tf.function needs numeric "
                            f"components; this dataset has {s}. Iterate it outside the "
                            "function, or map the strings to numbers first.")
        if s.shape.rank is None:
            raise TypeError(f"A `for` loop over a dataset inside tf.function needs components "
                            f"of known rank; got {s}.")
    if x._cardinality() == INFINITE:
        raise ValueError("A `for` loop over an infinite dataset inside tf.function never ends "
                         "here (the epoch is read on the host); use take(n) first.")
    comps = apply(dataset_elements, dataset=_DatasetRef(x), specs=tuple(specs))
    comps = list(comps) if isinstance(comps, (tuple, list)) else [comps]
    count = array_ops.shape(comps[0])[0]
    sizes = iter(comps[len(specs):])
    size_of = [next(sizes) if _ragged(s) else None for s in specs]
    comps = comps[:len(specs)]

    def row(c, k, i):
        if size_of[k] is None:
            return c[i]
        rank = specs[k].shape.rank
        return slice_op(c[i], [0] * rank, size_of[k][i])

    def element(i):
        return nest.pack_sequence_as(spec, [row(c, k, i) for k, c in enumerate(comps)])
    return count, element


class _IteratorRef(_DatasetRef):
    """The eager iterator an `iterator_get_next` node advances."""

    def __repr__(self):
        return f"iterator@{id(self.dataset):x}"


def _next_infer(in_types, iterator, specs):
    return tuple(TensorType(s.dtype, s.shape) for s in specs)


def _next_kernel(iterator, specs):
    try:
        flat = next(iterator.dataset._flat)
    except StopIteration:
        raise OutOfRangeError("End of sequence") from None
    return tuple(np.asarray(a, dtype=s.dtype.np_dtype) for a, s in zip(flat, specs))


iterator_get_next = defop(
    "iterator_get_next", _next_infer, _next_kernel, effects=IO, num_outputs=None,
    doc="The next element of an eager tf.data iterator (OutOfRangeError at the end).")


def traced_next(iterator):
    """`next(iterator)` while tracing: the element as graph tensors read at run time."""
    spec = iterator.element_spec
    specs = nest.flatten(spec)
    for s in specs:
        if not isinstance(s, TensorSpec) or s.dtype.np_dtype is None:
            raise TypeError(f"next() on a dataset iterator inside tf.function needs numeric "
                            f"components; this dataset has {s}.")
    out = apply(iterator_get_next, iterator=_IteratorRef(iterator), specs=tuple(specs))
    out = list(out) if isinstance(out, (tuple, list)) else [out]
    return nest.pack_sequence_as(spec, out)
