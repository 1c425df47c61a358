"""`for x in dataset:` inside `tf.function`: one graph loop, not one trace per element.

The choice: when the function *runs*, a host op (`dataset_elements`, IO effect, in program
order) iterates the dataset afresh and returns each component stacked along a new first
dimension ([None] + the component's shape); AutoGraph's for-loop then runs the body as a graph
`while_loop` over the row index, reading row i of every component. So each call sees the
dataset's current elements (a reshuffled order every call for `shuffle`, as in TF), the body
is traced once, and the result equals eager iteration. The dataset must be finite and its
components numeric (string components have no graph tensors here). The whole epoch is
materialized on the host for the duration of the loop.

AutoGraph finds this through `loops.ITERATION_PLANS` (registered on import of tf.data).
"""
import numpy as np

from .. import nest
from ..ir.types import TensorType
from ..ops.opdef import IO, apply, defop
from ..tensor_shape import TensorShape
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


def _infer(in_types, dataset, specs):
    return tuple(TensorType(s.dtype, TensorShape([None] + s.shape.as_list())) for s in specs)


def _kernel(dataset, specs):
    rows = list(dataset.dataset._iter_flat())
    out = []
    for c, s in enumerate(specs):
        if rows:
            shapes = {r[c].shape for r in rows}
            if len(shapes) > 1:
                from ..ops.opdef import InvalidArgumentError
                raise InvalidArgumentError(
                    f"a `for` loop over a dataset inside tf.function needs elements of one "
                    f"shape; component {c} has shapes {sorted(shapes)}. Batch or pad first.")
            out.append(np.stack([r[c] for r in rows]).astype(s.dtype.np_dtype, copy=False))
        else:
            out.append(np.zeros([0] + [d or 0 for d in s.shape.as_list()], s.dtype.np_dtype))
    return tuple(out)


dataset_elements = defop(
    "dataset_elements", _infer, _kernel, effects=IO, num_outputs=None,
    doc="Iterate a tf.data dataset on the host; every component stacked along a new axis 0.")


def dataset_plan(x):
    """(count, element(i)) for a dataset iterated inside a traced function; else None."""
    if not isinstance(x, Dataset):
        return None
    from ..tracing import context
    if context.current_builder() is None:
        return None  # converted code running eagerly: Python iteration
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
    from ..ops import array_ops
    comps = apply(dataset_elements, dataset=_DatasetRef(x), specs=tuple(specs))
    comps = list(comps) if isinstance(comps, (tuple, list)) else [comps]
    count = array_ops.shape(comps[0])[0]

    def element(i):
        return nest.pack_sequence_as(spec, [c[i] for c in comps])
    return count, element
