"""Image preprocessing layers (Resizing, CenterCrop, Random*): numbers against what TF 2.21 /
Keras 3 computed (fixtures/preprocessing_image_tf.npz, made once by
fixtures/make_preprocessing_fixtures.py with fixed factors), the resize and projective-transform
computations against TF's ops and their gradients against finite differences, compiled against
eager, `training` semantics (identity at inference), seeded reproducibility, config round trips,
use in `Dataset.map` and as the first layers of a CNN trained by a compiled `fit`."""
import os
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers
from autograph_jit.keras.layers.preprocessing.image_ops import affine_transform, resize

from .fixtures.make_preprocessing_fixtures import CASES, TRANSFORMS, inputs
from .zoo_checks import check_compiled, check_config_round_trip, check_grad

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures",
                               "preprocessing_image_tf.npz"))
IMAGES, SMALL = inputs()
RANDOM_LAYERS = [
    lambda: layers.RandomFlip(seed=1), lambda: layers.RandomRotation(0.2, seed=2),
    lambda: layers.RandomZoom(0.2, seed=3), lambda: layers.RandomTranslation(0.2, 0.1, seed=4),
    lambda: layers.RandomContrast(0.3, seed=5), lambda: layers.RandomBrightness(0.2, seed=6),
]


@pytest.mark.parametrize("key", sorted(CASES))
def test_layer_matches_tf_keras(key):
    cls, args, kwargs = CASES[key]
    got = getattr(layers, cls)(*args, **kwargs)(IMAGES).numpy()
    np.testing.assert_allclose(got, FIXTURE[key], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("size", [(3, 4), (8, 11), (5, 3)])
def test_resize_matches_tf_image_resize(method, size):
    got = resize(tf.constant(SMALL), *size, method).numpy()
    np.testing.assert_allclose(got, FIXTURE[f"op_resize_{method}_{size[0]}x{size[1]}"],
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "nearest", "constant"])
def test_affine_transform_matches_tf_projective_transform(interpolation, fill_mode):
    got = affine_transform(tf.constant(SMALL), tf.constant(TRANSFORMS), interpolation,
                           fill_mode, 0.5).numpy()
    np.testing.assert_allclose(got, FIXTURE[f"op_affine_{interpolation}_{fill_mode}"],
                               rtol=1e-6, atol=1e-6)


def _np_bilinear_resize(x, h, w):
    """NumPy reference of half-pixel bilinear resizing (TF's resize_bilinear)."""
    def axis_weights(n_in, n_out):
        c = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        f = np.floor(c)
        return (np.maximum(f, 0).astype(int), np.minimum(np.ceil(c), n_in - 1).astype(int),
                c - f)
    lo, hi, t = axis_weights(x.shape[1], h)
    x = x[:, lo] + (x[:, hi] - x[:, lo]) * t[None, :, None, None]
    lo, hi, t = axis_weights(x.shape[2], w)
    return x[:, :, lo] + (x[:, :, hi] - x[:, :, lo]) * t[None, None, :, None]


def test_resize_matches_numpy_reference():
    got = resize(tf.constant(IMAGES), 4, 9).numpy()
    np.testing.assert_allclose(got, _np_bilinear_resize(IMAGES.astype(np.float64), 4, 9),
                               rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_resize_gradient_matches_finite_differences(method):
    check_grad(lambda x: resize(x, 3, 5, method), SMALL[:1, :, :4], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant"])
def test_affine_transform_gradient_matches_finite_differences(fill_mode):
    t = tf.constant(TRANSFORMS[:1].astype(np.float64))
    check_grad(lambda x: affine_transform(x, t, "bilinear", fill_mode, 0.5), SMALL[:1],
               rtol=1e-4, atol=1e-6)


def test_resize_and_affine_compiled_equal_eager():
    check_compiled(lambda x: resize(x, 4, 9), IMAGES)
    check_compiled(lambda x, t: affine_transform(x, t, "bilinear", "reflect", 0.0), SMALL,
                   TRANSFORMS)


@pytest.mark.parametrize("make", RANDOM_LAYERS + [lambda: layers.RandomCrop(3, 3, seed=7)])
def test_random_layers_are_identity_at_inference(make):
    layer = make()
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)


@pytest.mark.parametrize("make", RANDOM_LAYERS + [lambda: layers.RandomCrop(3, 3, seed=7)])
def test_random_layers_are_reproducible_with_a_seed_and_vary_between_calls(make):
    tf.random.set_seed(11)
    layer = make()
    first, second = layer(IMAGES).numpy(), layer(IMAGES).numpy()
    tf.random.set_seed(11)
    again = make()
    np.testing.assert_array_equal(again(IMAGES).numpy(), first)
    np.testing.assert_array_equal(again(IMAGES).numpy(), second)
    draws = [layer(IMAGES).numpy() for _ in range(6)]
    assert any(not np.array_equal(d, first) for d in draws)


def test_random_flip_flips_whole_images_in_both_axes():
    tf.random.set_seed(3)
    layer = layers.RandomFlip(seed=1)
    x = np.random.RandomState(0).rand(16, 3, 4, 1).astype(np.float32)
    out = layer(x).numpy()
    flipped = x[:, ::-1, ::-1]
    same = [np.array_equal(o, a) for o, a in zip(out, x)]
    both = [np.array_equal(o, f) for o, f in zip(out, flipped)]
    assert all(s or b for s, b in zip(same, both)) and any(same) and any(both)


def test_random_rotation_quarter_turn_of_an_unbatched_image_is_rot90():
    layer = layers.RandomRotation((0.25, 0.25), fill_mode="constant", interpolation="nearest")
    image = np.arange(25, dtype=np.float32).reshape(5, 5, 1)
    np.testing.assert_array_equal(layer(image).numpy()[:, :, 0], np.rot90(image[:, :, 0]))


def test_random_contrast_and_brightness_stay_in_the_value_range():
    tf.random.set_seed(2)
    x = IMAGES
    for layer in (layers.RandomContrast(0.9, seed=1), layers.RandomBrightness(0.9, seed=2)):
        out = layer(x).numpy()
        assert out.min() >= 0.0 and out.max() <= 255.0
        assert not np.array_equal(out, x)


def test_random_crop_crops_at_training_and_resizes_smaller_images():
    tf.random.set_seed(4)
    crop = layers.RandomCrop(3, 2, seed=1)
    out = crop(IMAGES).numpy()
    assert out.shape == (2, 3, 2, 3)
    windows = [IMAGES[:, i:i + 3, j:j + 2] for i in range(4) for j in range(4)]
    assert any(np.array_equal(out, w) for w in windows)
    big = layers.RandomCrop(8, 8)(IMAGES).numpy()
    assert big.shape == (2, 8, 8, 3)


@pytest.mark.parametrize("layer", [
    layers.Resizing(4, 3, interpolation="nearest", crop_to_aspect_ratio=True),
    layers.CenterCrop(4, 4), layers.RandomFlip("vertical", seed=2),
    layers.RandomRotation((-0.1, 0.2), fill_mode="wrap", seed=3, fill_value=1.0),
    layers.RandomZoom(0.3, (-0.1, 0.1), interpolation="nearest", seed=4),
    layers.RandomTranslation((0.1, 0.2), 0.3, fill_mode="constant", seed=5),
    layers.RandomContrast((0.1, 0.4), value_range=(0, 1), seed=6),
    layers.RandomBrightness((-0.2, 0.1), value_range=(0, 1), seed=7),
    layers.RandomCrop(3, 3, seed=8)], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    check_config_round_trip(layer, IMAGES, training=False)


def test_config_matches_keras_3_keys_and_defaults():
    config = layers.RandomRotation(0.1).get_config()
    assert config["factor"] == (-0.1, 0.1) and config["fill_mode"] == "reflect"
    assert config["interpolation"] == "bilinear" and config["data_format"] == "channels_last"
    assert layers.RandomContrast(0.2).get_config()["factor"] == (0, 0.2)
    assert layers.RandomBrightness(0.2).get_config()["value_range"] == [0, 255]
    assert layers.Resizing(4, 5).get_config()["crop_to_aspect_ratio"] is False
    assert layers.RandomZoom(0.1).get_config()["width_factor"] is None


def test_fixed_transforms_compiled_equal_eager():
    for layer in (layers.RandomRotation((0.1, 0.1)), layers.RandomZoom((0.2, 0.2)),
                  layers.Resizing(3, 8), layers.CenterCrop(2, 3)):
        check_compiled(lambda x: layer(x, training=True), IMAGES, rtol=1e-5, atol=1e-3)


def test_layers_in_dataset_map():
    rotate = layers.RandomRotation((0.1, 0.1))
    ds = tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(
        lambda x: layers.Resizing(4, 4)(rotate(x, training=True)))
    got = np.concatenate([b.numpy() for b in ds])
    want = layers.Resizing(4, 4)(FIXTURE["rotation"]).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)
    flip = layers.RandomFlip(seed=9)
    out = [b.numpy() for b in tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(
        lambda x: flip(x, training=True)).repeat(6)]
    assert all(o.shape == IMAGES.shape for o in out)


def test_augmentation_layers_train_in_a_compiled_cnn_fit():
    rng = np.random.RandomState(0)
    x = (rng.rand(48, 8, 8, 1) * 255).astype(np.float32)
    y = rng.randint(0, 3, 48)
    tf.random.set_seed(1)
    model = tf.keras.Sequential([
        tf.keras.Input((8, 8, 1)), layers.Rescaling(1 / 255.0), layers.RandomFlip(seed=1),
        layers.RandomRotation(0.1, seed=2), layers.RandomCrop(6, 6, seed=3),
        layers.Resizing(8, 8), layers.Conv2D(2, 3, activation="relu"), layers.Flatten(),
        layers.Dense(3)])
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # no op may fall back to the interpreter
        history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # at inference the random layers are the identity, RandomCrop included
    plain = tf.keras.Sequential([tf.keras.Input((8, 8, 1)), layers.Rescaling(1 / 255.0),
                                 layers.Resizing(8, 8)] + model.layers[-3:])
    np.testing.assert_allclose(model.predict(x[:5], verbose=0), plain.predict(x[:5], verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_a_keras_3_model_with_preprocessing_layers_loads_and_predicts_as_keras():
    here = os.path.join(os.path.dirname(__file__), "fixtures")
    model = tf.keras.models.load_model(os.path.join(here, "preprocessing.keras"))
    want = np.load(os.path.join(here, "preprocessing_model.npz"))
    assert [type(layer).__name__ for layer in model.layers][:3] == [
        "Normalization", "Rescaling", "RandomFlip"]
    np.testing.assert_allclose(model.predict(want["x"], verbose=0), want["y"], rtol=1e-5,
                               atol=1e-5)


def test_a_model_with_preprocessing_layers_saves_and_loads(tmp_path):
    x = IMAGES[:, :, :, :1] / 255.0
    norm = layers.Normalization()
    norm.adapt(x)
    model = tf.keras.Sequential([tf.keras.Input((6, 5, 1)), norm, layers.RandomFlip(seed=1),
                                 layers.RandomTranslation(0.1, 0.1), layers.Resizing(4, 4),
                                 layers.Flatten(), layers.Dense(2)])
    model.save(str(tmp_path / "m.keras"))
    loaded = tf.keras.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert loaded.layers[2].get_config() == model.layers[2].get_config()


def test_fixed_translation_brightness_and_zoom_match_numpy_references():
    shift = layers.RandomTranslation((0.5, 0.5), (-0.4, -0.4), fill_mode="constant")
    want = np.zeros_like(IMAGES)
    want[:, 3:, :3] = IMAGES[:, :3, 2:]          # down by 3 rows, left by 2 columns
    np.testing.assert_allclose(shift(IMAGES).numpy(), want, atol=1e-4)
    bright = layers.RandomBrightness((0.1, 0.1))
    np.testing.assert_allclose(bright(IMAGES).numpy(), np.clip(IMAGES + 25.5, 0, 255),
                               rtol=1e-6)
    same = layers.RandomZoom((0.0, 0.0))
    np.testing.assert_allclose(same(IMAGES).numpy(), IMAGES, rtol=1e-6)
    unchanged = layers.RandomContrast((0.0, 0.0))   # factor 1: the images themselves
    np.testing.assert_allclose(unchanged(IMAGES).numpy(), IMAGES, rtol=1e-5, atol=1e-3)


def test_more_augmentation_layers_train_in_a_compiled_fit_and_a_dataset_map():
    rng = np.random.RandomState(1)
    x = rng.rand(32, 6, 6, 1).astype(np.float32)
    y = rng.rand(32, 1).astype(np.float32)
    tf.random.set_seed(2)
    augment = [layers.RandomZoom(0.2, seed=1), layers.RandomTranslation(0.1, 0.2, seed=2),
               layers.RandomContrast(0.3, value_range=(0, 1), seed=3),
               layers.RandomBrightness(0.1, value_range=(0, 1), seed=4), layers.CenterCrop(4, 4)]
    model = tf.keras.Sequential([tf.keras.Input((6, 6, 1))] + augment +
                                [layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pipeline = tf.keras.Sequential(augment)
    out = [b.numpy() for b in tf.data.Dataset.from_tensor_slices(x).batch(8).map(
        lambda v: pipeline(v, training=True))]
    assert [o.shape for o in out] == [(8, 4, 4, 1)] * 4
    assert all(o.min() >= 0.0 and o.max() <= 1.0 for o in out)
