"""Core, activation, reshaping, regularization and merging layers: NumPy references, gradients
against finite differences (inputs and weights), compiled against eager, config round trips,
Keras 3 weight names, symbolic (functional) output shapes and bad-input errors."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads

rng = np.random.default_rng(3)
X2 = rng.normal(size=(3, 4))
X3 = rng.normal(size=(2, 3, 4))
X4 = rng.normal(size=(2, 3, 4, 2))


def f32(x):
    return np.asarray(x, np.float32)


# --- Dense ---------------------------------------------------------------------------------------

def test_dense_matches_numpy_and_names_weights_as_keras():
    tf.keras.backend.clear_session()
    d = layers.Dense(5, activation="relu")
    out = d(f32(X2)).numpy()
    k, b = d.get_weights()
    np.testing.assert_allclose(out, np.maximum(f32(X2) @ k + b, 0), rtol=1e-5, atol=1e-6)
    assert [v.name for v in d.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert k.shape == (4, 5) and np.all(b == 0)


def test_dense_applies_to_the_last_axis_of_rank_3_inputs():
    d = layers.Dense(2, use_bias=False)
    out = d(f32(X3)).numpy()
    np.testing.assert_allclose(out, f32(X3) @ d.get_weights()[0], rtol=1e-5)
    assert len(d.weights) == 1
    assert d(tf.keras.Input((7, 4))).shape == (None, 7, 2)


def test_dense_gradients_compiled_and_config():
    d = layers.Dense(3, activation="tanh", dtype="float64")
    check_layer_grads(d, X3)
    check_layer_compiled(layers.Dense(3, activation="gelu"), f32(X2))
    clone = check_config_round_trip(layers.Dense(3, activation="softmax",
                                                 kernel_regularizer="l2"), f32(X2))
    assert clone.get_config()["activation"] == "softmax"


def test_dense_regularizer_and_constraint_reach_the_weights():
    d = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=tf.keras.regularizers.L2(
        0.5), kernel_constraint="non_neg")
    d(f32(X2))
    assert len(d.losses) == 1 and d.losses[0].numpy() == pytest.approx(0.5 * 8)
    assert isinstance(d.kernel.constraint, tf.keras.constraints.NonNeg)


def test_dense_wrong_input_width_names_the_layer_and_shapes():
    d = layers.Dense(2)
    d(f32(X2))
    with pytest.raises(ValueError, match=d.name):
        d(np.ones((3, 7), np.float32))


def test_activation_and_lambda_layers():
    np.testing.assert_allclose(layers.Activation("relu")(f32(X2)).numpy(), np.maximum(f32(X2), 0))

    def square(x):
        return x * x
    lam = layers.Lambda(square)
    np.testing.assert_allclose(lam(f32(X2)).numpy(), f32(X2) ** 2, rtol=1e-6)
    assert lam(tf.keras.Input((4,))).shape == (None, 4)
    clone = layers.Lambda.from_config(lam.get_config(), custom_objects={"square": square})
    np.testing.assert_allclose(clone(f32(X2)).numpy(), f32(X2) ** 2, rtol=1e-6)
    assert layers.Lambda(lambda x, k: x * k, arguments={"k": 3.0})(f32(X2)).numpy()[0, 0] == \
        pytest.approx(3 * f32(X2)[0, 0])


# --- activation layers ---------------------------------------------------------------------------

@pytest.mark.parametrize("layer, ref", [
    (lambda: layers.ReLU(max_value=1.0, negative_slope=0.1),
     lambda x: np.where(x >= 0, np.minimum(x, 1.0), 0.1 * x)),
    (lambda: layers.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    (lambda: layers.LeakyReLU(negative_slope=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (lambda: layers.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    (lambda: layers.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activation_layers_match_numpy_and_round_trip(layer, ref):
    np.testing.assert_allclose(layer()(f32(X3)).numpy(), ref(f32(X3)), rtol=1e-5, atol=1e-6)
    check_layer_compiled(layer(), f32(X3))
    check_config_round_trip(layer(), f32(X3))


def test_softmax_layer_gradient_and_mask():
    check_layer_grads(layers.Softmax(dtype="float64"), X2)
    mask = np.array([[True, True, False, False]] * 3)
    out = layers.Softmax()(f32(X2), mask=tf.constant(mask)).numpy()
    assert np.all(out[:, 2:] == 0)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)


def test_prelu_learns_a_slope_per_element_with_shared_axes():
    p = layers.PReLU(alpha_initializer=tf.keras.initializers.Constant(0.25), shared_axes=[1, 2],
                     dtype="float64")
    out = p(X4).numpy()
    np.testing.assert_allclose(out, np.where(X4 > 0, X4, 0.25 * X4))
    assert p.alpha.shape == (1, 1, 2) and p.alpha.name.endswith("alpha:0")
    check_layer_grads(p, X4 + 0.05)
    check_config_round_trip(layers.PReLU(shared_axes=[1]), f32(X3))


# --- reshaping -----------------------------------------------------------------------------------

@pytest.mark.parametrize("make, ref, x", [
    (lambda: layers.Flatten(), lambda x: x.reshape(len(x), -1), X4),
    (lambda: layers.Flatten(data_format="channels_first"),
     lambda x: x.transpose(0, 2, 3, 1).reshape(len(x), -1), X4),
    (lambda: layers.Reshape((4, -1)), lambda x: x.reshape(len(x), 4, -1), X4),
    (lambda: layers.Permute((2, 1)), lambda x: x.transpose(0, 2, 1), X3),
    (lambda: layers.RepeatVector(3), lambda x: np.repeat(x[:, None], 3, axis=1), X2),
    (lambda: layers.ZeroPadding2D(((1, 0), (2, 1))),
     lambda x: np.pad(x, [(0, 0), (1, 0), (2, 1), (0, 0)]), X4),
    (lambda: layers.ZeroPadding1D(2), lambda x: np.pad(x, [(0, 0), (2, 2), (0, 0)]), X3),
    (lambda: layers.UpSampling2D((2, 3)), lambda x: x.repeat(2, 1).repeat(3, 2), X4),
    (lambda: layers.UpSampling2D(2, data_format="channels_first"),
     lambda x: x.repeat(2, 2).repeat(2, 3), X4),
    (lambda: layers.UpSampling1D(3), lambda x: x.repeat(3, 1), X3),
    (lambda: layers.Cropping2D(((1, 0), (1, 2))), lambda x: x[:, 1:, 1:-2], X4),
    (lambda: layers.Cropping1D((1, 1)), lambda x: x[:, 1:-1], X3),
])
def test_reshaping_layers_match_numpy_gradients_and_symbolic_shapes(make, ref, x):
    layer = make()
    np.testing.assert_allclose(layer(f32(x)).numpy(), ref(f32(x)))
    check_layer_compiled(make(), f32(x))
    check_config_round_trip(make(), f32(x))
    check_layer_grads(type(layer).from_config({**layer.get_config(), "dtype": "float64"}), x)
    symbolic = make()(tf.keras.Input(x.shape[1:])).shape
    assert tuple(symbolic) == (None,) + ref(x).shape[1:]


def test_reshape_with_an_impossible_target_names_the_layer():
    with pytest.raises(ValueError, match="reshape.*target_shape"):
        layers.Reshape((5, -1), name="r")(f32(X4))


def test_permute_rejects_non_permutations():
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        layers.Permute((0, 1))


# --- dropout -------------------------------------------------------------------------------------

def test_dropout_is_identity_unless_training():
    d = layers.Dropout(0.5)
    np.testing.assert_array_equal(d(f32(X2)).numpy(), f32(X2))
    np.testing.assert_array_equal(d(f32(X2), training=False).numpy(), f32(X2))


def test_dropout_when_training_is_inverted_and_seeded():
    ones = np.ones((4000,), np.float32)
    y = layers.Dropout(0.25, seed=7)(ones, training=True).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.03)
    tf.random.set_seed(5)
    a = layers.Dropout(0.5, seed=3)(ones, training=True).numpy()
    tf.random.set_seed(5)
    b = layers.Dropout(0.5, seed=3)(ones, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_inside_tf_function_follows_the_training_argument():
    d = layers.Dropout(0.5, seed=1)

    @tf.function
    def run(x, training):
        return d(x, training=training)
    x = tf.ones((1000,))
    assert (run(x, True).numpy() == 0).any()
    np.testing.assert_array_equal(run(x, False).numpy(), np.ones(1000))


def test_spatial_dropout_drops_whole_channels():
    y = layers.SpatialDropout2D(0.5, seed=2)(np.ones((2, 3, 3, 64), np.float32),
                                             training=True).numpy()
    per_channel = y.reshape(2, 9, 64)
    assert np.all(per_channel.min(1) == per_channel.max(1))
    assert 0 < (per_channel[:, 0] == 0).mean() < 1


# --- merging -------------------------------------------------------------------------------------

A_ = rng.normal(size=(3, 4))
B_ = rng.normal(size=(3, 4))
C_ = rng.normal(size=(3, 4))


@pytest.mark.parametrize("make, ref", [
    (layers.Add, lambda a, b, c: a + b + c),
    (layers.Multiply, lambda a, b, c: a * b * c),
    (layers.Average, lambda a, b, c: (a + b + c) / 3),
    (layers.Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (layers.Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
    (lambda **kw: layers.Concatenate(axis=-1, **kw), lambda a, b, c: np.concatenate([a, b, c],
                                                                                     -1)),
    (lambda **kw: layers.Concatenate(axis=0, **kw), lambda a, b, c: np.concatenate([a, b, c],
                                                                                    0)),
])
def test_merge_layers_match_numpy(make, ref):
    xs = [f32(A_), f32(B_), f32(C_)]
    np.testing.assert_allclose(make()(xs).numpy(), ref(*xs), rtol=1e-6)
    check_layer_compiled(make(), xs)
    check_config_round_trip(make(), xs)


@pytest.mark.parametrize("make", [layers.Add, layers.Multiply, layers.Average, layers.Maximum,
                                  layers.Concatenate])
def test_merge_layer_gradients_reach_every_input(make):
    layer = make(dtype="float64")
    xs = [tf.constant(A_), tf.constant(B_ + 0.01)]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = tf.reduce_sum(layer(xs) * tf.constant(C_[:, :1]))
    grads = tape.gradient(y, xs)
    eps = 1e-6
    for i in range(2):
        num = np.zeros_like(A_)
        for idx in np.ndindex(A_.shape):
            vals = [A_.copy(), B_.copy() + 0.01]
            vals[i][idx] += eps
            hi = (layer([tf.constant(v.copy()) for v in vals]).numpy() * C_[:, :1]).sum()
            vals[i][idx] -= 2 * eps
            lo = (layer([tf.constant(v.copy()) for v in vals]).numpy() * C_[:, :1]).sum()
            num[idx] = (hi - lo) / (2 * eps)
        np.testing.assert_allclose(grads[i].numpy(), num, rtol=1e-5, atol=1e-6)


def test_subtract_and_dot_layers():
    np.testing.assert_allclose(layers.Subtract()([f32(A_), f32(B_)]).numpy(),
                               f32(A_) - f32(B_), rtol=1e-6)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([f32(A_), f32(B_), f32(C_)])
    np.testing.assert_allclose(layers.Dot(axes=1)([f32(A_), f32(B_)]).numpy(),
                               (f32(A_) * f32(B_)).sum(1, keepdims=True), rtol=1e-5)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    y = rng.normal(size=(2, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(layers.Dot(axes=(2, 2))([x, y]).numpy(),
                               np.einsum("bik,bjk->bij", x, y), rtol=1e-5, atol=1e-6)
    cos = layers.Dot(axes=1, normalize=True)([f32(A_), f32(B_)]).numpy()[:, 0]
    want = (A_ * B_).sum(1) / np.linalg.norm(A_, axis=1) / np.linalg.norm(B_, axis=1)
    np.testing.assert_allclose(cos, want, rtol=1e-5)
    check_config_round_trip(layers.Dot(axes=(2, 2)), [x, y])


def test_merge_functional_forms_and_symbolic_shapes():
    a, b = tf.keras.Input((4,)), tf.keras.Input((4,))
    assert layers.add([a, b]).shape == (None, 4)
    assert layers.concatenate([a, b]).shape == (None, 8)
    assert layers.dot([a, b], axes=1).shape == (None, 1)
    assert layers.maximum([a, b]).shape == (None, 4)
    np.testing.assert_allclose(layers.average([f32(A_), f32(B_)]).numpy(),
                               (f32(A_) + f32(B_)) / 2, rtol=1e-6)


def test_merging_incompatible_shapes_names_the_layer():
    with pytest.raises(ValueError, match="incompatible shapes.*add"):
        layers.Add(name="add_bad")([f32(A_), np.ones((3, 5), np.float32)])
    with pytest.raises(ValueError, match="matching shapes"):
        layers.Concatenate(axis=1)([f32(A_), np.ones((2, 5), np.float32)])


def test_masking_marks_all_mask_value_steps_and_rnns_skip_them():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    out = layers.Masking()(x)
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(out).numpy(),
                                  [[True, False, True]])
    rnn = layers.SimpleRNN(2)
    full = rnn(layers.Masking()(x)).numpy()
    rnn_only = rnn(x[:, [0, 2]]).numpy()
    np.testing.assert_allclose(full, rnn_only, rtol=1e-5, atol=1e-6)
    check_config_round_trip(layers.Masking(mask_value=-1.0), x)


def test_rescaling_scales_and_offsets_integers_and_floats():
    out = layers.Rescaling(1.0 / 255, offset=-0.5)(np.array([[0, 255]], np.uint8)).numpy()
    np.testing.assert_allclose(out, [[-0.5, 0.5]], rtol=1e-6)
    check_layer_grads(layers.Rescaling(2.0, 1.0, dtype="float64"), X2)


def test_bilinear_upsampling_uses_half_pixel_centres():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    out = layers.UpSampling2D((2, 2), interpolation="bilinear")(x).numpy()[0, :, :, 0]

    def axis_weights(n, f):
        src = np.clip((np.arange(n * f) + 0.5) / f - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        m = np.zeros((n * f, n))
        m[np.arange(n * f), lo] += 1 - (src - lo)
        m[np.arange(n * f), hi] += src - lo
        return m
    want = axis_weights(2, 2) @ x[0, :, :, 0] @ axis_weights(3, 2).T
    np.testing.assert_allclose(out, want, rtol=1e-6)
    np.testing.assert_allclose(out[0, :2], [0.0, 0.25])
    layer = layers.UpSampling2D(2, interpolation="bilinear", dtype="float64")
    check_layer_grads(layer, X4)
    check_layer_compiled(layers.UpSampling2D(2, interpolation="bilinear"), f32(X4))


def test_gaussian_noise_only_when_training_with_the_given_stddev():
    x = np.zeros((20000,), np.float32)
    layer = layers.GaussianNoise(0.5, seed=3)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    noisy = layer(x, training=True).numpy()
    assert noisy.std() == pytest.approx(0.5, rel=0.03) and abs(noisy.mean()) < 0.02
    check_config_round_trip(layers.GaussianNoise(0.1), f32(X2))


def test_activity_regularization_adds_its_penalty_and_passes_inputs_through():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.5)
    out = layer(f32(X2))
    np.testing.assert_array_equal(out.numpy(), f32(X2))
    assert layer.losses[0].numpy() == pytest.approx(   # (Keras 3 divides by the batch size)
        (0.1 * np.abs(f32(X2)).sum() + 0.5 * (f32(X2) ** 2).sum()) / len(X2), rel=1e-5)


def test_identity_and_the_keras_2_alpha_name_of_leaky_relu():
    np.testing.assert_array_equal(layers.Identity()(f32(X2)).numpy(), f32(X2))
    assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-1.0)


def test_dense_on_inputs_with_several_unknown_dims_keeps_the_static_ones():
    assert tuple(layers.Dense(3)(tf.keras.Input((None, 4))).shape) == (None, None, 3)
    d = layers.Dense(3)
    x = f32(X3)
    run = tf.function(lambda v: d(v), input_signature=[tf.TensorSpec([None, None, 4])])
    np.testing.assert_allclose(run(x).numpy(), d(x).numpy(), rtol=1e-6)
