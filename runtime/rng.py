"""Counter-based random numbers: Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy
as 1, 2, 3", SC'11), vectorized with NumPy.

A stream is named by a 64-bit key (from the global and op seeds); each draw takes the next block
of counters of its stream, so results depend only on (seeds, how many draws came before) — the
same in eager mode, the graph interpreter and compiled code.
"""
import numpy as np

from . import forksafe

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)

_lock = forksafe.Lock()
_offsets = {}  # stream key -> next unused counter


def reset_streams():
    with _lock:
        _offsets.clear()


def take_counters(key, n_blocks):
    """Reserve `n_blocks` consecutive counters of stream `key`; returns the first one."""
    with _lock:
        start = _offsets.get(key, 0)
        _offsets[key] = start + n_blocks
    return start


def philox4x32(counter_lo, counter_hi, key0, key1):
    """Philox-4x32-10 over arrays of 64-bit counters (lo word, hi word) -> (n, 4) uint32."""
    c0 = counter_lo.astype(np.uint32)
    c1 = (counter_lo.astype(np.uint64) >> _SHIFT32).astype(np.uint32)
    c2 = np.full_like(c0, counter_hi & 0xFFFFFFFF)
    c3 = np.full_like(c0, (counter_hi >> 32) & 0xFFFFFFFF)
    k0, k1 = np.uint32(key0), np.uint32(key1)
    with np.errstate(over="ignore"):
        for _ in range(10):
            p0 = _M0 * c0.astype(np.uint64)
            p1 = _M1 * c2.astype(np.uint64)
            hi0, lo0 = (p0 >> _SHIFT32).astype(np.uint32), (p0 & _MASK32).astype(np.uint32)
            hi1, lo1 = (p1 >> _SHIFT32).astype(np.uint32), (p1 & _MASK32).astype(np.uint32)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
            k0 = np.uint32(k0 + _W0)
            k1 = np.uint32(k1 + _W1)
    return np.stack([c0, c1, c2, c3], axis=-1)


def random_bits(key, n):
    """`n` uint32 values from the next counters of stream `key` (a pair of 32-bit ints)."""
    n_blocks = (n + 3) // 4
    start = take_counters(key, n_blocks)
    counters = np.arange(start, start + n_blocks, dtype=np.uint64)
    bits = philox4x32(counters, 0, key[0], key[1]).reshape(-1)
    return bits[:n]


def uniform01(key, n, dtype):
    """Uniform floats in [0, 1) of `dtype` (float16/32 from 23 bits, float64 from 52)."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        bits = random_bits(key, 2 * n).astype(np.uint64).reshape(n, 2)
        mant = ((bits[:, 0] << _SHIFT32) | bits[:, 1]) >> np.uint64(12)
        return (mant.astype(np.float64) * (1.0 / (1 << 52))).astype(np.float64)
    bits = random_bits(key, n)
    # 23 random mantissa bits on exponent 0 give [1, 2); subtract 1
    f = ((bits >> np.uint32(9)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1.0)
    return f.astype(dtype)


def standard_normal(key, n, dtype):
    """Box-Muller on pairs of uniforms; computed in float64, then cast."""
    m = (n + 1) // 2
    u = uniform01(key, 2 * m, np.float64).reshape(m, 2)
    u1 = np.maximum(u[:, 0], np.finfo(np.float64).tiny)
    r = np.sqrt(-2.0 * np.log(u1))
    theta = 2.0 * np.pi * u[:, 1]
    z = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1).reshape(-1)[:n]
    return z.astype(dtype)


def truncated_normal(key, n, dtype):
    """Standard normals redrawn until within two standard deviations (TF's definition)."""
    out = standard_normal(key, n, np.float64)
    bad = np.abs(out) > 2.0
    while bad.any():
        k = int(bad.sum())
        out[bad] = standard_normal(key, k, np.float64)
        bad = np.abs(out) > 2.0
    return out.astype(dtype)


def uniform_int(key, n, minval, maxval, dtype):
    """Integers in [minval, maxval) (64-bit draws reduced modulo the range, as TF)."""
    span = int(maxval) - int(minval)
    if span <= 0:
        raise ValueError(f"Need minval < maxval, got {minval} >= {maxval}")
    bits = random_bits(key, 2 * n).astype(np.uint64).reshape(n, 2)
    wide = (bits[:, 0] << _SHIFT32) | bits[:, 1]
    return (np.int64(minval) + (wide % np.uint64(span)).astype(np.int64)).astype(dtype)


def permutation(key, n):
    """A random permutation of range(n) (argsort of random 64-bit keys)."""
    bits = random_bits(key, 2 * n).astype(np.uint64).reshape(n, 2)
    wide = (bits[:, 0] << _SHIFT32) | bits[:, 1]
    return np.argsort(wide, kind="stable")
