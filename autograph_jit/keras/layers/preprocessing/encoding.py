"""Categorical encodings (Keras 3): `CategoryEncoding` (integer ids to one-hot / multi-hot /
count vectors), `Hashing` (values to `num_bins` buckets with TF's string hashes), and the
`encode_categorical` helper the lookup, discretization and text layers share.

Hashing matches TF exactly: unsalted values hash with FarmHash's Fingerprint64 (TF's
`to_hash_bucket_fast`, through the `pyfarmhash` package: the `hash` extra), salted values with
SipHash-2-4 keyed by the two salt words (TF's `to_hash_bucket_strong`), written here from the
SipHash paper's definition."""
import numpy as np

from ....errors import FailedPreconditionError
from ....ops import array_ops as A
from ....ops import check_ops as C
from ....ops import gather_ops as G
from ....ops import math_ops as M
from ....tensor import EagerTensor
from ..layer import Layer
from ._host import host_map

__all__ = ["CategoryEncoding", "Hashing", "encode_categorical", "check_output_mode",
           "fingerprint64", "siphash24"]

_MASK = (1 << 64) - 1


def check_output_mode(mode, allowed):
    if mode not in allowed:
        raise ValueError(f"Unknown arg for output_mode: {mode}. Expected one of {list(allowed)}")


def _check_range(indices, depth):
    """Values of `indices` must lie in [0, depth): an InvalidArgumentError otherwise (eagerly at
    once, compiled through an assert op)."""
    if isinstance(indices, EagerTensor):
        v = np.asarray(indices.numpy())
        if v.size and (v.min() < 0 or v.max() >= depth):
            from ....errors import InvalidArgumentError
            raise InvalidArgumentError(
                f"Input values must be in the range 0 <= values < num_tokens with "
                f"num_tokens={depth}; got values in [{v.min()}, {v.max()}]. Fix: raise "
                f"num_tokens, or map the values first (IntegerLookup, Hashing)")
        return
    C.assert_non_negative(indices, message="CategoryEncoding: input values must be >= 0")
    C.assert_less(indices, M.cast(depth, indices.dtype),
                  message=f"CategoryEncoding: input values must be < num_tokens={depth}")


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None,
                       idf_weights=None, check_range=True):
    """Integer ids -> Keras 3's encodings over `depth` tokens: 'one_hot' adds a last axis (a
    trailing axis of 1 is replaced), 'multi_hot' / 'count' / 'tf_idf' reduce the last axis
    (a rank-0 or rank-1 input is one sample)."""
    if output_mode == "int":
        return M.cast(indices, dtype)
    if check_range:
        _check_range(indices, depth)
    rank = indices.shape.rank
    if output_mode == "one_hot":
        if rank is not None and rank > 1 and indices.shape[-1] == 1:
            indices = A.squeeze(indices, axis=-1)
        return G.one_hot(indices, depth, dtype=dtype)
    if rank == 0:
        indices = A.reshape(indices, [1])
    hot = G.one_hot(indices, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return M.reduce_max(hot, axis=-2)
    if count_weights is not None:
        hot = M.multiply(hot, A.expand_dims(M.cast(count_weights, dtype), -1))
    counts = M.reduce_sum(hot, axis=-2)
    if output_mode == "tf_idf":
        counts = M.multiply(counts, M.cast(idf_weights, dtype))
    return counts


class CategoryEncoding(Layer):
    """Encodes integer ids in [0, num_tokens) as vectors of `num_tokens` floats.

    Args: `num_tokens`, `output_mode='multi_hot'` (`'one_hot'`: one vector per id, a trailing
    axis of 1 replaced; `'multi_hot'`: 1 where an id of the sample occurs; `'count'`: how
    often, weighted by `count_weights` passed to the call), `sparse=False`. An id outside
    [0, num_tokens) is an InvalidArgumentError.

    >>> tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(
    ...     [3, 0]).numpy()
    array([[0., 0., 0., 1.],
           [1., 0., 0., 0.]], dtype=float32)
    >>> tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")(
    ...     [[0, 1, 1], [3, 3, 2]]).numpy()
    array([[1., 2., 0., 0.],
           [0., 0., 1., 2.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        check_output_mode(output_mode, ("one_hot", "multi_hot", "count"))
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens "
                             "is not known beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding(sparse=True) is not supported: autograph_jit has "
                             "no sparse layer outputs; leave sparse=False")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        if inputs.dtype.is_floating:
            inputs = M.cast(inputs, "int64")
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. "
                             f"Received `count_weights={count_weights}`.")
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                                  count_weights=count_weights)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,) if shape else (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode)
        return config


# -- TF's string hashes -------------------------------------------------------------------------

def fingerprint64(data):
    """FarmHash Fingerprint64 of `data` (bytes), TF's `to_hash_bucket_fast` hash.

    Needs the `pyfarmhash` package (`pip install autograph_jit[hash]`)."""
    try:
        import farmhash
    except ImportError:
        raise FailedPreconditionError(
            "Hashing without a salt needs FarmHash's Fingerprint64 (TF's hash): install it with "
            "`pip install pyfarmhash` (the autograph_jit[hash] extra), or pass `salt=` to use "
            "SipHash, which needs no extra package") from None
    return farmhash.fingerprint64(data)


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & _MASK


def _sipround(v0, v1, v2, v3):
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key, data):
    """SipHash-2-4 of `data` (bytes) under the 128-bit key `(k0, k1)` (two uint64 words), TF's
    `to_hash_bucket_strong` hash."""
    k0, k1 = int(key[0]) & _MASK, int(key[1]) & _MASK
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    tail = n - n % 8
    for i in range(0, tail, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _sipround(*_sipround(v0, v1, v2, v3))
        v0 ^= m
    m = ((n & 0xFF) << 56) | int.from_bytes(data[tail:], "little")
    v3 ^= m
    v0, v1, v2, v3 = _sipround(*_sipround(v0, v1, v2, v3))
    v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def _as_text(value):
    """A value as the bytes TF hashes: strings as is, numbers as `tf.as_string` writes ints."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(int(value)).encode()


def hash_buckets(values, num_buckets, salt=None):
    """NumPy int64 bucket of each value: `hash(value) % num_buckets`."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values.astype(np.int64)   # TF's Hashing casts floats to int64 first
    flat = values.ravel()
    if salt is None:
        out = [fingerprint64(_as_text(v)) % num_buckets for v in flat]
    else:
        out = [siphash24(salt, _as_text(v)) % num_buckets for v in flat]
    return np.asarray(out, np.int64).reshape(values.shape)


class Hashing(Layer):
    """Hashes strings or integers into `num_bins` buckets, as TF does (same bucket numbers).

    Args: `num_bins`, `mask_value=None` (when set, that value goes to bucket 0 and the others
    hash into [1, num_bins)), `salt=None` (an int or a pair of ints: keyed SipHash, TF's
    `to_hash_bucket_strong`; without it FarmHash Fingerprint64, TF's `to_hash_bucket_fast`),
    `output_mode='int'` (or 'one_hot', 'multi_hot', 'count'), `sparse=False`. Floats are cast
    to int64 first, integers hashed as their decimal text. Runs on the host (a host op inside
    compiled functions, listed by `explain()`).

    >>> tf.keras.layers.Hashing(num_bins=10)([["hello"], ["a"]]).numpy()
    array([[6],
           [9]])
    >>> tf.keras.layers.Hashing(num_bins=3, salt=133)([1, 2]).shape
    TensorShape([2])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if "dtype" not in kwargs or kwargs["dtype"] is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse:
            raise ValueError("Hashing(sparse=True) is not supported: autograph_jit has no "
                             "sparse layer outputs; leave sparse=False")
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

    def _hash(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mv = self.mask_value
            mv = mv.encode("utf-8") if isinstance(mv, str) else mv
            mask = values == mv
        out = hash_buckets(values, bins, self._key)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs):
        ids = host_map(self._hash, inputs, "int64")
        if self.output_mode == "int":
            return ids
        return encode_categorical(ids, self.output_mode, self.num_bins, self.compute_dtype,
                                  check_range=False)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return CategoryEncoding(self.num_bins, self.output_mode).compute_output_shape(
            input_shape) if self.output_mode != "one_hot" else tuple(input_shape) + (
            self.num_bins,)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config
