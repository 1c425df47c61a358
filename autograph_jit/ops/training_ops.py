"""Fused optimizer updates for eager mode (TF's `ResourceApplyAdam`): one op per variable.

Keras' Adam writes its update as about a dozen ops per variable (reads, subtract, multiply,
add, square, sqrt, divide, assigns). Traced into a tf.function, those ops are fused and compiled;
run eagerly, each is a dispatch and a fresh temporary. `apply_adam` does the same float
operations, in the same order and the same dtype, as one op whose kernel reuses its temporaries:
the result is bit-for-bit that of the op-by-op update (tests/ops/test_training_ops.py).

`try_apply_adam` is what `keras.optimizers.Adam` calls: it runs the fused op only where it is
provably the same computation (eager mode, no GradientTape recording — reads of the slots would
be visible to it —, Python-number hyperparameters, gradient and slots of the variable's floating
dtype and shape) and otherwise returns False, and the optimizer runs its op-by-op update.
"""
import math
import sys
import threading

import numpy as np

from ..errors import InvalidArgumentError
from ..tensor import EagerTensor
from ..tracing import context as _context
from . import recording as _recording
from .opdef import WRITES_VARIABLE, apply, defop

__all__ = ["apply_adam", "try_apply_adam"]

_NUMBERS = (float, int)


def _apply_adam_infer(in_types, var, m, v, beta_1, beta_2, epsilon):
    g, alpha = in_types
    for what, dtype in (("gradient", g.dtype), ("alpha", alpha.dtype), ("m", m.dtype),
                        ("v", v.dtype)):
        if dtype is not var.dtype:
            raise InvalidArgumentError(
                f"apply_adam: {what} has dtype {dtype.name}, the variable {var.name!r} "
                f"{var.dtype.name}. Fix: tf.cast it to tf.{var.dtype.name}.", "apply_adam")
    if not var.dtype.is_floating:
        raise InvalidArgumentError(f"apply_adam: variable {var.name!r} is of dtype "
                                   f"{var.dtype.name}; Adam updates floating variables.",
                                   "apply_adam")
    for what, shape in (("gradient", g.shape), ("m", m.shape), ("v", v.shape)):
        if shape != var.shape or not shape.is_fully_defined():
            raise InvalidArgumentError(f"apply_adam: {what} has shape {shape}, the variable "
                                       f"{var.name!r} {var.shape}.", "apply_adam")
    if alpha.shape.rank != 0:
        raise InvalidArgumentError(f"apply_adam: alpha must be a scalar, got shape "
                                   f"{alpha.shape}.", "apply_adam")
    return ()


def _frozen(a):
    a.setflags(write=False)
    return a


def _output_for(variable):
    """Where the variable's new value goes: its current buffer when nothing but the variable
    holds it (no tensor read earlier aliases it: CPython's reference count says so; a view's
    `base` or an exported buffer counts too), made writable again and updated in place; else a
    new buffer. In-place updates spare the fresh pages a new buffer costs on every step."""
    a = variable._value
    # the references: the variable's attribute, `a`, and getrefcount's argument
    if a.base is None and a.flags.owndata and sys.getrefcount(a) == 3:
        a.setflags(write=True)
        return a
    return np.empty(a.shape, a.dtype)


_SCRATCH = threading.local()
SCRATCH_LIMIT = 1 << 25   # bytes a thread keeps for the kernel's two temporaries, at most


def _scratch(shape, dtype):
    """Two temporaries of `shape` (arrays also for rank 0), views of one buffer this thread
    keeps between calls (up to SCRATCH_LIMIT bytes): fresh pages for large temporaries on every
    update cost more than the arithmetic (page faults), and the kernel overwrites them first."""
    n = math.prod(shape) * dtype.itemsize
    if 2 * n > SCRATCH_LIMIT:
        return np.empty(shape, dtype), np.empty(shape, dtype)
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.nbytes < 2 * n:
        buf = _SCRATCH.buf = np.empty(max(2 * n, 64), np.uint8)
    return (buf[:n].view(dtype).reshape(shape), buf[n:2 * n].view(dtype).reshape(shape))


def _apply_adam_kernel(g, alpha, var, m, v, beta_1, beta_2, epsilon):
    """`m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)`,
    `var -= (m * alpha) / (sqrt(v) + epsilon)`: each step the op-by-op update's operation on
    the same operands (Python numbers converted to the dtype first, as `x * 0.1` does). A slot
    or variable buffer another tensor may alias is never written: it gets a new buffer."""
    dt = var.dtype.np_dtype
    c1, c2, eps = (np.array(c, dt) for c in (1 - beta_1, 1 - beta_2, epsilon))
    t, s = _scratch(g.shape, dt)
    np.subtract(g, m._value, out=t)
    np.multiply(t, c1, out=t)
    m_new = np.add(m._value, t, out=_output_for(m))
    np.square(g, out=s)
    np.subtract(s, v._value, out=s)
    np.multiply(s, c2, out=s)
    v_new = np.add(v._value, s, out=_output_for(v))
    u, d = t, s   # (the temporaries again)
    np.multiply(m_new, alpha, out=u)
    np.sqrt(v_new, out=d)
    np.add(d, eps, out=d)
    np.true_divide(u, d, out=u)
    var_new = np.subtract(var._value, u, out=_output_for(var))
    m._value, v._value, var._value = _frozen(m_new), _frozen(v_new), _frozen(var_new)
    return ()


apply_adam = defop(
    "apply_adam", _apply_adam_infer, _apply_adam_kernel, effects=WRITES_VARIABLE, num_outputs=0,
    doc="Adam's update of variable `var` and its slots `m`, `v` from gradient (input 0) and "
        "step size alpha (input 1), as one op (TF's ResourceApplyAdam); eager mode only.")


def try_apply_adam(var, m, v, gradient, alpha, beta_1, beta_2, epsilon):
    """Run `apply_adam` when it is the same computation as Keras' op-by-op update (see the
    module doc); returns whether it ran."""
    if _context._local.builder is not None or _recording.ACTIVE_TAPES:
        return False
    if not (type(beta_1) in _NUMBERS and type(beta_2) in _NUMBERS
            and type(epsilon) in _NUMBERS):
        return False
    if type(gradient) is not EagerTensor or type(alpha) is not EagerTensor:
        return False
    dtype = var.dtype
    if not dtype.is_floating or gradient.dtype is not dtype or alpha.dtype is not dtype \
            or m.dtype is not dtype or v.dtype is not dtype or alpha._value.ndim != 0:
        return False
    shape = var._value.shape
    if gradient._value.shape != shape or m._value.shape != shape or v._value.shape != shape \
            or var.shape.as_tuple() != shape or m.shape.as_tuple() != shape \
            or v.shape.as_tuple() != shape:
        return False
    apply(apply_adam, gradient, alpha, var=var, m=m, v=v, beta_1=beta_1, beta_2=beta_2,
          epsilon=epsilon)
    return True
