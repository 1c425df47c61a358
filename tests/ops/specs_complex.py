"""Op specs for complex64/complex128: tf.complex, real/imag/conj/angle, |z| (complex_abs), and
the arithmetic ops whose type rules accept complex numbers, against NumPy's complex math."""
import numpy as np

import autograph_jit as tf

from .opspec import Case, OpSpec

_rng = np.random.default_rng(11)


def _z(shape, dtype):
    return (_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)).astype(dtype)


SHAPES = ((), (4,), (2, 3), (0,))
DTYPES = (np.complex64, np.complex128)
UNARY = [Case((_z(s, d),)) for d in DTYPES for s in SHAPES]
BINARY = [Case((_z(s, d), _z(s, d))) for d in DTYPES for s in SHAPES] + \
    [Case((_z((2, 3), d), _z((3,), d))) for d in DTYPES]


SPECS = [
    OpSpec("complex", fn=tf.complex, ref=lambda re, im: re + 1j * im,
           cases=[Case((_rng.standard_normal(s).astype(d), _rng.standard_normal(s).astype(d)))
                  for d in (np.float32, np.float64) for s in SHAPES]),
    OpSpec("real", fn=tf.math.real, ref=np.real, cases=UNARY),
    OpSpec("imag", fn=tf.math.imag, ref=np.imag, cases=UNARY),
    OpSpec("conj", fn=tf.math.conj, ref=np.conj, cases=UNARY),
    OpSpec("angle", fn=tf.math.angle, ref=np.angle, cases=UNARY, rtol=1e-5),
    OpSpec("complex_abs", fn=tf.abs, ref=np.abs, cases=UNARY, rtol=1e-5),
    OpSpec("add_complex", fn=tf.add, ref=np.add, covers=("add",), cases=BINARY),
    OpSpec("subtract_complex", fn=tf.subtract, ref=np.subtract, covers=("subtract",),
           cases=BINARY),
    OpSpec("multiply_complex", fn=tf.multiply, ref=np.multiply, covers=("multiply",),
           cases=BINARY),
    OpSpec("divide_complex", fn=tf.math.divide, ref=np.true_divide, covers=("divide",),
           cases=BINARY),
    OpSpec("exp_complex", fn=tf.exp, ref=np.exp, covers=("exp",), cases=UNARY),
    OpSpec("sqrt_complex", fn=tf.sqrt, ref=np.sqrt, covers=("sqrt",), cases=UNARY),
    OpSpec("reduce_sum_complex", fn=tf.reduce_sum, ref=lambda z: np.sum(z).astype(z.dtype),
           covers=("reduce_sum",), cases=UNARY, rtol=1e-5, atol=1e-5),
    OpSpec("equal_complex", fn=tf.equal, ref=np.equal, covers=("equal",), cases=BINARY),
    OpSpec("cast_complex_to_float", fn=lambda z: tf.cast(z, tf.float32),
           ref=lambda z: z.real.astype(np.float32), covers=("cast",), cases=UNARY),
]

_m32 = _rng.standard_normal((3, 3)).astype(np.float32)
_m64 = _rng.standard_normal((2, 4, 4))


def _eig_ref(a):
    e, v = np.linalg.eig(a)
    out = np.complex64 if a.dtype == np.float32 else np.complex128
    return e.astype(out), v.astype(out)


SPECS += [
    OpSpec("eig", fn=tf.linalg.eig, ref=_eig_ref, cases=[Case((_m32,)), Case((_m64,))],
           rtol=1e-5, atol=1e-5),
    OpSpec("eigvals", fn=tf.linalg.eigvals, ref=lambda a: _eig_ref(a)[0], covers=("eig",),
           cases=[Case((np.array([[0.0, -1.0], [1.0, 0.0]]),))]),
]
