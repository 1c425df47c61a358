"""BatchNormalization, LayerNormalization and Embedding: NumPy references, training vs inference
semantics and moving statistics, gradients against finite differences, compiled against eager,
weight names/order, masks and config round trips."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads

rng = np.random.default_rng(5)
X = rng.normal(size=(6, 5)) * 2 + 1
X4 = rng.normal(size=(3, 4, 4, 2))


def _f32(x):
    return np.asarray(x, np.float32)


def test_batch_norm_training_uses_batch_statistics_and_updates_moving_ones():
    tf.keras.backend.clear_session()
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    out = bn(_f32(X), training=True).numpy()
    mean, var = X.mean(0), X.var(0)
    np.testing.assert_allclose(out, (X - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert [v.name for v in bn.weights] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    assert [v.name.split("/")[-1] for v in bn.non_trainable_weights] == [
        "moving_mean:0", "moving_variance:0"]


def test_batch_norm_inference_uses_moving_statistics_and_leaves_them():
    bn = layers.BatchNormalization(moving_mean_initializer="ones",
                                   moving_variance_initializer=tf.keras.initializers.Constant(4.0))
    out = bn(_f32(X)).numpy()
    np.testing.assert_allclose(out, (X - 1) / np.sqrt(4 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.ones(5))
    out = bn(_f32(X), training=False).numpy()
    np.testing.assert_allclose(out, (X - 1) / np.sqrt(4 + 1e-3), rtol=1e-5)


def test_frozen_batch_norm_runs_in_inference_mode_even_when_training():
    bn = layers.BatchNormalization()
    bn.build((None, 5))
    bn.trainable = False
    out = bn(_f32(X), training=True).numpy()
    np.testing.assert_allclose(out, X / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(5))


def test_batch_norm_on_channels_first_images_and_gradients():
    bn = layers.BatchNormalization(axis=1, gamma_initializer="random_normal",
                                   beta_initializer="random_normal", dtype="float64")
    out = bn(X4, training=True).numpy()
    g, b = bn.gamma.numpy(), bn.beta.numpy()
    mean = X4.mean((0, 2, 3), keepdims=True)
    var = X4.var((0, 2, 3), keepdims=True)
    want = (X4 - mean) / np.sqrt(var + 1e-3) * g[None, :, None, None] + b[None, :, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-8)
    check_layer_grads(layers.BatchNormalization(dtype="float64"), X, training=True)
    check_layer_grads(layers.BatchNormalization(dtype="float64"), X4, training=False)


def test_batch_norm_compiled_training_updates_the_same_moving_statistics():
    eager, compiled = layers.BatchNormalization(), layers.BatchNormalization()
    want = eager(_f32(X4), training=True).numpy()

    @tf.function
    def step(x):
        return compiled(x, training=True)
    got = step(tf.constant(_f32(X4))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(compiled.moving_variance.numpy(), eager.moving_variance.numpy(),
                               rtol=1e-6)
    step(tf.constant(_f32(X4)))
    assert not np.allclose(compiled.moving_variance.numpy(), eager.moving_variance.numpy())
    check_config_round_trip(layers.BatchNormalization(momentum=0.8, center=False), _f32(X))


def test_layer_normalization_matches_numpy():
    ln = layers.LayerNormalization(gamma_initializer="random_normal",
                                   beta_initializer="random_normal")
    out = ln(_f32(X4)).numpy()
    g, b = ln.gamma.numpy(), ln.beta.numpy()
    mean, var = X4.mean(-1, keepdims=True), X4.var(-1, keepdims=True)
    np.testing.assert_allclose(out, (X4 - mean) / np.sqrt(var + 1e-3) * g + b, rtol=1e-4,
                               atol=1e-5)
    assert [v.name.split("/")[-1] for v in ln.weights] == ["gamma:0", "beta:0"]
    ln2 = layers.LayerNormalization(axis=[1, 2, 3])
    out = ln2(_f32(X4)).numpy()
    mean, var = X4.mean((1, 2, 3), keepdims=True), X4.var((1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (X4 - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    with pytest.warns(UserWarning, match="deprecated"):  # Keras 3: scales by the variance
        rms = layers.LayerNormalization(rms_scaling=True)(_f32(X)).numpy()
    np.testing.assert_allclose(rms, X / np.sqrt(X.var(-1, keepdims=True) + 1e-3), rtol=1e-4)


def test_layer_normalization_gradients_compiled_config():
    check_layer_grads(layers.LayerNormalization(dtype="float64"), X)
    check_layer_compiled(layers.LayerNormalization(axis=[2, 3]), _f32(X4))
    check_config_round_trip(layers.LayerNormalization(epsilon=1e-5, scale=False), _f32(X))


def test_embedding_gathers_rows_and_masks_zero():
    tf.keras.backend.clear_session()
    e = layers.Embedding(10, 3, mask_zero=True)
    idx = np.array([[1, 0, 4], [9, 9, 0]])
    out = e(idx)
    np.testing.assert_array_equal(out.numpy(), e.get_weights()[0][idx])
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(out).numpy(), idx != 0)
    assert [v.name for v in e.weights] == ["embedding/embeddings:0"]
    w = e.get_weights()[0]
    assert np.abs(w).max() <= 0.05
    assert tuple(e(tf.keras.Input((7,), dtype="int32")).shape) == (None, 7, 3)


def test_embedding_gradient_accumulates_per_row_and_compiles():
    e = layers.Embedding(5, 2)
    idx = tf.constant([[1, 1, 3]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(e(idx) * tf.constant([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]))
    g = tf.convert_to_tensor(tape.gradient(y, e.embeddings)).numpy()
    want = np.zeros((5, 2))
    want[1] = [4.0, 6.0]
    want[3] = [5.0, 6.0]
    np.testing.assert_allclose(g, want)
    check_layer_compiled(e, np.array([[0, 4], [2, 2]]))
    clone = check_config_round_trip(layers.Embedding(6, 4, mask_zero=True), np.array([[1, 2]]))
    assert clone.mask_zero


def test_embedding_accepts_float_indices_and_rejects_bad_sizes():
    e = layers.Embedding(4, 2)
    np.testing.assert_array_equal(e(np.array([2.0, 3.0])).numpy(), e.get_weights()[0][[2, 3]])
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
