"""Categorical encodings (Keras 3): `CategoryEncoding` (integer ids to one-hot / multi-hot /
count vectors), `Hashing` (values to `num_bins` buckets with TF's string hashes: the
`hash_bucket` host op of ops/hash_ops.py, same bucket numbers as TF), and the
`encode_categorical` helper the lookup, discretization and text layers share."""
import numpy as np

from .... import dtypes
from ....errors import InvalidArgumentError
from ....ops import array_ops as A
from ....ops._args import to_tensor
from ....ops import check_ops as C
from ....ops import gather_ops as G
from ....ops import math_ops as M
from ....ops.hash_ops import hash_bucket
from ....ops.opdef import apply
from ....tensor import EagerTensor
from ..layer import Layer
from .sparse_output import check_sparse_mode, require_eager, sparse_encoding

__all__ = ["CategoryEncoding", "Hashing", "encode_categorical", "check_output_mode",
           "hash_values"]


def check_output_mode(mode, allowed):
    if mode not in allowed:
        raise ValueError(f"Unknown arg for output_mode: {mode}. Expected one of {list(allowed)}")


def _check_range(indices, depth):
    """Values of `indices` must lie in [0, depth): an InvalidArgumentError otherwise (eagerly at
    once, compiled through an assert op)."""
    if isinstance(indices, EagerTensor):
        v = np.asarray(indices.numpy())
        if v.size and (v.min() < 0 or v.max() >= depth):
            raise InvalidArgumentError(
                f"Input values must be in the range 0 <= values < num_tokens with "
                f"num_tokens={depth}; got values in [{v.min()}, {v.max()}]. Fix: raise "
                f"num_tokens, or map the values first (IntegerLookup, Hashing)")
        return
    inside = M.logical_and(M.greater_equal(indices, M.cast(0, indices.dtype)),
                           M.less(indices, M.cast(depth, indices.dtype)))
    C.assert_that(M.reduce_all(inside), [indices],
                  f"Input values must be in the range 0 <= values < num_tokens with "
                  f"num_tokens={depth}")


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None,
                       idf_weights=None, check_range=True, sparse=False, layer_name=""):
    """Integer ids -> Keras 3's encodings over `depth` tokens: 'one_hot' adds a last axis (a
    trailing axis of 1 is replaced), 'multi_hot' / 'count' / 'tf_idf' reduce axis 1 (the
    samples' axis for a batch; a rank-0 or rank-1 input is one sample), as Keras 3 does. With `sparse=True` (not in 'int' mode) the
    result is a `tf.sparse.SparseTensor` (sparse_output.py; eager inputs only)."""
    if output_mode == "int":
        return M.cast(indices, dtype)
    if sparse:
        require_eager(indices, layer_name)
        dense = encode_categorical(indices, output_mode, depth, dtype, count_weights,
                                   idf_weights, check_range)
        return sparse_encoding(indices, dense, output_mode)
    if check_range:
        _check_range(indices, depth)
    rank = indices.shape.rank
    if output_mode == "one_hot":
        if rank is not None and rank > 1 and indices.shape[-1] == 1:
            indices = A.squeeze(indices, axis=-1)
        return G.one_hot(indices, depth, dtype=dtype)
    if rank == 0:
        indices = A.reshape(indices, [1])
        rank = 1
    # Keras 3 reduces axis 1 of the one-hot codes (axis 0 for one sample): the last input
    # axis for a batch of samples, the second one for a rank-3 input
    axis = 1 if rank is None or rank > 1 else 0
    hot = G.one_hot(indices, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return M.reduce_max(hot, axis=axis)
    if count_weights is not None:
        hot = M.multiply(hot, A.expand_dims(M.cast(count_weights, dtype), -1))
    counts = M.reduce_sum(hot, axis=axis)
    if output_mode == "tf_idf":
        counts = M.multiply(counts, M.cast(idf_weights, dtype))
    return counts


class CategoryEncoding(Layer):
    """Encodes integer ids in [0, num_tokens) as vectors of `num_tokens` floats.

    Args: `num_tokens`, `output_mode='multi_hot'` (`'one_hot'`: one vector per id, a trailing
    axis of 1 replaced; `'multi_hot'`: 1 where an id of the sample occurs; `'count'`: how
    often, weighted by `count_weights` passed to the call), `sparse=False` (True: a
    `tf.sparse.SparseTensor` with Keras's entries, eager calls only). An id outside
    [0, num_tokens) is an InvalidArgumentError.

    >>> tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(
    ...     [3, 0]).numpy()
    array([[0., 0., 0., 1.],
           [1., 0., 0., 0.]], dtype=float32)
    >>> tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")(
    ...     [[0, 1, 1], [3, 3, 2]]).numpy()
    array([[1., 2., 0., 0.],
           [0., 0., 1., 2.]], dtype=float32)
    >>> sp = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot",
    ...                                       sparse=True)([[0, 1, 1], [3, 3, 2]])
    >>> sp.indices.numpy().tolist(), sp.dense_shape.numpy().tolist()
    ([[0, 0], [0, 1], [1, 2], [1, 3]], [2, 4])
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        check_output_mode(output_mode, ("one_hot", "multi_hot", "count"))
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens "
                             "is not known beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        inputs = to_tensor(inputs)
        if inputs.dtype.is_floating:
            inputs = M.cast(inputs, "int64")
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. "
                             f"Received `count_weights={count_weights}`.")
        if count_weights is not None and self.sparse:
            count_weights = to_tensor(count_weights)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                                  count_weights=count_weights, sparse=self.sparse,
                                  layer_name=self.name)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,) if shape else (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode,
                      sparse=self.sparse)
        return config


class Hashing(Layer):
    """Hashes strings or integers into `num_bins` buckets, as TF does (same bucket numbers).

    Args: `num_bins`, `mask_value=None` (when set, that value goes to bucket 0 and the others
    hash into [1, num_bins)), `salt=None` (an int or a pair of ints: keyed SipHash, TF's
    `to_hash_bucket_strong`; without it FarmHash Fingerprint64, TF's `to_hash_bucket_fast`),
    `output_mode='int'` (or 'one_hot', 'multi_hot', 'count'), `sparse=False` (True, in a
    non-int mode: a `tf.sparse.SparseTensor`, eager calls only). Floats are cast
    to int64 first, integers hashed as their decimal text. Runs on the host (a host op inside
    compiled functions, listed by `explain()`).

    >>> tf.keras.layers.Hashing(num_bins=10)([["hello"], ["a"]]).numpy()
    array([[6],
           [9]])
    >>> tf.keras.layers.Hashing(num_bins=3, salt=133)([1, 2]).shape
    TensorShape([2])
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if "dtype" not in kwargs or kwargs["dtype"] is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"))
        check_sparse_mode(sparse, output_mode, ("one_hot", "multi_hot", "count"))
        if isinstance(salt, (tuple, list)):
            if len(salt) != 2:
                raise ValueError(f"The `salt` argument for `Hashing` can only be a tuple of size "
                                 f"2 integers, or a single integer. Received: salt={salt}.")
            self._key = (int(salt[0]), int(salt[1]))
        elif isinstance(salt, int):
            self._key = (salt, salt)
        elif salt is None:
            self._key = None
        else:
            raise ValueError(f"The `salt` argument for `Hashing` can only be a tuple of size 2 "
                             f"integers, or a single integer. Received: salt={salt}.")
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse

    def call(self, inputs):
        ids = hash_values(inputs, self.num_bins, self._key, self.mask_value)
        if self.output_mode == "int":
            return ids
        return encode_categorical(ids, self.output_mode, self.num_bins, self.compute_dtype,
                                  check_range=False, sparse=self.sparse, layer_name=self.name)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return CategoryEncoding(self.num_bins, self.output_mode).compute_output_shape(
            input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config


def hash_values(values, num_bins, key=None, mask_value=None):
    """Keras's Hashing of `values` (strings, integers, or floats cast to int64) into
    `num_bins` int64 buckets; with `mask_value`, that value gets bucket 0 and the others
    hash into [1, num_bins)."""
    values = to_tensor(values)
    bins = num_bins
    mask = None
    if mask_value is not None and bins > 1:
        bins -= 1
        mask = M.equal(values, mask_value)
    if values.dtype.is_floating:
        values = M.cast(values, "int64")
    if values.dtype is not dtypes.string and not values.dtype.is_integer:
        raise ValueError(f"Hashing: inputs must be strings or numbers, got {values.dtype.name}")
    ids = apply(hash_bucket, values, num_buckets=bins, key=key)
    if mask is not None:
        ids = M.where(mask, A.zeros_like(ids), M.add(ids, M.cast(1, "int64")))
    return ids
