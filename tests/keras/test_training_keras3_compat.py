"""Keras 3 behaviours of fit/evaluate/predict, losses, metrics and callbacks that a review found
diverging (each checked against TF 2.21 + Keras 3.15): epochs with `steps_per_epoch`, Dropout
masks equal eagerly and compiled, `ignore_class`, data types, overridden steps, callback logs,
metric names, PyDataset-like inputs, and the order of callback messages."""
import io
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import autograph_jit as tf

K = tf.keras
X64 = np.arange(64, dtype="float32").reshape(64, 1)
Y64 = np.zeros((64, 1), "float32")


class _FirstRows(K.Model):
    """Records the first x value of every batch its train_step sees."""

    def __init__(self):
        super().__init__()
        self.dense = K.layers.Dense(1)
        self.seen = []

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.seen.append(int(np.asarray(data[0])[0, 0]))
        return {"n": tf.reduce_sum(data[0])}


class _Hooks(K.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append("|")

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(f"b{batch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(f"e{batch}")


def _fit_rows(data, steps_per_execution=1, **kwargs):
    model = _FirstRows()
    model.compile("sgd", "mse", run_eagerly=True, steps_per_execution=steps_per_execution)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(*data, epochs=3, verbose=0, **kwargs)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)
    return model.seen, ran_out


# -- 1. steps_per_epoch continues the data (Keras 3's EpochIterator) ---------------------------
def test_steps_per_epoch_with_arrays_continues_through_the_data_across_epochs():
    seen, ran_out = _fit_rows((X64, Y64), batch_size=16, steps_per_epoch=2, shuffle=False)
    assert seen == [0, 16, 32, 48, 0, 16] and ran_out == 0


def test_steps_per_epoch_not_dividing_the_data_cuts_an_epoch_short_with_a_warning():
    seen, ran_out = _fit_rows((X64, Y64), batch_size=16, steps_per_epoch=3, shuffle=False)
    assert seen == [0, 16, 32, 48, 0, 16, 32] and ran_out == 1


def test_finite_dataset_with_steps_per_epoch_restarts_instead_of_running_out():
    ds = tf.data.Dataset.from_tensor_slices((X64, Y64)).batch(16)
    seen, ran_out = _fit_rows((ds,), steps_per_epoch=2)
    assert seen == [0, 16, 32, 48, 0, 16] and ran_out == 0


def test_steps_per_epoch_beyond_the_data_warns_every_epoch():
    seen, ran_out = _fit_rows((X64, Y64), batch_size=16, steps_per_epoch=6, shuffle=False)
    assert seen == [0, 16, 32, 48] * 3 and ran_out == 3


def test_steps_per_epoch_without_batch_size_covers_the_data_once():
    seen, _ = _fit_rows((X64, Y64), steps_per_epoch=3, shuffle=False)
    assert seen == [0, 22, 44] * 3


# -- 15. batch hooks once per execution -------------------------------------------------------
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_batch_hooks_fire_once_per_execution_of_steps_per_execution_steps(run_eagerly):
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    model = K.Sequential([K.Input((4,)), K.layers.Dense(1)])
    model.compile("sgd", "mse", steps_per_execution=2, run_eagerly=run_eagerly)
    ends = []
    cb = K.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(batch))
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    assert ends == [1, 3, 5, 7]


def test_unknown_size_dataset_hooks_and_warning_match_keras():
    ds = tf.data.Dataset.from_tensor_slices((X64, Y64)).filter(lambda a, b: True).batch(16)
    model = _FirstRows()
    model.compile("sgd", "mse", run_eagerly=True)
    hooks = _Hooks()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(ds, epochs=2, verbose=0, callbacks=[hooks])
    epoch = ["|", "b0", "e0", "b1", "e1", "b2", "e2", "b3", "e3", "b4"]
    assert hooks.events == epoch * 2
    assert sum("ran out of data" in str(w.message) for w in caught) == 2


# -- 2. Dropout: the same masks eagerly and compiled --------------------------------------------
def _dropout_losses(run_eagerly, steps_per_execution=1, batch_size=64, epochs=2):
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = x.sum(1, keepdims=True)
    K.utils.set_random_seed(42)
    model = K.Sequential([K.Input((4,)), K.layers.Dropout(0.5),
                          K.layers.Dense(1, kernel_initializer="ones")])
    model.compile("sgd", "mse", run_eagerly=run_eagerly,
                  steps_per_execution=steps_per_execution)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=False)
    return history.history["loss"], model.get_weights()


@pytest.mark.parametrize("steps_per_execution,batch_size", [(1, 64), (1, 16), (2, 16),
                                                             (3, 24)])
def test_dropout_training_is_identical_eagerly_and_compiled(steps_per_execution, batch_size):
    compiled, w_compiled = _dropout_losses(False, steps_per_execution, batch_size, epochs=3)
    eager, w_eager = _dropout_losses(True, steps_per_execution, batch_size, epochs=3)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    for a, b in zip(w_compiled, w_eager):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dropout_draws_a_new_mask_every_step():
    K.utils.set_random_seed(3)
    layer = K.layers.Dropout(0.5)
    a = layer(tf.ones([1, 64]), training=True).numpy()
    b = layer(tf.ones([1, 64]), training=True).numpy()
    assert not np.array_equal(a, b)


# -- 3. ignore_class averages over the labels kept ----------------------------------------------
def test_sparse_ce_ignore_class_averages_over_the_labels_not_ignored():
    logits = np.random.RandomState(0).randn(4, 3).astype("float32")
    labels = np.array([0, 2, 1, 1])
    per = K.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True,
                                                   ignore_class=1).numpy()
    loss = K.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    assert float(loss(labels, logits)) == pytest.approx(per.sum() / 2, rel=1e-5)
    summed = K.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1,
                                                    reduction="sum")
    assert float(summed(labels, logits)) == pytest.approx(per.sum(), rel=1e-5)
    sw = np.array([1.0, 0.5, 0.0, 2.0], "float32")
    assert float(loss(labels, logits, sample_weight=sw)) == pytest.approx(
        (per * sw).sum() / 2, rel=1e-5)


def test_sparse_ce_metric_ignore_class_masks_weighted_updates_only():
    logits = np.random.RandomState(0).randn(4, 3).astype("float32")
    labels = np.array([0, 2, 1, 1])
    per = K.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).numpy()
    m = K.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    m.update_state(labels, logits)
    assert float(m.result()) == pytest.approx(per[:2].sum() / 4, rel=1e-5)   # Keras: 1.07571
    m = K.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    m.update_state(labels, logits, sample_weight=[1.0, 0.5, 0.0, 2.0])
    assert float(m.result()) == pytest.approx((per[0] + 0.5 * per[1]) / 1.5, rel=1e-5)


# -- 7. cross-entropies refuse mismatched shapes -------------------------------------------------
@pytest.mark.parametrize("loss", ["BinaryCrossentropy", "BinaryFocalCrossentropy",
                                  "CategoricalCrossentropy"])
def test_cross_entropies_refuse_labels_of_another_shape(loss):
    with pytest.raises(ValueError, match="must have the same shape"):
        getattr(K.losses, loss)()(np.ones((2, 2), "float32"), np.full((2, 1), 0.5, "float32"))


def test_binary_crossentropy_still_fixes_a_missing_last_axis():
    value = K.losses.BinaryCrossentropy()(np.ones((2,), "float32"),
                                          np.full((2, 1), 0.5, "float32"))
    assert float(value) == pytest.approx(0.693147, rel=1e-4)


# -- 4. plain Python lists are not data -----------------------------------------------------------
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_nested_python_lists_are_an_unrecognized_data_type(call):
    model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    model.compile("sgd", "mse")
    args = ([[1.0, 2.0], [3.0, 4.0]],) if call == "predict" else \
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="Unrecognized data type: x="):
        getattr(model, call)(*args, verbose=0)


# -- 5. evaluate uses an overridden compute_loss -------------------------------------------------
def test_evaluate_reports_an_overridden_compute_loss_without_a_compiled_loss():
    class M(K.Model):
        def __init__(self):
            super().__init__()
            self.dense = K.layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return tf.reduce_mean(tf.abs(y - y_pred)) * 10.0 + 1.0

    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    model = M()
    model.compile("sgd")
    assert model.evaluate(x, x.sum(1, keepdims=True), verbose=0) == pytest.approx(1.0, abs=1e-4)


# -- 6. predict_step gets x ----------------------------------------------------------------------
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_overridden_predict_step_gets_x_not_a_tuple(run_eagerly):
    kinds = []

    class M(K.Model):
        def __init__(self):
            super().__init__()
            self.dense = K.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def predict_step(self, data):
            kinds.append(isinstance(data, tuple))
            return self(data)

    model = M()
    model.compile("sgd", "mse", run_eagerly=run_eagerly)
    x = np.ones((8, 3), "float32")
    assert model.predict(x, batch_size=4, verbose=0).shape == (8, 1)
    model.predict(tf.data.Dataset.from_tensor_slices(x).batch(4), verbose=0)
    assert kinds and not any(kinds)


# -- 8. callback logs are dicts; predict outputs NumPy ---------------------------------------
def test_every_callback_hook_gets_a_dict_and_predict_outputs_are_numpy():
    got = {}

    class Rec(K.callbacks.Callback):
        pass

    def recorder(name):
        def hook(self, *args):
            got.setdefault(name, []).append(args[-1])
        return hook
    for name in ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin",
                 "on_test_batch_begin", "on_predict_begin", "on_predict_end",
                 "on_predict_batch_begin", "on_predict_batch_end", "on_train_end"]:
        setattr(Rec, name, recorder(name))
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    model = K.Sequential([K.Input((4,)), K.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[Rec()], validation_split=0.25)
    model.predict(x, verbose=0, callbacks=[Rec()])
    assert all(isinstance(logs, dict) for calls in got.values() for logs in calls)
    assert isinstance(got["on_predict_batch_end"][0]["outputs"], np.ndarray)


# -- 9/10. metric names and metrics.get ----------------------------------------------------------
def _history_keys(metrics, weighted=None, outputs=1):
    x = np.random.RandomState(0).rand(32, 4).astype("float32")
    y = (x.sum(1, keepdims=True) > 2).astype("float32")
    inp = K.Input((4,))
    outs = [K.layers.Dense(1, activation="sigmoid", name=f"o{k}")(inp) for k in range(outputs)]
    model = K.Model(inp, outs if outputs > 1 else outs[0])
    model.compile("sgd", "binary_crossentropy", metrics=metrics, weighted_metrics=weighted)
    history = model.fit(x, [y] * outputs if outputs > 1 else y, epochs=1, verbose=0,
                        sample_weight=np.ones(32))
    return sorted(history.history)


def test_metric_names_keep_the_identifier_as_written():
    assert _history_keys(["AUC", "Precision", "RootMeanSquaredError", "MeanAbsoluteError",
                          "BinaryAccuracy", "mae", "MSE", "acc"]) == [
        "AUC", "BinaryAccuracy", "MSE", "MeanAbsoluteError", "Precision",
        "RootMeanSquaredError", "acc", "loss", "mae"]


def test_metric_functions_are_named_in_snake_case_and_lambdas_lambda():
    def camelMetric(a, b):  # noqa: N802 (the name under test)
        return tf.reduce_mean(b)
    assert _history_keys([lambda a, b: tf.reduce_mean(b), camelMetric]) == [
        "camel_metric", "lambda", "loss"]


def test_repeated_and_weighted_metric_names_are_made_unique_as_keras():
    assert _history_keys(["mae", "mae", "mae"]) == ["loss", "mae", "mae_1", "mae_2"]
    assert _history_keys(["mae"], ["mae", "mse"]) == ["loss", "mae", "mse", "weighted_mae"]


def test_a_metrics_list_of_one_entry_per_output_applies_each_to_its_output():
    assert _history_keys(["mae", "AUC"], outputs=2) == [
        "loss", "o0_loss", "o0_mae", "o1_AUC", "o1_loss"]


def test_log_cosh_error_is_a_metric_name_and_logcosh_is_not():
    assert "log_cosh_error" in _history_keys(["log_cosh_error"])
    for name in ("logcosh", "log_cosh"):
        with pytest.raises(ValueError):
            K.metrics.get(name)


def test_metrics_get_returns_metric_instances_for_names():
    assert type(K.metrics.get("accuracy")).__name__ == "Accuracy"
    mae = K.metrics.get("mae")
    assert type(mae).__name__ == "MeanAbsoluteError" and mae.name == "mean_absolute_error"
    assert type(K.metrics.get("binary_crossentropy")).__name__ == "BinaryCrossentropy"
    assert type(K.metrics.get(K.metrics.AUC)).__name__ == "AUC"


# -- 12. metrics functions and from_sorted_ids ------------------------------------------------
def test_sparse_top_k_accuracy_from_sorted_ids():
    m = K.metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    m.update_state([2, 1], [[1, 0, 3], [1, 2, 3]])
    assert float(m.result()) == 0.5
    assert m.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in K.metrics.SparseTopKCategoricalAccuracy().get_config()


def test_binary_accuracy_function_keeps_the_label_shape():
    y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    p = np.array([[0.9, 0.7], [0.2, 0.1]], "float32")
    assert K.metrics.binary_accuracy(y, p).numpy().tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert K.metrics.binary_accuracy(y[:, :1], p[:, :1]).shape == (2, 1)


# -- 13. compile before use ----------------------------------------------------------------
@pytest.mark.parametrize("call", ["fit", "evaluate", "train_on_batch"])
def test_uncompiled_model_raises_an_error_both_runtime_and_value(call):
    model = K.Sequential([K.Input((1,)), K.layers.Dense(1)])
    kwargs = {} if call == "train_on_batch" else {"verbose": 0}
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model"):
        getattr(model, call)(X64, Y64, **kwargs)
    with pytest.raises(RuntimeError):
        getattr(model, call)(X64, Y64, **kwargs)


# -- 14. a dict loss naming some outputs ----------------------------------------------------
def _two_outputs(as_dict):
    inp = K.Input((4,))
    reg = K.layers.Dense(1, name="reg")(inp)
    cls = K.layers.Dense(1, name="cls")(inp)
    return K.Model(inp, {"reg": reg, "cls": cls} if as_dict else [reg, cls])


def test_dict_loss_for_one_of_two_dict_outputs_logs_the_total_loss_only():
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    y = x[:, :1]
    model = _two_outputs(as_dict=True)
    model.compile("sgd", loss={"reg": "mse"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(x, {"reg": y, "cls": y}, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss"]


def test_dict_loss_missing_an_output_of_a_list_model_is_refused():
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    model = _two_outputs(as_dict=False)
    model.compile("sgd", loss={"reg": "mse"})
    with pytest.raises(ValueError, match=r"Expected keys \['reg', 'cls'\] in loss dict"):
        model.fit(x, [x[:, :1], x[:, :1]], epochs=1, verbose=0)


# -- 11. PyDataset protocol by duck typing -----------------------------------------------------
class _Batches:
    """Follows Keras 3's PyDataset protocol without subclassing anything."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0
        self.workers, self.use_multiprocessing = 1, False

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_evaluate_predict_accept_a_pydataset_like_object():
    x = np.random.RandomState(0).rand(40, 3).astype("float32")
    y = x.sum(1, keepdims=True)
    data = _Batches(x, y, 16)
    model = K.Sequential([K.Input((3,)), K.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(data, epochs=3, verbose=0)
    # (as Keras 3: on_epoch_end once before training, then after every epoch)
    assert len(history.history["loss"]) == 3 and data.epochs_ended == 4
    assert model.history.params["steps"] == 3
    assert np.isfinite(model.evaluate(data, verbose=0))
    assert model.predict(_Batches(x, y, 16), verbose=0).shape == (40, 1)


def test_pydataset_like_object_batches_are_shuffled_only_when_asked():
    x = np.arange(48, dtype="float32").reshape(48, 1)
    model = _FirstRows()
    model.compile("sgd", "mse", run_eagerly=True)
    model.fit(_Batches(x, x, 16), epochs=1, verbose=0, shuffle=False)
    assert model.seen == [0, 16, 32]
    K.utils.set_random_seed(1)
    model.seen.clear()
    model.fit(_Batches(x, x, 16), epochs=4, verbose=0, shuffle=True)
    assert sorted(model.seen) == sorted([0, 16, 32] * 4) and model.seen != [0, 16, 32] * 4


# -- 15. message order ------------------------------------------------------------------------
def _printed(callback, epochs=2, lr=5.0):
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = (x.sum(1) > 2).astype("int32")
    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="softmax",
                                                        kernel_initializer="ones")])
    model.compile(K.optimizers.SGD(lr), "sparse_categorical_crossentropy")
    out = io.StringIO()
    with redirect_stdout(out):
        model.fit(x, y, epochs=epochs, verbose=2, shuffle=False, callbacks=[callback])
    return out.getvalue()


def test_early_stopping_says_it_stopped_before_restoring_the_best_weights():
    stop = K.callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1,
                                     restore_best_weights=True, min_delta=10.0)
    text = _printed(stop, epochs=10)
    assert text.index("early stopping") < text.index("Restoring model weights")


def test_learning_rate_scheduler_message_comes_before_the_epoch_line():
    sched = K.callbacks.LearningRateScheduler(lambda epoch: 0.01, verbose=1)
    text = _printed(sched, lr=0.1)
    assert text.index("LearningRateScheduler setting") < text.index("Epoch 1/2")
