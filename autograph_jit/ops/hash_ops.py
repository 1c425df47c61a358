"""TF's string hashes, `tf.strings.to_hash_bucket_fast` / `to_hash_bucket_strong`, as one host
op, `hash_bucket` (values -> int64 bucket `hash(value) % num_buckets`).

* fast (no key): FarmHash Fingerprint64 of the bytes, through the `pyfarmhash` package (the
  `hash` extra: `pip install autograph_jit[hash]`);
* strong (`key=(k0, k1)`): SipHash-2-4 keyed by the two uint64 words, through the `siphashc`
  package (the same extra).

Besides strings the op takes integers, hashed as their decimal text (what `tf.as_string` would
give: Keras's Hashing and lookup layers hash integers so), which keeps a numeric graph free of
string values. It runs on the host by design (`OpDef.host`): a compiled function calls it
through a host callback, and `explain()` counts it there."""
import numpy as np

from .. import dtypes
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..ir.types import TensorType
from ._args import to_tensor
from .opdef import apply, defop

__all__ = ["fingerprint64", "siphash24", "to_hash_bucket_fast", "to_hash_bucket_strong"]

_MASK = (1 << 64) - 1


def fingerprint64(data):
    """FarmHash Fingerprint64 of `data` (bytes): TF's `to_hash_bucket_fast` hash."""
    try:
        import farmhash
    except ImportError:
        raise FailedPreconditionError(
            None, "hash_bucket",
            "hashing without a key needs FarmHash's Fingerprint64 (TF's hash): install it with "
            "`pip install pyfarmhash` (the autograph_jit[hash] extra), or hash with a key "
            "(to_hash_bucket_strong, Hashing(salt=...)), which needs no extra package") from None
    return farmhash.fingerprint64(data)


def siphash24(key, data):
    """SipHash-2-4 of `data` (bytes) under the key `(k0, k1)` (two uint64 words): TF's
    `to_hash_bucket_strong` hash, through the `siphashc` package."""
    try:
        import siphashc
    except ImportError:
        raise FailedPreconditionError(
            None, "hash_bucket",
            "hashing with a key needs SipHash-2-4 (TF's strong hash): install it with "
            "`pip install siphashc` (the autograph_jit[hash] extra)") from None
    k0, k1 = int(key[0]) & _MASK, int(key[1]) & _MASK
    return siphashc.siphash(k0.to_bytes(8, "little") + k1.to_bytes(8, "little"), data)


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(int(value)).encode()


def _hash_infer(in_types, num_buckets, key):
    t = in_types[0]
    if t.dtype is not dtypes.string and not t.dtype.is_integer:
        raise InvalidArgumentError(f"hash_bucket: input must be a string or integer tensor, got "
                                   f"{t.dtype.name}")
    if int(num_buckets) < 1:
        raise InvalidArgumentError(f"hash_bucket: num_buckets must be >= 1, got {num_buckets}")
    return TensorType(dtypes.int64, t.shape)


def _hash_kernel(x, num_buckets, key):
    flat = np.asarray(x).ravel()
    if key is None:
        out = [fingerprint64(_as_bytes(v)) % num_buckets for v in flat]
    else:
        out = [siphash24(key, _as_bytes(v)) % num_buckets for v in flat]
    return np.asarray(out, np.int64).reshape(np.shape(x))


hash_bucket = defop("hash_bucket", _hash_infer, _hash_kernel, differentiable=False, host=True,
                    doc="hash(value) % num_buckets: FarmHash Fingerprint64 (key None) or keyed "
                        "SipHash-2-4 of strings, or of integers' decimal text.")


def _check_string(x, who):
    if x.dtype is not dtypes.string:
        raise InvalidArgumentError(f"{who}: input must be a tf.string tensor, got "
                                   f"{x.dtype.name}. Fix: tf.strings.as_string(x) first")


def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's name
    """Converts each string to a hash bucket: `Fingerprint64(s) % num_buckets` (TF's op; needs
    the `pyfarmhash` package).

    >>> tf.strings.to_hash_bucket_fast(["hello", "a"], 10).numpy()
    array([6, 9])
    """
    x = to_tensor(input)
    _check_string(x, "to_hash_bucket_fast")
    return apply(hash_bucket, x, num_buckets=int(num_buckets), key=None)


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002 - TF's name
    """Converts each string to a hash bucket with keyed SipHash-2-4: `key` is a list of two
    integers (TF's op, same buckets).

    >>> tf.strings.to_hash_bucket_strong(["a", "hello"], 7, [133, 133]).numpy()
    array([4, 0])
    """
    x = to_tensor(input)
    _check_string(x, "to_hash_bucket_strong")
    if len(key) != 2:
        raise InvalidArgumentError(f"to_hash_bucket_strong: key must have 2 elements, got "
                                   f"{list(key)}")
    return apply(hash_bucket, x, num_buckets=int(num_buckets), key=(int(key[0]), int(key[1])))
