"""`tf.saved_model.save(obj, path)` without `signatures` creates `serving_default` as TF does:
from a tf.function `__call__` (input_signature or one trace), from the object's only exportable
function, from a Keras model's call; none when the choice is ambiguous. Keras models serve."""
import numpy as np

import autograph_jit as tf

from .conftest import Client, save_version


def _sig(path):
    return tf.saved_model.load(str(path)).signatures


def test_call_with_input_signature_becomes_serving_default(tmp_path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return x * 2.0

    tf.saved_model.save(M(), str(tmp_path))
    sigs = _sig(tmp_path)
    assert list(sigs) == ["serving_default"]
    out = sigs["serving_default"](x=tf.constant([[1.0, 2.0]]))
    np.testing.assert_array_equal(out["output_0"].numpy(), [[2.0, 4.0]])


def test_call_traced_once_without_input_signature_becomes_serving_default(tmp_path):
    class M(tf.Module):
        @tf.function
        def __call__(self, x):
            return x + 1.0

    m = M()
    m(tf.constant([1.0, 2.0]))
    tf.saved_model.save(m, str(tmp_path))
    out = _sig(tmp_path)["serving_default"](x=tf.constant([5.0, 6.0]))
    np.testing.assert_array_equal(out["output_0"].numpy(), [6.0, 7.0])


def test_the_only_function_with_an_input_signature_becomes_serving_default(tmp_path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def square(self, n):
            return {"sq": n * n}

    tf.saved_model.save(M(), str(tmp_path))
    assert _sig(tmp_path)["serving_default"](n=tf.constant(7))["sq"].numpy() == 49


def test_two_exportable_functions_and_no_call_give_no_signature(tmp_path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def f(self, n):
            return n

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
        def g(self, n):
            return n + 1

    tf.saved_model.save(M(), str(tmp_path))
    assert _sig(tmp_path) == {}


def test_explicit_signatures_win_over_the_default(tmp_path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def __call__(self, x):
            return x

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def neg(self, x):
            return -x

    m = M()
    tf.saved_model.save(m, str(tmp_path), signatures={"neg": m.neg})
    assert list(_sig(tmp_path)) == ["neg"]


def _keras_model():
    model = tf.keras.Sequential([tf.keras.Input((4,)),
                                 tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    model.fit(x, np.zeros((32, 3), np.float32), epochs=1, verbose=0)
    return model, x


def test_keras_model_saves_serving_default_with_a_free_batch_dimension(tmp_path):
    model, x = _keras_model()
    tf.saved_model.save(model, str(tmp_path))
    sig = _sig(tmp_path)["serving_default"]
    (spec,), _ = sig.structured_input_signature
    assert spec.shape.as_list() == [None, 4]
    np.testing.assert_allclose(sig(inputs=tf.constant(x[:5]))["output_0"].numpy(),
                               model.predict(x[:5], verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_model_trained_in_process_is_served_over_rest(tmp_path):
    from autograph_jit.serving import ModelServer
    model, x = _keras_model()
    base = tmp_path / "keras"
    base.mkdir()
    save_version(str(base), 1, model)
    with ModelServer("keras", str(base), port=0, poll_seconds=0) as server:
        c = Client(server.port)
        try:
            code, doc = c.post("/v1/models/keras:predict", {"instances": x[:3].tolist()})
            meta = c.get("/v1/models/keras/metadata")[1]
        finally:
            c.close()
    assert code == 200
    np.testing.assert_allclose(doc["predictions"], model.predict(x[:3], verbose=0),
                               rtol=1e-5, atol=1e-6)
    inputs = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]
    assert list(inputs) == ["inputs"]
