"""Callbacks: hook order, EarlyStopping (messages, restore_best_weights), ModelCheckpoint paths,
LearningRateScheduler/ReduceLROnPlateau learning rates, CSVLogger rows, TerminateOnNaN,
LambdaCallback, BackupAndRestore resuming an interrupted fit."""
import csv
import os

import numpy as np
import pytest

from autograph_jit import keras
from autograph_jit.keras import callbacks, layers


def _setup(lr=0.05):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True)).astype(np.float32)
    model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(keras.optimizers.SGD(lr), loss="mse")
    return model, x, y


def test_hooks_run_in_keras_order():
    events = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin{epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch{batch}:{sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end{epoch}:{sorted(logs)}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    model, x, y = _setup()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Recorder()])
    assert events == ["train_begin", "epoch_begin0", "batch0:['loss']", "batch1:['loss']",
                      "epoch_end0:['loss']", "train_end"]


def test_validation_in_fit_calls_the_test_hooks_per_batch_as_keras():
    events = []

    class Recorder(callbacks.Callback):
        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_test_batch_begin(self, batch, logs=None):
            events.append(f"test_batch_begin{batch}")

        def on_test_batch_end(self, batch, logs=None):
            events.append(f"test_batch_end{batch}:{sorted(logs)}")

        def on_test_end(self, logs=None):
            events.append(f"test_end:{sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end{epoch}:{sorted(logs)}")

    model, x, y = _setup()
    model.fit(x, y, batch_size=16, epochs=1, verbose=1, validation_data=(x[:24], y[:24]),
              callbacks=[Recorder()])
    assert events == ["test_begin", "test_batch_begin0", "test_batch_end0:['loss']",
                      "test_batch_begin1", "test_batch_end1:['loss']", "test_end:['loss']",
                      "epoch_end0:['loss', 'val_loss']"]


def test_early_stopping_stops_restores_best_and_prints(capsys):
    model, x, y = _setup(lr=0.0)
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, verbose=1,
                                      restore_best_weights=True)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 3 and stopper.stopped_epoch == 2
    out = capsys.readouterr().out
    assert "Restoring model weights from the end of the best epoch: 1." in out
    assert "Epoch 3: early stopping" in out


def test_early_stopping_with_unknown_direction_asks_for_mode():
    model, x, y = _setup()
    with pytest.raises(ValueError, match="mode='max'"):
        model.fit(x, y, epochs=2, verbose=0,
                  callbacks=[callbacks.EarlyStopping(monitor="weird_metric")])


def test_model_checkpoint_formats_paths_and_saves_best_only(tmp_path, capsys):
    pytest.importorskip("h5py")
    model, x, y = _setup()
    path = str(tmp_path / "w-{epoch:02d}-{loss:.2f}.weights.h5")
    ckpt = callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True,
                                     save_weights_only=True, verbose=1)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ckpt])
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and files[0].startswith("w-01-")
    assert "Epoch 1: loss improved from inf to" in capsys.readouterr().out
    with pytest.raises(ValueError, match="must end in `.keras`"):
        callbacks.ModelCheckpoint(str(tmp_path / "model.h5"))


def test_learning_rate_scheduler_and_plateau_change_the_optimizer(capsys):
    model, x, y = _setup(lr=0.1)
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[sched])
    np.testing.assert_allclose(history.history["learning_rate"], [0.05, 0.025], rtol=1e-6)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.025" in \
        capsys.readouterr().out
    model.optimizer.learning_rate = 0.5
    assert float(model.optimizer.learning_rate.numpy()) == 0.5


def test_reduce_lr_on_plateau_reduces_after_patience(capsys):
    model, x, y = _setup(lr=1e-9)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5,
                                          min_delta=1.0, verbose=1)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[plateau])
    assert np.isclose(float(model.optimizer.learning_rate.numpy()), 5e-10)
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 4.99999" in \
        capsys.readouterr().out


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    model, x, y = _setup()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert list(rows[0]) == ["epoch", "loss", "val_loss"]


def test_terminate_on_nan_stops_training(capsys):
    model, x, y = _setup(lr=1e30)
    history = model.fit(x * 1e10, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1
    assert "Invalid loss, terminating training" in capsys.readouterr().out


def test_lambda_callback_calls_the_given_functions():
    seen = []
    model, x, y = _setup()
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch),
                                  on_train_batch_end=lambda batch, logs: seen.append(
                                      type(logs["loss"]).__name__))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    assert seen == ["float", 0, "float", 1]


def test_backup_and_restore_resumes_an_interrupted_fit_from_its_keras3_backup(tmp_path):
    model, x, y = _setup()

    class Crash(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    backup = callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, Crash()])
    # the backup is Keras 3's: the weights file and the training metadata
    folder = tmp_path / "backup"
    assert (folder / "latest.weights.h5").exists()
    assert (folder / "training_metadata.json").exists()
    saved = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in saved])
    epochs, restored = [], []
    model.fit(x, y, epochs=4, verbose=0, callbacks=[
        backup, callbacks.LambdaCallback(
            on_train_begin=lambda logs: restored.append(model.get_weights()),
            on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == [2, 3]
    for got, want in zip(restored[0], saved):
        np.testing.assert_array_equal(got, want)
    assert not folder.exists()   # (deleted when fit finishes, as Keras 3 does)


def test_save_weights_to_a_checkpoint_prefix_restores_weights_and_optimizer_slots(tmp_path):
    model, x, y = _setup()
    model.compile(keras.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    prefix = str(tmp_path / "ckpt")
    model.save_weights(prefix)
    assert os.path.exists(prefix + ".index")
    assert os.path.exists(prefix + ".data-00000-of-00001")
    again, _, _ = _setup()
    again.compile(keras.optimizers.Adam(0.01), loss="mse")
    again.load_weights(prefix)  # the optimizer's slots are restored when they are created
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    again.fit(x, y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)  # training continues identically


def test_load_weights_from_a_missing_checkpoint_is_not_found():
    from autograph_jit import errors
    model, _, _ = _setup()
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        model.load_weights("/nonexistent/ckpt")
