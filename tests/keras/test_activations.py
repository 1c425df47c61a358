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
