"""Keras 3 file interop: `.keras` / `.weights.h5` files written by real Keras 3.15 (committed
fixtures, made by tests/keras/fixtures/make_fixtures.py) load here and reproduce Keras's
predictions; the files we write have exactly Keras's HDF5 layout (group and dataset paths,
attributes, shapes, dtypes), so Keras 3 loads them (checked by hand with `make_fixtures.py
--check-ours`)."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import autograph_jit as tf

h5py = pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
NAMES = ("mlp", "cnn", "lstm", "two_input")


def _data(name):
    data = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    xs = [data[f"x{i}"] for i in range(len(data.files) - 1)]
    return (xs if len(xs) > 1 else xs[0]), data["y"]


def _layout(f):
    out = {"/": ("root", dict(f.attrs), None, None)}

    def visit(path, obj):
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in obj.attrs.items()}
        if isinstance(obj, h5py.Dataset):
            out[path] = ("dataset", attrs, obj.shape, str(obj.dtype))
        else:
            out[path] = ("group", attrs, None, None)
    f.visititems(visit)
    return out


def _keras_file_weights(path):
    with zipfile.ZipFile(path) as z:
        return h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")


@pytest.mark.parametrize("name", NAMES)
def test_load_model_of_a_keras3_file_reproduces_keras_predictions(name):
    x, expected = _data(name)
    model = tf.keras.models.load_model(os.path.join(FIXTURES, f"{name}.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(x, training=False).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_load_weights_of_a_keras3_weights_file_reproduces_keras_predictions(name):
    x, expected = _data(name)
    model = tf.keras.models.load_model(os.path.join(FIXTURES, f"{name}.keras"), compile=False)
    for v in model.weights:
        v.assign(np.zeros(v.shape.as_list(), v.dtype.np_dtype))
    assert not np.allclose(model.predict(x, verbose=0), expected)
    model.load_weights(os.path.join(FIXTURES, f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_our_weights_file_has_exactly_the_keras3_hdf5_layout(name, tmp_path):
    model = tf.keras.models.load_model(os.path.join(FIXTURES, f"{name}.keras"))
    ours = tmp_path / f"{name}.weights.h5"
    model.save_weights(ours)
    with h5py.File(os.path.join(FIXTURES, f"{name}.weights.h5"), "r") as k, \
            h5py.File(ours, "r") as o:
        assert _layout(o) == _layout(k)


@pytest.mark.parametrize("name", NAMES)
def test_our_keras_file_has_the_keras3_members_config_head_and_weights_layout(name, tmp_path):
    model = tf.keras.models.load_model(os.path.join(FIXTURES, f"{name}.keras"))
    ours = tmp_path / f"{name}.keras"
    model.save(ours)
    theirs = os.path.join(FIXTURES, f"{name}.keras")
    with zipfile.ZipFile(ours) as zo, zipfile.ZipFile(theirs) as zk:
        assert sorted(zo.namelist()) == sorted(zk.namelist())
        co, ck = json.loads(zo.read("config.json")), json.loads(zk.read("config.json"))
    assert sorted(co) == sorted(ck)
    for key in ("module", "class_name", "registered_name", "build_config"):
        assert co[key] == ck[key]
    assert [(l["class_name"], l["config"]["name"]) for l in co["config"]["layers"]] == \
        [(l["class_name"], l["config"]["name"]) for l in ck["config"]["layers"]] or \
        name == "two_input"   # functional layer order is Keras's topological order
    with _keras_file_weights(ours) as o, _keras_file_weights(theirs) as k:
        assert _layout(o) == _layout(k)
    x, expected = _data(name)
    again = tf.keras.models.load_model(ours)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_auto_names_follow_keras3_snake_case_in_names_summary_and_weight_paths(tmp_path):
    tf.keras.backend.clear_session()
    layers = tf.keras.layers
    model = tf.keras.Sequential([tf.keras.Input((8, 8, 1)), layers.Conv2D(2, 3),
                                 layers.MaxPooling2D(), layers.BatchNormalization(),
                                 layers.GlobalAveragePooling2D(), layers.Dense(2)])
    assert [l.name for l in model.layers] == ["conv2d", "max_pooling2d", "batch_normalization",
                                              "global_average_pooling2d", "dense"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "conv2d (Conv2D)" in text and "max_pooling2d (MaxPooling2D)" in text
    assert "conv2_d" not in text and "pooling2_d" not in text
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert "layers/conv2d/vars/0" in f and "layers/max_pooling2d/vars" in f
        assert f["layers/conv2d/vars"].attrs["name"] == "conv2d"


def test_adam_state_is_saved_in_keras_order_and_restored_exactly(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype(np.float32), rng.normal(size=(32, 2)).astype(np.float32)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        stored = f["optimizer/vars"]
        assert stored.attrs["name"] == "adam"
        # iteration, learning_rate, then per variable: momentum, velocity (Keras 3's order)
        assert [stored[str(i)].shape for i in range(6)] == [(), (), (3, 2), (3, 2), (2,), (2,)]
        assert int(stored["0"][()]) == 8
    clone = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    clone.compile(optimizer="adam", loss="mse")
    clone.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(model.optimizer.variables, clone.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_keras_feature_we_lack_named_in_the_file_fails_naming_it(tmp_path):
    src = os.path.join(FIXTURES, "mlp.keras")
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["quantization_config"] = {"mode": "int8"}
    members["config.json"] = json.dumps(config).encode()
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(ValueError, match="quantization_config"):
        tf.keras.models.load_model(bad)
