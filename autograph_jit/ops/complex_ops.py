"""Complex numbers: `tf.complex`, `tf.math.real`, `imag`, `conj`, `angle` (complex64/complex128).

Arithmetic (add, multiply, divide, pow, exp, log, sqrt, reductions, equality) is the ordinary
math ops, whose type rules accept complex dtypes; `tf.abs` of a complex tensor is its magnitude
(math_ops.complex_abs). The CPU backend has no complex lowering: a graph holding complex values
runs on the interpreter and `explain()` says so (codegen/llvm/backend.py).
"""
import numpy as np

from ..ir.types import TensorType
from . import type_rules as tr
from ._args import to_tensor
from .opdef import apply, defop
from .. import dtypes


def _to_real_infer(name):
    def infer(in_types):
        x = in_types[0]
        if x.dtype.is_complex:
            return TensorType(x.dtype.real_dtype, x.shape)
        tr.check_dtype(name, x, tr.NUMERIC)
        return TensorType(x.dtype, x.shape)
    return infer


def _same_infer(name):
    def infer(in_types):
        tr.check_dtype(name, in_types[0], tr.WITH_COMPLEX)
        return in_types[0]
    return infer


def _complex_infer(in_types):
    re, im = in_types
    tr.same_dtype("complex", in_types)
    tr.check_dtype("complex", re, (tr.FLOATS[1], tr.FLOATS[2]))
    out = "complex64" if re.dtype.name == "float32" else "complex128"
    return TensorType(dtypes.as_dtype(out), tr.broadcast_shapes("complex", re.shape, im.shape))


_real = defop("real", _to_real_infer("real"), np.real, elementwise=True)
_imag = defop("imag", _to_real_infer("imag"), lambda x: np.imag(x) if x.dtype.kind == "c"
              else np.zeros_like(x), elementwise=True)
_conj = defop("conj", _same_infer("conj"), np.conj, elementwise=True)
_angle = defop("angle", _to_real_infer("angle"), np.angle, elementwise=True)
_complex = defop("complex", _complex_infer, lambda re, im: re + 1j * im, elementwise=True)


def real(input, name=None):  # noqa: A002 - TF's name
    """Returns the real part of a complex (or real) tensor.

    >>> float(tf.math.real(tf.constant(1 + 2j)))
    1.0
    """
    return apply(_real, to_tensor(input))


def imag(input, name=None):  # noqa: A002
    """Returns the imaginary part of a complex tensor (zeros for a real one).

    >>> float(tf.math.imag(tf.constant(1 + 2j)))
    2.0
    """
    return apply(_imag, to_tensor(input))


def conj(x, name=None):
    """Returns the complex conjugate (a real tensor is returned unchanged).

    >>> complex(tf.math.conj(tf.constant(1 + 2j)))
    (1-2j)
    """
    x = to_tensor(x)
    if not x.dtype.is_complex:
        return x
    return apply(_conj, x)


def angle(input, name=None):  # noqa: A002
    """Returns the argument (phase) of a complex tensor, in radians.

    >>> round(float(tf.math.angle(tf.constant(1j))), 4)
    1.5708
    """
    return apply(_angle, to_tensor(input))


def complex(real, imag, name=None):  # noqa: A001 - TF's name
    """Builds a complex tensor from real and imaginary parts (float32 → complex64, float64 →
    complex128).

    >>> tf.complex(tf.constant([1.0]), tf.constant([2.0])).numpy()
    array([1.+2.j], dtype=complex64)
    """
    return apply(_complex, to_tensor(real), to_tensor(imag))
