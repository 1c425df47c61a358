"""tf.keras.datasets loaders read Keras' standard files (made here in tmp_path, pointed to by
KERAS_HOME) and say which file to put where when one is missing."""
import gzip
import os
import pickle

import numpy as np
import pytest

import autograph_jit as tf


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    return d


def test_mnist_reads_mnist_npz(keras_home):
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.savez(keras_home / "mnist.npz", x_train=x, y_train=np.array([3, 4], np.uint8),
             x_test=x[:1], y_test=np.array([5], np.uint8))
    (xt, yt), (xs, ys) = tf.keras.datasets.mnist.load_data()
    assert xt.shape == (2, 28, 28) and xt.dtype == np.uint8 and yt.tolist() == [3, 4]
    assert xs.shape == (1, 28, 28) and ys.tolist() == [5]


def test_missing_file_error_names_file_and_folder(keras_home):
    with pytest.raises(FileNotFoundError) as e:
        tf.keras.datasets.mnist.load_data()
    msg = str(e.value)
    assert str(keras_home / "mnist.npz") in msg and "mnist.npz" in msg and "KERAS_HOME" in msg


def _idx(path, magic, shape, data):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
    with gzip.open(path, "wb") as f:
        f.write(header + data.tobytes())


def test_fashion_mnist_reads_the_gzipped_idx_files(keras_home):
    d = keras_home / "fashion-mnist"
    d.mkdir()
    imgs = np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28)
    _idx(d / "train-labels-idx1-ubyte.gz", 2049, [3], np.array([1, 2, 3], np.uint8))
    _idx(d / "train-images-idx3-ubyte.gz", 2051, [3, 28, 28], imgs)
    _idx(d / "t10k-labels-idx1-ubyte.gz", 2049, [1], np.array([9], np.uint8))
    _idx(d / "t10k-images-idx3-ubyte.gz", 2051, [1, 28, 28], imgs[:1])
    (xt, yt), (xs, ys) = tf.keras.datasets.fashion_mnist.load_data()
    assert np.array_equal(xt, imgs) and yt.tolist() == [1, 2, 3] and ys.tolist() == [9]


def test_cifar10_reads_pickled_batches_channels_last(keras_home):
    d = keras_home / "cifar-10-batches-py"
    d.mkdir()
    rng = np.random.default_rng(0)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
        batches[name] = data
        with open(d / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": [1, 7]}, f)
    (xt, yt), (xs, ys) = tf.keras.datasets.cifar10.load_data()
    assert xt.shape == (10, 32, 32, 3) and yt.shape == (10, 1) and yt.dtype == np.uint8
    first = batches["data_batch_1"][0].reshape(3, 32, 32)
    assert np.array_equal(xt[0, :, :, 0], first[0]) and np.array_equal(xt[0, :, :, 2], first[2])
    assert xs.shape == (2, 32, 32, 3) and ys[:, 0].tolist() == [1, 7]


def test_imdb_offsets_vocabulary_cut_and_seeded_shuffle(keras_home):
    x_train = np.empty(3, dtype=object)
    x_train[:] = [[1, 2], [3, 4, 5], [6]]
    x_test = np.empty(1, dtype=object)
    x_test[:] = [[7, 8]]
    np.savez(keras_home / "imdb.npz", x_train=x_train, y_train=np.array([0, 1, 0]),
             x_test=x_test, y_test=np.array([1]))
    (xt, yt), (xs, ys) = tf.keras.datasets.imdb.load_data(num_words=8)
    order = np.arange(3)
    np.random.RandomState(113).shuffle(order)
    expect = [[1] + [w + 3 if w + 3 < 8 else 2 for w in x_train[i]] for i in order]
    assert [list(x) for x in xt] == expect
    assert yt.tolist() == [[0, 1, 0][i] for i in order]
    assert list(xs[0]) == [1, 2, 2] and ys.tolist() == [1]


def test_boston_housing_shuffles_and_splits(keras_home):
    x = np.arange(50, dtype=np.float64).reshape(10, 5)
    y = np.arange(10, dtype=np.float64)
    np.savez(keras_home / "boston_housing.npz", x=x, y=y)
    (xt, yt), (xs, ys) = tf.keras.datasets.boston_housing.load_data()
    idx = np.arange(10)
    np.random.RandomState(113).shuffle(idx)
    assert xt.shape == (8, 5) and xs.shape == (2, 5)
    assert yt.tolist() == y[idx[:8]].tolist() and ys.tolist() == y[idx[8:]].tolist()


def test_absolute_path_argument_is_used_as_is(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "elsewhere"))
    p = tmp_path / "m.npz"
    z = np.zeros((1, 28, 28), np.uint8)
    np.savez(p, x_train=z, y_train=np.zeros(1), x_test=z, y_test=np.zeros(1))
    (xt, _), _ = tf.keras.datasets.mnist.load_data(path=str(p))
    assert xt.shape == (1, 28, 28)
    assert not os.path.exists(tmp_path / "elsewhere")


def test_digits_from_scikit_learn_feed_a_dataset():
    pytest.importorskip("sklearn")
    (xt, yt), (xs, ys) = tf.keras.datasets.digits.load_data()
    assert xt.shape[1:] == (8, 8) and len(xt) + len(xs) == 1797 and xt.max() <= 16
    ds = tf.data.Dataset.from_tensor_slices((xt, yt)).batch(64)
    x, y = next(iter(ds))
    assert x.shape == (64, 8, 8) and y.dtype == tf.uint8
