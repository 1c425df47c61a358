"""Op specs for the ops that call back into Python: tf.py_function (and its gradient op),
tf.numpy_function, and tf.custom_gradient (see opspec.py). Eagerly py_function calls the function
directly; the compiled and interpreter paths (tests/codegen/test_ops_differential.py) run the
host ops themselves."""
import numpy as np

import autograph_jit as tf

from .opspec import Case, OpSpec

_rng = np.random.default_rng(3)


def _py_square_plus(x):
    return tf.py_function(lambda t: t * t + tf.sin(t), [x], x.dtype)


def _numpy_sort(x):
    return tf.numpy_function(lambda a: np.sort(a, axis=-1), [x], x.dtype)


@tf.custom_gradient
def _clipped_identity(x):
    def grad(dy):
        return tf.clip_by_value(dy, -0.5, 0.5)
    return tf.identity(x), grad


@tf.custom_gradient
def _softplus(x):
    e = tf.exp(x)

    def grad(dy):
        return dy * e / (1 + e)
    return tf.math.log(1 + e), grad


SPECS = [
    OpSpec("py_function", fn=_py_square_plus, ref=lambda x: (x * x + np.sin(x)).astype(x.dtype),
           covers=("py_function", "py_function_grad"),
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in (np.float32, np.float64)
                  for s in ((), (3,), (2, 3))], grad=True),
    OpSpec("numpy_function", fn=_numpy_sort, ref=lambda x: np.sort(x, axis=-1),
           covers=("py_function",),
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in (np.float32, np.int32)
                  for s in ((4,), (2, 3))]),
    OpSpec("custom_gradient", fn=_softplus, ref=lambda x: np.log1p(np.exp(x)).astype(x.dtype),
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in (np.float32, np.float64)
                  for s in ((), (3,), (2, 3))], grad=True, rtol=1e-5),
    # the custom gradient is what the tape returns, not the forward's true derivative
    OpSpec("custom_gradient_clip", fn=lambda x: tf.reduce_sum(_clipped_identity(x) * 3.0),
           ref=lambda x: np.asarray(np.sum(x * 3.0), x.dtype), covers=("custom_gradient",),
           cases=[Case((np.array([0.5, -2.0, 1.0]),))]),
]
