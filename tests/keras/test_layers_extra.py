"""GroupNormalization, UnitNormalization, GaussianDropout and AlphaDropout: NumPy references of
Keras 3's formulas, numbers recorded once from TF 2.21 / Keras 3.15, gradients against finite
differences, compiled against eager, training semantics and config round trips."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads

rng = np.random.default_rng(2)
X = (rng.normal(size=(2, 3, 4, 6)) * 3 + 1).astype(np.float32)

# recorded from TF 2.21: out[1, 2, :2] after setting every weight to linspace(0.5, 1.5)
TF_GROUP = {
    "groups3": [[0.03431, 0.65131, 0.8721, 2.1265, 2.3284, 0.28968],
                [0.15465, 0.23138, -0.28534, 0.55555, 1.06643, 2.51144]],
    "groups3_axis1": [[0.14735, 1.49277, 1.26173, 2.96478, 3.10525, 0.29623],
                      [0.52309, 0.55626, -1.00987, 0.44222, 1.39879, 2.89997]],
    "instance_no_center": [[-0.57712, 0.26519, 0.10167, 0.75807, 0.74316, -0.95575],
                           [-0.46842, -0.30933, -1.43507, -0.5669, -0.49796, 1.41523]],
}
TF_UNIT_AXES_12 = [[-0.24773, 0.30287, 0.50549, -0.39161, -0.36447, -0.30143],
                   [0.42961, 0.12534, 0.29857, 0.31679, 0.14199, 0.15885]]


def _group_ref(x, groups, axis, gamma, beta, eps=1e-3):
    x = np.moveaxis(x.astype(np.float64), axis, -1)
    shape = x.shape
    g = x.reshape(shape[0], -1, groups, shape[-1] // groups)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = g.var(axis=(1, 3), keepdims=True)
    out = ((g - mean) / np.sqrt(var + eps)).reshape(shape)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("key,kwargs,axis", [
    ("groups3", dict(groups=3), -1), ("groups3_axis1", dict(groups=3, axis=1), 1),
    ("instance_no_center", dict(groups=-1, center=False), -1)])
def test_group_normalization_matches_numpy_and_tf(key, kwargs, axis):
    layer = layers.GroupNormalization(**kwargs)
    layer(X)
    weights = [np.linspace(0.5, 1.5, w.size).reshape(w.shape).astype(np.float32)
               for w in layer.get_weights()]
    layer.set_weights(weights)
    out = layer(X).numpy()
    gamma = weights[0]
    beta = weights[1] if len(weights) > 1 else None
    np.testing.assert_allclose(out, _group_ref(X, layer.groups, axis, gamma, beta), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(out[1, 2, :2], TF_GROUP[key], atol=2e-5)


def test_group_normalization_weights_errors_grads_and_config():
    tf.keras.backend.clear_session()
    layer = layers.GroupNormalization(groups=2)
    layer(X)
    assert [w.name for w in layer.weights] == ["group_normalization/gamma:0",
                                               "group_normalization/beta:0"]
    with pytest.raises(ValueError, match="must be a multiple"):
        layers.GroupNormalization(groups=4)(X)
    with pytest.raises(ValueError, match="cannot be more than"):
        layers.GroupNormalization(groups=8)(X)
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    check_layer_grads(layers.GroupNormalization(groups=2, gamma_initializer="random_normal",
                                                beta_initializer="random_normal",
                                                dtype="float64"),
                      rng.normal(size=(2, 3, 4)), rtol=1e-4, atol=1e-5)
    check_layer_compiled(layers.GroupNormalization(groups=3), X)
    check_config_round_trip(layers.GroupNormalization(groups=3, epsilon=1e-5, center=False), X)
    config = layers.GroupNormalization(groups=3).get_config()
    assert {k: config[k] for k in ("groups", "axis", "epsilon", "center", "scale")} == {
        "groups": 3, "axis": -1, "epsilon": 0.001, "center": True, "scale": True}
    assert config["gamma_initializer"]["class_name"] == "Ones"


def test_group_normalization_in_a_functional_model_with_unknown_batch():
    inp = tf.keras.Input((5, 4))
    model = tf.keras.Model(inp, layers.GroupNormalization(groups=2)(inp))
    out = model(rng.normal(size=(3, 5, 4)).astype(np.float32)).numpy()
    assert out.shape == (3, 5, 4)


def test_unit_normalization_matches_numpy_and_tf():
    out = layers.UnitNormalization(axis=[1, 2])(X).numpy()
    want = X / np.sqrt((X.astype(np.float64) ** 2).sum(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0, 1, :2], TF_UNIT_AXES_12, atol=2e-5)
    np.testing.assert_array_equal(layers.UnitNormalization()(np.zeros((1, 3), np.float32)),
                                  np.zeros((1, 3)))
    check_layer_grads(layers.UnitNormalization(dtype="float64"), rng.normal(size=(3, 4)))
    check_config_round_trip(layers.UnitNormalization(axis=[1, 2]), X)
    with pytest.raises(TypeError, match="axis"):
        layers.UnitNormalization(axis="last")


def test_gaussian_dropout_is_multiplicative_unit_mean_noise_only_when_training():
    layer = layers.GaussianDropout(0.3, seed=5)
    x = np.full((200, 100), 2.0, np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    noisy = layer(x, training=True).numpy() / 2.0
    assert abs(noisy.mean() - 1.0) < 0.01
    assert abs(noisy.std() - np.sqrt(0.3 / 0.7)) < 0.01
    assert layer.get_config()["rate"] == 0.3 and layer.get_config()["seed"] == 5
    with pytest.raises(ValueError, match="rate"):
        layers.GaussianDropout(1.5)
    # compiled with a boolean training tensor: the noise only where training is True
    fn = tf.function(lambda v, t: layer(v, training=t))
    np.testing.assert_array_equal(fn(tf.constant(x[:2]), tf.constant(False)).numpy(), x[:2])


def test_alpha_dropout_keeps_selu_statistics_and_uses_keras_affine_map():
    rate = 0.2
    layer = layers.AlphaDropout(rate, seed=3)
    x = tf.keras.activations.selu(tf.random.normal((400, 250), seed=1)).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), x)
    out = layer(x, training=True).numpy()
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-5)
    assert abs(out.mean() - x.mean()) < 0.02 and abs(out.std() - x.std()) < 0.02
    shared = layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=2)(np.ones((6, 5), np.float32),
                                                                     training=True).numpy()
    assert all(len(set(np.round(row, 5))) == 1 for row in shared)
    config = layers.AlphaDropout(0.1, noise_shape=(None, 1)).get_config()
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.1, (None, 1), None)
