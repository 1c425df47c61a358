"""Normalization, Discretization, CategoryEncoding and Hashing: NumPy references, the numbers
TF 2.21 / Keras 3 gives (recorded below, made once with real TF), adapt from arrays and
Datasets, gradients, compiled against eager, config round trips, `Dataset.map` and a compiled
`fit` (Hashing runs its hash on the host: `explain()` lists it)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers
from autograph_jit.ops.hash_ops import siphash24

from .zoo_checks import check_compiled, check_config_round_trip, check_grad

X = np.array([[1., 2., 3.], [4., 6., 9.], [7., 5., 0.]], np.float32)


# -- Normalization -----------------------------------------------------------------------------

def test_normalization_adapt_matches_numpy_and_tf():
    layer = layers.Normalization()
    layer.adapt(X)
    want = (X - X.mean(0)) / X.std(0)
    np.testing.assert_allclose(layer(X).numpy(), want, rtol=1e-5)
    tf_keras = [[-1.224745, -1.372813, -0.267261], [0.0, 0.980581, 1.336306],
                [1.224745, 0.392232, -1.069045]]          # TF 2.21 / Keras 3
    np.testing.assert_allclose(layer(X).numpy(), tf_keras, atol=1e-5)
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [
        "mean", "variance", "count"]
    assert int(layer.count.numpy()) == 3 and not layer.trainable_weights


def test_normalization_adapt_from_a_dataset_of_batches_axis_none():
    layer = layers.Normalization(axis=None)
    layer.adapt(tf.data.Dataset.from_tensor_slices(X).batch(2))
    np.testing.assert_allclose(layer.mean.numpy(), [[4.111111]], rtol=1e-6)   # TF: [[4.111111]]
    np.testing.assert_allclose(layer.variance.numpy(), [[7.654321]], rtol=1e-6)
    np.testing.assert_allclose(layer(X).numpy(), (X - X.mean()) / X.std(), rtol=1e-5)


def test_normalization_of_rank_1_data_as_keras():
    per_element = layers.Normalization()          # axis=-1 keeps the only axis (TF: mean [1 2 3 5])
    per_element.adapt(np.array([1., 2., 3., 5.]))
    np.testing.assert_allclose(per_element.mean.numpy(), [1., 2., 3., 5.])
    scalar = layers.Normalization(axis=None)      # the TF regression tutorial's horsepower layer
    scalar.adapt(np.array([1., 2., 3., 5.]))
    np.testing.assert_allclose(scalar(np.array([[1.], [2.]])).numpy().ravel(),
                               [-1.1832159, -0.50709254], rtol=1e-6)   # TF 2.21


def test_normalization_keeps_several_axes():
    x = np.arange(24.0).reshape(2, 3, 4) ** 1.5
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(x)
    np.testing.assert_allclose(layer(x).numpy(), np.stack([-np.ones((3, 4)), np.ones((3, 4))]),
                               atol=1e-5)   # TF gives the same ±1


def test_normalization_given_statistics_and_invert():
    layer = layers.Normalization(mean=[1., 2., 3.], variance=[1., 4., 9.], invert=True)
    np.testing.assert_allclose(layer(X).numpy(), [[2., 6., 12.], [5., 14., 30.], [8., 12., 3.]])
    forward = layers.Normalization(mean=[1., 2., 3.], variance=[1., 4., 9.])
    np.testing.assert_allclose(layer(forward(X)).numpy(), X, rtol=1e-6)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="range"):
        layers.Normalization(axis=3)(X)
    with pytest.raises(ValueError, match="dataset of features only"):
        layers.Normalization().adapt(tf.data.Dataset.from_tensor_slices((X, X)))


def test_normalization_gradient_compiled_config_and_dataset_map():
    layer = layers.Normalization(dtype="float64")
    layer.adapt(X)
    check_grad(layer, X)
    check_compiled(layer, X)
    clone = check_config_round_trip(layers.Normalization(mean=2.0, variance=4.0, axis=None), X)
    assert clone.get_config()["axis"] == () and clone.get_config()["mean"] == 2.0
    assert layers.Normalization().get_config()["axis"] == (-1,)
    got = np.concatenate([b.numpy() for b in tf.data.Dataset.from_tensor_slices(X).batch(2)
                          .map(lambda v: layer(v))])
    np.testing.assert_allclose(got, layer(X).numpy(), rtol=1e-6)


def test_normalization_in_a_compiled_fit():
    x = np.random.RandomState(0).normal(3.0, 2.0, size=(64, 4)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    norm = layers.Normalization()
    norm.adapt(x)
    model = tf.keras.Sequential([tf.keras.Input((4,)), norm, layers.Dense(1)])
    model.compile("sgd", "mse")
    before = norm.get_weights()
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for a, b in zip(before, norm.get_weights()):
        np.testing.assert_array_equal(a, b)   # statistics are not trained


# -- Discretization ----------------------------------------------------------------------------

def test_discretization_adapt_quantiles_match_tf():
    layer = layers.Discretization(num_bins=4)
    layer.adapt(np.array([0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 3., 3.]))
    np.testing.assert_allclose(layer.bin_boundaries, [2.25, 3.5, 6.75], rtol=1e-6)  # TF
    out = layer(np.array([[-1., 2.5, 3., 11.]]))
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 1, 3]])
    assert out.dtype == tf.int32


def test_discretization_matches_numpy_digitize_and_encodes():
    bounds = [0., 1., 2.]
    x = np.random.RandomState(1).uniform(-1, 3, size=(4, 5))
    got = layers.Discretization(bin_boundaries=bounds)(x).numpy()
    np.testing.assert_array_equal(got, np.digitize(x, bounds))
    one_hot = layers.Discretization(bin_boundaries=bounds, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([-1., .5, 1., 3.])).numpy(), np.eye(4))
    count = layers.Discretization(bin_boundaries=bounds, output_mode="count")
    np.testing.assert_array_equal(count(np.array([[-1., .5, 1., 1.5]])).numpy(), [[1, 1, 2, 0]])


def test_discretization_adapt_from_dataset_compiled_and_config():
    data = np.random.RandomState(2).normal(size=1000)
    layer = layers.Discretization(num_bins=5, epsilon=0.001)
    layer.adapt(tf.data.Dataset.from_tensor_slices(data).batch(100))
    counts = np.bincount(layer(data).numpy(), minlength=5)
    assert np.all(np.abs(counts - 200) <= 10)
    check_compiled(layer, data[:10])
    clone = layers.Discretization.from_config(layer.get_config())   # adapted boundaries kept
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 5
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[0.]).adapt(data)
    fixed = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")
    config = fixed.get_config()
    assert config["bin_boundaries"] == [0.0, 1.0] and config["epsilon"] == 0.01
    check_config_round_trip(fixed, data[:6].reshape(2, 3))


# -- CategoryEncoding --------------------------------------------------------------------------

def test_category_encoding_modes_match_tf():
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([3, 0, 2])).numpy(), np.eye(4)[[3, 0, 2]])
    np.testing.assert_array_equal(one_hot(np.array([[3], [1]])).numpy(), np.eye(4)[[3, 1]])
    count = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    np.testing.assert_array_equal(
        count(np.array([[0, 1, 1, 3]]), count_weights=np.array([[.5, 1., 2., 3.]])).numpy(),
        [[0.5, 3.0, 0.0, 3.0]])                                    # TF 2.21
    np.testing.assert_array_equal(count(np.array([0, 1, 1])).numpy(), [1., 2., 0., 0.])
    multi = layers.CategoryEncoding(num_tokens=4)
    np.testing.assert_array_equal(multi(np.array([[0, 1, 1], [2, 2, 3]])).numpy(),
                                  [[1, 1, 0, 0], [0, 0, 1, 1]])


def test_category_encoding_rejects_out_of_range_ids_eager_and_compiled():
    layer = layers.CategoryEncoding(num_tokens=4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_tokens=4"):
        layer(np.array([[0, 5]]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.function(lambda v: layer(v))(tf.constant([[0, 4]]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.function(lambda v: layer(v))(tf.constant([[-1, 2]]))


def test_category_encoding_compiled_config_and_dataset_map():
    layer = layers.CategoryEncoding(num_tokens=5, output_mode="count")
    ids = np.array([[0, 4, 4], [1, 2, 1]])
    check_compiled(layer, ids)
    check_config_round_trip(layer, ids)
    got = [b.numpy() for b in tf.data.Dataset.from_tensor_slices(ids).batch(2).map(layer)]
    np.testing.assert_array_equal(got[0], [[1, 0, 0, 0, 2], [0, 2, 1, 0, 0]])
    assert layer.get_config()["output_mode"] == "count"
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding()


# -- Hashing -----------------------------------------------------------------------------------

def test_hashing_matches_tf_bucket_numbers():
    pytest.importorskip("farmhash")
    words = ["a", "hello", "", "a longer string of many bytes"]
    assert layers.Hashing(10)([["hello"], ["a"]]).numpy().tolist() == [[6], [9]]    # TF 2.21
    assert layers.Hashing(7)(np.array([1, 2, -3, 400])).numpy().tolist() == [5, 5, 4, 4]
    assert layers.Hashing(7)(np.array([1.5, 2., -3.7])).numpy().tolist() == [5, 5, 4]
    assert layers.Hashing(5, mask_value="")(["a", "", "b"]).numpy().tolist() == [4, 0, 3]
    multi = layers.Hashing(5, output_mode="multi_hot")([["a", "b"], ["c", "a"]]).numpy()
    np.testing.assert_array_equal(multi, [[0, 0, 1, 0, 1], [0, 0, 1, 0, 1]])
    assert layers.Hashing(7, salt=133)(words).numpy().tolist() == [4, 0, 6, 2]     # SipHash
    assert layers.Hashing(7, salt=[1, 2])(words).numpy().tolist() == [1, 6, 5, 6]


def test_siphash_matches_the_reference_test_vector():
    # SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e -> a129ca6149be45e5
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)),
                                                                     "little"))
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_hashing_in_dataset_map_and_compiled_fit_runs_on_the_host():
    layer = layers.Hashing(num_bins=8, salt=3)
    ds = tf.data.Dataset.from_tensor_slices(np.array([[1], [2], [3], [4]])).map(layer)
    np.testing.assert_array_equal(np.stack([b.numpy() for b in ds]),
                                  layer(np.array([[1], [2], [3], [4]])).numpy())
    fn = tf.function(lambda v: layer(v))
    np.testing.assert_array_equal(fn(tf.constant([[1], [2]])).numpy(),
                                  layer(np.array([[1], [2]])).numpy())
    concrete = fn.get_concrete_function(tf.TensorSpec([None, 1], tf.int64))
    concrete(tf.constant([[5]], tf.int64))
    report = concrete.explain()
    assert "1 host callbacks" in report
    ids = np.random.RandomState(0).randint(0, 50, size=(64, 1))
    model = tf.keras.Sequential([tf.keras.Input((1,), dtype="int64"),
                                 layers.Hashing(16, salt=1, output_mode="one_hot"),
                                 layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(ids, (ids % 2).astype("float32"), batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    check_config_round_trip(layers.Hashing(5, salt=[1, 2], mask_value=0), np.array([[0, 1]]))
    assert layers.Hashing(3).get_config()["dtype"]["config"]["name"] == "int64"


def test_discretization_and_category_encoding_train_in_a_compiled_fit_and_map():
    rng = np.random.RandomState(3)
    x = rng.uniform(-2, 2, size=(64, 1)).astype(np.float32)
    y = (x > 0).astype(np.float32)
    model = tf.keras.Sequential([
        tf.keras.Input((1,)), layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.0]),
        layers.CategoryEncoding(num_tokens=4, output_mode="one_hot"), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    bucket = layers.Discretization(bin_boundaries=[0.0])
    got = [b.numpy().tolist() for b in tf.data.Dataset.from_tensor_slices(
        np.array([-1.0, 1.0, 2.0, -3.0])).batch(2).map(bucket)]
    assert got == [[0, 1], [1, 0]]
