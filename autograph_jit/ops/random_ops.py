"""Random OpDefs and `tf.random.*`: normal, uniform, truncated_normal, shuffle, set_seed.

Seeds follow TF2: `tf.random.set_seed(g)` fixes the global seed and restarts the sequence of op
seeds, so the same program draws the same numbers; an explicit `seed=` on an op picks its stream;
with neither, draws are not reproducible. Each op carries its (global, op) seed pair as attributes;
its kernel takes the next counters of that Philox stream (runtime/rng.py), so repeated calls (eager,
or of a compiled function) draw fresh numbers in a reproducible order.
"""
import os

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..runtime import rng as _rng
from ._args import to_tensor
from .array_ops import _dims_from, _shape_tensor
from .math_ops import add, cast, multiply, subtract
from ..errors import InvalidArgumentError
from .opdef import RNG, apply, defop

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1

_global = {"seed": None, "op_counter": 0}


def set_seed(seed):
    """tf.random.set_seed: reproducible draws from here on (also resets every stream).

    >>> tf.random.set_seed(42)
    >>> a = tf.random.uniform([2])
    >>> tf.random.set_seed(42)
    >>> bool(tf.reduce_all(a == tf.random.uniform([2])))
    True
    """
    _global["seed"] = None if seed is None else int(seed)
    _global["op_counter"] = 0
    _rng.reset_streams()


def get_global_seed():
    return _global["seed"]


def get_seed(op_seed):
    """TF's (global seed, op seed) pair for a new random op; a pair given as `op_seed` (from
    `stream_seed`) is used as it is."""
    if isinstance(op_seed, tuple):
        return op_seed
    g = _global["seed"]
    if g is not None:
        if op_seed is None:
            _global["op_counter"] += 1
            op_seed = _global["op_counter"]
        return g, int(op_seed) & _MAXINT32
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, int(op_seed) & _MAXINT32
    fresh = np.frombuffer(os.urandom(8), dtype=np.uint32)
    return int(fresh[0]), int(fresh[1])


def stream_seed(seed=None):
    """A Philox stream of its own for a random layer (Keras 3's `SeedGenerator`): the (global, op)
    seed pair to pass as `seed=` to every draw of the layer. Each draw takes the stream's next
    numbers whether it runs eagerly or inside a compiled function (one call of a compiled step,
    or one iteration of a compiled loop of steps, advances it exactly as one eager call does),
    so `run_eagerly=True` and compiled training see the same masks.

    >>> from autograph_jit.ops.random_ops import stream_seed
    >>> tf.random.set_seed(5)
    >>> pair = stream_seed()
    >>> a = tf.random.uniform([2], seed=pair); b = tf.random.uniform([2], seed=pair)
    >>> bool(tf.reduce_all(a == b))   # the stream advanced
    False
    """
    return get_seed(seed)


def _shape_infer(in_types, dtype, **attrs):
    dims = _dims_from(in_types[0], "shape")
    if dims is not None and any(d is not None and d < 0 for d in dims):
        raise InvalidArgumentError(f"random: shape must be non-negative, got {dims}")
    return TensorType(dtype, dims if dims is not None else None)


def _count(shape):
    if any(d < 0 for d in shape):  # (a graph runs kernels without the type rule's check)
        raise InvalidArgumentError(f"random: shape must be non-negative, got {list(shape)}")
    return int(np.prod(shape)) if len(shape) else 1


def _uniform_kernel(shape, dtype, seed, seed2):
    shape = tuple(int(d) for d in shape)
    return _rng.uniform01((seed, seed2), _count(shape), dtype.np_dtype).reshape(shape)


def _normal_kernel(shape, dtype, seed, seed2):
    shape = tuple(int(d) for d in shape)
    return _rng.standard_normal((seed, seed2), _count(shape), dtype.np_dtype).reshape(shape)


def _truncated_kernel(shape, dtype, seed, seed2):
    shape = tuple(int(d) for d in shape)
    return _rng.truncated_normal((seed, seed2), _count(shape), dtype.np_dtype).reshape(shape)


def _uniform_int_infer(in_types, dtype, seed, seed2):
    shape_t, lo, hi = in_types
    for t in (lo, hi):
        if t.shape.rank not in (0, None):
            raise InvalidArgumentError("random.uniform: minval and maxval must be scalars")
    return _shape_infer([shape_t], dtype)


def _uniform_int_kernel(shape, minval, maxval, dtype, seed, seed2):
    shape = tuple(int(d) for d in shape)
    if int(minval) >= int(maxval):
        raise InvalidArgumentError(f"Need minval < maxval, got {int(minval)} >= {int(maxval)}")
    return _rng.uniform_int((seed, seed2), _count(shape), minval, maxval,
                            dtype.np_dtype).reshape(shape)


def _shuffle_kernel(x, seed, seed2):
    if x.ndim == 0:
        return x.copy()
    return x[_rng.permutation((seed, seed2), x.shape[0])]


_random_uniform = defop("random_uniform", _shape_infer, _uniform_kernel, effects=RNG)
_random_normal = defop("random_normal", _shape_infer, _normal_kernel, effects=RNG)
_truncated_normal = defop("truncated_normal", _shape_infer, _truncated_kernel, effects=RNG)
_random_uniform_int = defop("random_uniform_int", _uniform_int_infer, _uniform_int_kernel,
                            effects=RNG)
_random_shuffle = defop("random_shuffle", lambda in_types, seed, seed2: in_types[0],
                        _shuffle_kernel, effects=RNG)


def _float_dtype(dtype, fn):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype!r} for tf.random.{fn}: expected a float type")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Outputs random values from a normal distribution (Philox stream, TF's seeding rules).

    >>> tf.random.normal([2, 3], seed=1).shape
    TensorShape([2, 3])
    """
    dtype = _float_dtype(dtype, "normal")
    g, o = get_seed(seed)
    z = apply(_random_normal, _shape_tensor(shape), dtype=dtype, seed=g, seed2=o)
    return _scale_shift(z, stddev, mean, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Outputs random values from a normal distribution truncated to 2 standard deviations.

    >>> bool(tf.reduce_all(tf.abs(tf.random.truncated_normal([100], seed=1)) <= 2.0))
    True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    g, o = get_seed(seed)
    z = apply(_truncated_normal, _shape_tensor(shape), dtype=dtype, seed=g, seed2=o)
    return _scale_shift(z, stddev, mean, dtype)


def _scale_shift(z, scale, shift, dtype):
    if not (isinstance(scale, (int, float)) and scale == 1):
        z = multiply(z, cast(to_tensor(scale, dtype_hint=dtype), dtype))
    if not (isinstance(shift, (int, float)) and shift == 0):
        z = add(z, cast(to_tensor(shift, dtype_hint=dtype), dtype))
    return z


def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform in [minval, maxval); integer dtypes need an explicit maxval, as in TF.

    >>> x = tf.random.uniform([3, 2], minval=0, maxval=10, dtype=tf.int32, seed=1)
    >>> x.shape, x.dtype
    (TensorShape([3, 2]), tf.int32)
    >>> bool(tf.reduce_all((x >= 0) & (x < 10)))
    True
    """
    dtype = dtypes.as_dtype(dtype)
    g, o = get_seed(seed)
    shape_t = _shape_tensor(shape)
    if dtype.is_integer:
        if maxval is None:
            raise ValueError("Must specify maxval for integer dtype " + repr(dtype))
        lo = cast(to_tensor(minval, dtype_hint=dtype), dtype)
        hi = cast(to_tensor(maxval, dtype_hint=dtype), dtype)
        return apply(_random_uniform_int, shape_t, lo, hi, dtype=dtype, seed=g, seed2=o)
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype!r} for tf.random.uniform")
    if maxval is None:
        maxval = 1
    u = apply(_random_uniform, shape_t, dtype=dtype, seed=g, seed2=o)
    lo = cast(to_tensor(minval, dtype_hint=dtype), dtype)
    hi = cast(to_tensor(maxval, dtype_hint=dtype), dtype)
    return add(multiply(u, subtract(hi, lo)), lo)


def shuffle(value, seed=None, name=None):
    """Randomly shuffles a tensor along its first dimension.

    >>> sorted(tf.random.shuffle(tf.constant([1, 2, 3]), seed=1).numpy().tolist())
    [1, 2, 3]
    """
    g, o = get_seed(seed)
    return apply(_random_shuffle, to_tensor(value), seed=g, seed2=o)

