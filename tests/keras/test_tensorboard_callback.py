"""keras.callbacks.TensorBoard: what Keras 3 writes (train/validation runs, epoch_* and batch_*
scalars, learning rate, weight histograms), read back with TensorBoard's own event reader."""
import numpy as np
import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from autograph_jit import keras


def _run(path):
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={
        event_accumulator.TENSORS: 0, event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]


def _fit(tmp_path, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [2.0], [-1.0]], np.float32))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[keras.callbacks.TensorBoard(str(tmp_path), **kwargs)])
    return history


def test_epoch_scalars_go_to_the_train_and_validation_runs_with_the_epoch_as_step(tmp_path):
    history = _fit(tmp_path)
    train, val = _run(tmp_path / "train"), _run(tmp_path / "validation")
    tags = set(train.Tags()["tensors"])
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= tags
    got = _scalars(train, "epoch_loss")
    assert [s for s, _ in got] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in got], history.history["loss"], rtol=1e-6)
    got_val = _scalars(val, "epoch_loss")
    np.testing.assert_allclose([v for _, v in got_val], history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in _scalars(train, "epoch_learning_rate")], 0.01)


def test_update_freq_writes_batch_scalars_every_n_batches(tmp_path):
    _fit(tmp_path, update_freq=2)
    steps = [s for s, _ in _scalars(_run(tmp_path / "train"), "batch_loss")]
    assert steps == [2, 4, 6, 8]  # 3 training batches an epoch, 3 epochs: batches 1..9


def test_histogram_freq_writes_every_weight(tmp_path):
    _fit(tmp_path, histogram_freq=1)
    tags = set(_run(tmp_path / "train").Tags()["tensors"])
    hist = sorted(t for t in tags if t.endswith("/histogram"))
    assert len(hist) == 4 and any("kernel" in t for t in hist) and any("bias" in t for t in hist)


def test_bad_update_freq_is_refused():
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard("logs", update_freq="sometimes")
