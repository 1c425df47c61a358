"""tf.keras.metrics: the Metric base class (add_weight state, update_state as a tf.function,
reset_state, calling) and Mean / Accuracy / SparseCategoricalAccuracy / MeanSquaredError, with
the values Keras 3 gives for the same inputs."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import metrics


def test_mean_accumulates_over_calls_with_sample_weights():
    m = metrics.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    assert m.result().numpy() == pytest.approx(4.0)
    m.update_state([2.0, 4.0], sample_weight=[1.0, 0.0])
    # (1 + 3 + 5 + 7 + 2) / 5
    assert m.result().numpy() == pytest.approx(3.6)
    m.reset_state()
    assert m.result().numpy() == 0.0  # divide_no_nan: an empty metric is 0, as in Keras


def test_calling_a_metric_updates_it_and_returns_the_result():
    m = metrics.Mean(name="loss")
    assert m(2.0).numpy() == 2.0 and m(4.0).numpy() == 3.0
    assert m.name == "loss"
    assert [v.name for v in m.variables] == ["loss/total:0", "loss/count:0"]
    assert all(not v.trainable for v in m.variables)


def test_accuracy_counts_exact_matches():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result().numpy() == pytest.approx(0.75)


def test_sparse_categorical_accuracy_compares_argmax_with_integer_labels():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    assert m.result().numpy() == pytest.approx(0.5)
    m.update_state(np.array([0, 0]), np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5]], np.float32))
    assert m.result().numpy() == pytest.approx(0.5)


def test_mean_squared_error_averages_over_the_last_axis_then_samples():
    m = metrics.MeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert m.result().numpy() == pytest.approx(0.25)


def test_subclass_with_tf_function_update_state_counts_in_variables():
    class Positives(metrics.Metric):
        def __init__(self):
            super().__init__(name="positives")
            self.count = self.add_weight(name="count", shape=(), initializer="zeros")

        @tf.function
        def update_state(self, x):
            for v in x:
                if v > 0:
                    self.count.assign_add(1.0)

        def result(self):
            return self.count.read_value()

    m = Positives()
    m.update_state(tf.constant([1.0, -2.0, 3.0]))
    m.update_state(tf.constant([4.0, 5.0, -6.0]))
    assert m.result().numpy() == 4.0
    m.reset_state()
    assert m.result().numpy() == 0.0


def test_add_weight_rejects_an_unknown_initializer():
    m = metrics.Mean()
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        m.add_weight(name="w", initializer="glorot")
