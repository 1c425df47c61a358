"""MultiHeadAttention(use_gate=True) weight files in Keras 3's layout: the gate under the
private attribute Keras saves it by (`layers/multi_head_attention/_gate_dense/vars/*`).
tests/keras/fixtures/attention_gated.* were written by real Keras 3.15 (TF 2.21) with
make_gated_attention_fixture.py; they load here, and the files we write have their datasets
exactly (real Keras 3 loads ours: checked with that script's `--check-ours`)."""
import io
import os
import zipfile

import numpy as np
import pytest

import autograph_jit as tf

h5py = pytest.importorskip("h5py")
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
DATA = np.load(os.path.join(FIXTURES, "attention_gated.npz"))


def _datasets(f):
    out = {}
    f.visititems(lambda path, obj: out.__setitem__(path, obj.shape)
                 if hasattr(obj, "shape") else None)
    return out


def _model():
    inp = tf.keras.Input((5, 8))
    out = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, use_gate=True)(inp, inp)
    return tf.keras.Model(inp, out)


def test_keras3_gated_attention_weights_file_loads():
    model = _model()
    model.load_weights(os.path.join(FIXTURES, "attention_gated.weights.h5"))
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], rtol=1e-5,
                               atol=1e-6)


def test_keras3_gated_attention_keras_file_loads_and_saves_back_in_its_layout(tmp_path):
    model = tf.keras.models.load_model(os.path.join(FIXTURES, "attention_gated.keras"))
    np.testing.assert_allclose(model.predict(DATA["x"], verbose=0), DATA["y"], rtol=1e-5,
                               atol=1e-6)
    ours = tmp_path / "ours.keras"
    model.save(ours)
    with zipfile.ZipFile(ours) as zo, zipfile.ZipFile(
            os.path.join(FIXTURES, "attention_gated.keras")) as zk:
        with h5py.File(io.BytesIO(zo.read("model.weights.h5")), "r") as o, \
                h5py.File(io.BytesIO(zk.read("model.weights.h5")), "r") as k:
            assert _datasets(o) == _datasets(k)
    again = tf.keras.models.load_model(ours)
    np.testing.assert_allclose(again.predict(DATA["x"], verbose=0), DATA["y"], rtol=1e-5,
                               atol=1e-6)


def test_our_gated_weights_file_has_keras3_datasets(tmp_path):
    model = _model()
    path = str(tmp_path / "ours.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as o, \
            h5py.File(os.path.join(FIXTURES, "attention_gated.weights.h5"), "r") as k:
        assert _datasets(o) == _datasets(k)
        assert "layers/multi_head_attention/_gate_dense/vars/0" in _datasets(o)
    mha = model.layers[1]
    assert mha.gate_dense is mha._gate_dense
    assert [w.path for w in mha.weights][4:6] == [f"{mha.name}/gate/kernel",
                                                  f"{mha.name}/gate/bias"]


def test_ungated_weights_file_has_keras3_datasets(tmp_path):
    inp = tf.keras.Input((5, 8))
    model = tf.keras.Model(inp, tf.keras.layers.MultiHeadAttention(2, 4)(inp, inp))
    path = str(tmp_path / "plain.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as o:        # as Keras 3.15 writes it (recorded)
        assert _datasets(o) == {
            "layers/multi_head_attention/key_dense/vars/0": (8, 2, 4),
            "layers/multi_head_attention/key_dense/vars/1": (2, 4),
            "layers/multi_head_attention/output_dense/vars/0": (2, 4, 8),
            "layers/multi_head_attention/output_dense/vars/1": (8,),
            "layers/multi_head_attention/query_dense/vars/0": (8, 2, 4),
            "layers/multi_head_attention/query_dense/vars/1": (2, 4),
            "layers/multi_head_attention/value_dense/vars/0": (8, 2, 4),
            "layers/multi_head_attention/value_dense/vars/1": (2, 4)}
