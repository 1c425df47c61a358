"""Keras 3's `sparse=True` outputs of the categorical preprocessing layers (CategoryEncoding,
Hashing, StringLookup, IntegerLookup, Discretization, TextVectorization): the dense encoding
turned into a `tf.sparse.SparseTensor` with the entries Keras's TF backend makes.

Which entries (as Keras 3 with TensorFlow): 'one_hot' has one entry per input id; 'multi_hot',
'count' and 'tf_idf' one entry per (sample, id present in the sample), kept even when its
weighted value is 0 (`tf.sparse.bincount`'s rule); indices in row-major order, int64;
`dense_shape` the dense output's shape; values of the dense output's dtype. A masked id (-1,
the mask token of a lookup in a non-int mode) has no entry, as in the dense output.

SparseTensors are eager values here: a symbolic input (inside `tf.function` or a traced
`tf.data` map) raises `tf.errors.HostOnlyError`. A `tf.data` map answers it by running the
function eagerly, and then refuses the SparseTensor as a dataset element with a TypeError
that says to densify it (dataset elements hold dense components only)."""
import numpy as np

from ....errors import HostOnlyError
from ....sparse import SparseTensor
from ....tensor import EagerTensor

__all__ = ["check_sparse_mode", "require_eager", "sparse_encoding"]


def check_sparse_mode(sparse, output_mode, allowed):
    """Keras's constructor check: `sparse=True` only with an output mode in `allowed`."""
    if sparse and output_mode not in allowed:
        shown = ", ".join(f"'{m}'" for m in allowed)
        raise ValueError(f"`sparse` may only be true if `output_mode` is one of {shown}. "
                         f"Received: sparse=True and output_mode={output_mode}")


def require_eager(x, layer_name):
    """`x` must be eager for a sparse/ragged output: a HostOnlyError with the fix otherwise."""
    if not isinstance(x, EagerTensor):
        raise HostOnlyError(
            f"{layer_name}: sparse=True / ragged=True outputs are eager tf.sparse.SparseTensor / "
            f"tf.RaggedTensor values here and cannot be built from the symbolic {x!r} inside a "
            f"traced function. Fix: call the layer eagerly, or use the dense output "
            f"(sparse=False / ragged=False with output_sequence_length) in compiled code and "
            f"in tf.data pipelines")


def sparse_encoding(ids, dense, output_mode):
    """The SparseTensor of the dense encoding `dense` (eager) of the integer ids `ids` (eager,
    as given to `encode_categorical`) in `output_mode`.

    >>> from autograph_jit.keras.layers.preprocessing.sparse_output import sparse_encoding
    >>> ids = tf.constant([[3, 0, 3], [1, 1, 2]])
    >>> dense = tf.constant([[1., 0., 0., 2.], [0., 2., 1., 0.]])
    >>> sp = sparse_encoding(ids, dense, "count")
    >>> sp.indices.numpy().tolist(), sp.values.numpy().tolist()
    ([[0, 0], [0, 3], [1, 1], [1, 2]], [1.0, 2.0, 2.0, 1.0])
    """
    a = np.asarray(ids.numpy()).astype(np.int64)
    out = np.asarray(dense.numpy())
    depth = out.shape[-1]
    if output_mode == "one_hot":
        if a.ndim > 1 and a.shape[-1] == 1:
            a = a[..., 0]
        flat = a.reshape(-1)
        mask = np.zeros((flat.size, depth), bool)
        ok = (flat >= 0) & (flat < depth)
        mask[np.nonzero(ok)[0], flat[ok]] = True
    else:
        if a.ndim == 0:
            a = a.reshape(1)
        hot = np.zeros(a.shape + (depth,), bool)
        where = np.nonzero((a >= 0) & (a < depth))
        hot[where + (a[where],)] = True
        mask = hot.any(axis=1 if a.ndim > 1 else 0)    # encode_categorical's axis
    mask = mask.reshape(out.shape)
    indices = np.argwhere(mask).astype(np.int64)
    return SparseTensor(indices, out[mask], np.asarray(out.shape, np.int64))
