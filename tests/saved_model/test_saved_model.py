"""tf.saved_model: a saved module's traced functions and variables load without the user's
source and give the same results; the on-disk format is JSON + npz (no pickle); foreign or
corrupted directories are refused with clear errors."""
import json
import os
import warnings

import numpy as np
import pytest

import autograph_jit as tf


class Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
        self.b = tf.Variable([0.5, -0.5], name="b")
        self.layers = [tf.Variable(1.5, name="scale")]

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def predict(self, x):
        y = tf.nn.relu(x @ self.w + self.b) * self.layers[0]
        return tf.cond(tf.reduce_sum(y) > 1.0, lambda: y, lambda: -y)

    @tf.function
    def count_down(self, n):
        _, total = tf.while_loop(lambda i, t: i > 0, lambda i, t: (i - 1, t + tf.cast(i, tf.float32)),
                                 [n, tf.constant(0.0)])
        return {"total": total, "twice": total * 2}


def test_loaded_function_matches_the_original(tmp_path):
    m = Model()
    x = tf.constant([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    m.count_down(tf.constant(4))
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_allclose(loaded.predict(x).numpy(), m.predict(x).numpy())
    out = loaded.count_down(tf.constant(4))
    assert out["total"].numpy() == 10.0 and out["twice"].numpy() == 20.0


def test_loaded_variables_are_restored_with_names_and_are_independent(tmp_path):
    m = Model()
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded.w.name == m.w.name
    np.testing.assert_array_equal(loaded.w.numpy(), m.w.numpy())
    assert loaded.layers[0].numpy() == 1.5
    loaded.w.assign(tf.zeros([3, 2]))
    assert m.w.numpy().sum() > 0
    x = tf.constant([[1.0, 2.0, 3.0]])
    # w = 0: y = relu(b) * 1.5 = [0.75, 0], whose sum is below 1, so the cond negates it
    np.testing.assert_allclose(loaded.predict(x).numpy(), [[-0.75, 0.0]])


def test_training_step_with_optimizer_state_round_trips(tmp_path):
    class Trainer(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[0.1], [0.2]])
            self.opt = tf.keras.optimizers.Adam(0.1)

        @tf.function(input_signature=[tf.TensorSpec([None, 2]), tf.TensorSpec([None, 1])])
        def step(self, x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(x @ self.w - y))
            self.opt.apply_gradients(zip(tape.gradient(loss, [self.w]), [self.w]))
            tf.print("loss", loss)
            return loss

    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    y = tf.constant([[1.0], [2.0]])
    a = Trainer()
    a.step(x, y)
    tf.saved_model.save(a, str(tmp_path))
    b = tf.saved_model.load(str(tmp_path))
    for _ in range(3):
        np.testing.assert_allclose(b.step(x, y).numpy(), a.step(x, y).numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.w.numpy(), a.w.numpy(), rtol=1e-6)


def test_signatures_take_keyword_tensors_and_return_a_dict(tmp_path):
    m = Model()
    tf.saved_model.save(m, str(tmp_path), signatures={"serving_default": m.predict})
    loaded = tf.saved_model.load(str(tmp_path))
    out = loaded.signatures["serving_default"](x=tf.constant([[1.0, 2.0, 3.0]]))
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"].numpy(), m.predict(tf.constant([[1.0, 2.0, 3.0]])))


def test_a_call_matching_no_saved_signature_raises_naming_them(tmp_path):
    m = Model()
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    with pytest.raises(ValueError, match="Saved input signatures"):
        loaded.predict(tf.constant([1, 2, 3]))


def test_format_is_json_and_npz_without_pickle(tmp_path):
    tf.saved_model.save(Model(), str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["saved_model.json", "variables.npz"]
    meta = json.loads((tmp_path / "saved_model.json").read_text())
    assert meta["format"] == "autograph_jit.saved_model" and meta["version"] == 1
    with np.load(tmp_path / "variables.npz", allow_pickle=False) as npz:
        assert len(npz.files) == 3


def test_foreign_or_corrupted_directories_are_refused(tmp_path):
    with pytest.raises(OSError, match="does not exist"):
        tf.saved_model.load(str(tmp_path))
    (tmp_path / "saved_model.json").write_text("{not json")
    with pytest.raises(tf.errors.DataLossError, match="not a valid SavedModel"):
        tf.saved_model.load(str(tmp_path))
    (tmp_path / "saved_model.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not written by autograph_jit"):
        tf.saved_model.load(str(tmp_path))


def test_saving_something_unserializable_names_the_op_and_attribute(tmp_path):
    import io

    class Printer(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def show(self, x):
            tf.print(x, output_stream=io.StringIO())
            return x

    with pytest.raises(tf.saved_model.SaveError, match="op 'print' attribute 'stream'"):
        tf.saved_model.save(Printer(), str(tmp_path))


def test_scalar_constants_keep_rank_zero_so_the_loaded_graph_compiles_without_fallback(tmp_path):
    m = Model()
    m.count_down(tf.constant(4))  # traced, so saved
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning would fail the test
        out = loaded.count_down(tf.constant(4))
    assert out["total"].shape == () and out["total"].numpy() == 10.0


def test_a_loaded_module_with_a_call_function_is_callable_like_the_original(tmp_path):
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.k = tf.Variable(3.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.k

    m = Scale()
    tf.saved_model.save(m, str(tmp_path / "scale"))
    loaded = tf.saved_model.load(str(tmp_path / "scale"))
    assert loaded(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    tf.saved_model.save(Model(), str(tmp_path / "plain"))
    with pytest.raises(TypeError, match="not callable"):
        tf.saved_model.load(str(tmp_path / "plain"))(tf.constant([1.0]))
