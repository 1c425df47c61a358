"""Signatures whose function takes a dict of features (one nested argument): predict_fn and the
model server name the inputs by the dict's keys, as TF does, and run them."""
import numpy as np

import autograph_jit as tf
from autograph_jit.batch import predict_fn
from autograph_jit.serving.servable import Servable


class Features(tf.Module):
    @tf.function(input_signature=[{"a": tf.TensorSpec([None, 2], tf.float32),
                                   "b": tf.TensorSpec([None], tf.float32)}])
    def __call__(self, feats):
        return {"s": tf.reduce_sum(feats["a"], axis=1) * feats["b"]}


def test_dict_input_signature_is_served_and_predicted_by_key(tmp_path):
    path = str(tmp_path / "1")
    tf.saved_model.save(Features(), path)
    a = np.arange(10, dtype=np.float32).reshape(5, 2)
    b = np.array([1, 2, 3, 4, 5], np.float32)
    expected = a.sum(1) * b
    predictor = predict_fn(path, batch_size=4)
    assert predictor.input_names == ["a", "b"]
    np.testing.assert_allclose(predictor({"b": b, "a": a}), expected)
    servable = Servable("m", 1, path)
    np.testing.assert_allclose(servable.run("", {"a": a, "b": b})["s"], expected)
    inputs = servable.metadata()["metadata"]["signature_def"]["signature_def"][
        "serving_default"]["inputs"]
    assert sorted(inputs) == ["a", "b"]
