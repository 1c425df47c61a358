"""TensorArrays passed where TF takes a list of tensors (`tf.stack(l)`, `tf.concat(l, axis)`):
a Python list that a graph loop appends to becomes a TensorArray (AutoGraph's ListTensorArray), so
the list ops accept one and give what the list of its elements would."""
from . import type_rules as tr
from ..errors import InvalidArgumentError
from .tensor_array import TensorArray


def stacked(values):
    """The elements stacked along axis 0 when `values` is a TensorArray, else None."""
    return values.stack() if isinstance(values, TensorArray) else None


def move_first_axis(x, axis):
    """tf.stack's `axis` for elements stacked along axis 0: axis 0 moved to `axis`."""
    from .array_ops import transpose
    r = x.shape.rank
    if r is None:
        raise InvalidArgumentError("stack of a TensorArray along axis != 0 needs elements of "
                                   "known rank", "stack")
    a = tr.normalize_axis("stack", axis, r)
    perm = list(range(1, r))
    perm.insert(a, 0)
    return transpose(x, perm)


def join_first_axis(x, axis):
    """tf.concat of the elements of x (stacked along axis 0) along the elements' `axis`."""
    from .array_ops import constant, reshape, shape, stack
    r = x.shape.rank
    if r is None or r < 2:
        raise InvalidArgumentError("concat of a TensorArray needs elements of known rank >= 1",
                                   "concat")
    a = tr.normalize_axis("concat", axis, r - 1)
    moved = move_first_axis(x, a) if a else x  # [d0 .. d(a-1), n, da, ...]
    dims = shape(moved)
    new = [dims[i] for i in range(a)] + [constant(-1, dtype=dims.dtype)] + \
        [dims[i] for i in range(a + 2, r)]
    return reshape(moved, stack(new))
