"""tf.keras.activations: each activation by name against NumPy, its gradient against finite
differences, compiled against eager; get/serialize/deserialize."""
import math

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import activations

from .zoo_checks import check_compiled, check_grad

X = np.array([[-3.1, -1.2, -0.3, 0.4], [0.9, 1.7, 2.6, 7.5]])


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_erf = np.vectorize(math.erf)
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                     (np.exp(x) - 1)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "linear": lambda x: x,
}


def _sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016), step by step: the projection onto the simplex."""
    z = -np.sort(-x, axis=axis)
    cumsum = np.cumsum(z, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = np.arange(1, x.shape[axis] + 1).reshape(shape)
    support = z - (cumsum - 1) / r > 0
    k = support.sum(axis=axis, keepdims=True)
    tau = (np.where(support, z, 0.0).sum(axis=axis, keepdims=True) - 1) / k
    return np.maximum(x - tau, 0.0)


def _glu(x):
    a, b = np.split(x, 2, axis=-1)
    return a * _sigmoid(b)


# Keras 3's activations added with their default arguments (keras.activations source)
KERAS3_ADDED = {
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "glu": _glu,
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1) / 2)),
    "sparsemax": _sparsemax,
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
}
REFERENCE.update(KERAS3_ADDED)
SMOOTH = ["sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "selu", "gelu",
          "swish", "exponential", "mish", "elu", "relu", "leaky_relu", "linear"]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_by_name_matches_numpy(name):
    fn = activations.get(name)
    got = fn(tf.constant(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(got, REFERENCE[name](X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", SMOOTH)
def test_activation_gradient_matches_finite_differences(name):
    check_grad(lambda x: activations.get(name)(x), X)


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "swish", "hard_sigmoid", "selu"])
def test_activation_compiled_matches_eager(name):
    check_compiled(lambda x: activations.get(name)(x), X.astype(np.float32))


def test_relu_options_slope_ceiling_and_threshold():
    x = np.array([-2.0, -0.5, 0.5, 1.5, 4.0], np.float32)
    got = activations.relu(x, negative_slope=0.1, max_value=3.0, threshold=1.0).numpy()
    want = np.where(x >= 1.0, np.minimum(x, 3.0), 0.1 * (x - 1.0))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_elu_alpha_scales_the_negative_side():
    got = activations.elu(np.array([-1.0, 2.0], np.float32), alpha=0.5).numpy()
    np.testing.assert_allclose(got, [0.5 * (np.exp(-1) - 1), 2.0], rtol=1e-6)


def test_get_resolves_none_names_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get(tf.nn.relu) is tf.nn.relu


def test_unknown_activation_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="Unknown activation function: 'rleu'.*'relu'"):
        activations.get("rleu")


def test_serialize_round_trips_builtin_names():
    for name in ["relu", "gelu", "softmax", "linear", "silu"]:
        assert activations.serialize(activations.get(name)) == name
        assert activations.deserialize(activations.serialize(activations.get(name))) is \
            activations.get(name)


def test_relu_threshold_keeps_only_values_strictly_above_it():
    got = activations.relu(np.array([0.5, 1.0, 1.5], np.float32), threshold=1.0).numpy()
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.5])


@pytest.mark.parametrize("name", sorted(KERAS3_ADDED))
def test_keras3_added_activation_gradient_matches_finite_differences(name):
    # X keeps away from every kink (+-0.5, +-1, ties in sparsemax)
    check_grad(lambda x: activations.get(name)(x), X)


@pytest.mark.parametrize("name", sorted(KERAS3_ADDED))
def test_keras3_added_activation_compiled_matches_eager(name):
    check_compiled(lambda x: activations.get(name)(x), X.astype(np.float32))


@pytest.mark.parametrize("name", sorted(KERAS3_ADDED) + ["threshold"])
def test_keras3_added_activation_is_a_module_function_and_round_trips_by_name(name):
    fn = getattr(tf.keras.activations, name)
    assert activations.get(name) is fn
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_keras3_added_activation_arguments_match_numpy():
    x = X.astype(np.float32)
    np.testing.assert_allclose(activations.celu(x, alpha=0.5).numpy(),
                               np.maximum(X, 0) + 0.5 * np.expm1(np.minimum(X, 0) / 0.5),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(activations.squareplus(x, b=1).numpy(),
                               (X + np.sqrt(X * X + 1)) / 2, rtol=1e-5)
    np.testing.assert_allclose(activations.hard_shrink(x, threshold=1.0).numpy(),
                               np.where(np.abs(X) > 1.0, X, 0.0), rtol=1e-6)
    np.testing.assert_allclose(activations.soft_shrink(x, threshold=1.0).numpy(),
                               np.where(X > 1, X - 1, np.where(X < -1, X + 1, 0.0)), rtol=1e-5)
    np.testing.assert_allclose(activations.glu(x.T, axis=0).numpy(), _glu(X).T, rtol=1e-5)
    np.testing.assert_allclose(activations.sparsemax(x, axis=0).numpy(),
                               _sparsemax(X, axis=0), rtol=1e-5, atol=1e-6)


def test_threshold_needs_its_threshold_and_default_value_like_keras3():
    x = X.astype(np.float32)
    np.testing.assert_allclose(activations.threshold(x, 0.5, -2.0).numpy(),
                               np.where(X > 0.5, X, -2.0), rtol=1e-6)
    with pytest.raises(TypeError):
        activations.threshold(x)


def test_sparsemax_projects_onto_the_simplex_where_keras3_code_does_not():
    # Keras 3.15.1 returns [[0, 0, 0, 0.65], [0, 0, 0, 1], [0, 0, 0, 0]] for these rows (its
    # threshold sums cumulative sums); the documented sparsemax sums to 1 on every row
    x = np.array([[-3.1, -1.2, -0.3, 0.4], [0.9, 1.7, 2.6, 7.5], [0.1, 0.2, 0.3, 0.35]],
                 np.float32)
    got = activations.sparsemax(x).numpy()
    np.testing.assert_allclose(got, [[0, 0, 0.15, 0.85], [0, 0, 0, 1],
                                     [0.1125, 0.2125, 0.3125, 0.3625]], atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


def test_glu_rejects_an_odd_axis_like_keras3():
    with pytest.raises(ValueError, match="axis size must be divisible by 2"):
        activations.glu(np.ones((2, 3), np.float32))


def test_keras3_added_activation_names_work_in_layers():
    layer = tf.keras.layers.Dense(2, activation="squareplus", kernel_initializer="ones")
    out = layer(tf.constant([[1.0, -3.0]])).numpy()
    np.testing.assert_allclose(out, [[(-2 + np.sqrt(8)) / 2] * 2], rtol=1e-5)
    assert layer.get_config()["activation"] == "squareplus"
    assert tf.keras.layers.Activation("log_sigmoid").get_config()["activation"] == \
        "log_sigmoid"
