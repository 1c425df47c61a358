"""Callbacks that write files or run user code: ModelCheckpoint, BackupAndRestore, CSVLogger,
LambdaCallback (messages as Keras 3 prints them)."""
import collections
import csv
import json
import os
import shutil
import warnings

import numpy as np

from .callback import Callback
from .monitors import monitor_direction
from ..models.trainer import pythonify_logs

__all__ = ["ModelCheckpoint", "BackupAndRestore", "CSVLogger", "LambdaCallback"]


class ModelCheckpoint(Callback):
    """Save the model (`.keras`) or its weights (`.weights.h5`) every epoch or every
    `save_freq` batches; `save_best_only` keeps only improvements of `monitor`.

    `filepath` may hold format fields: `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> path = os.path.join(d, 'best.weights.h5')
    >>> cb = tf.keras.callbacks.ModelCheckpoint(path, save_weights_only=True, monitor='loss')
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    >>> os.path.exists(path)
    True
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = str(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._current_epoch = 0
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"ModelCheckpoint mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.best = initial_value_threshold
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             "filepath provided must end in `.weights.h5` (Keras weights "
                             f"format). Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). "
                             f"Received: filepath={self.filepath}")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")

    def _monitor_op(self):
        mode = self.mode if self.mode != "auto" else (
            monitor_direction(self.monitor, self.model) or "min")
        return (np.less, np.inf) if mode == "min" else (np.greater, -np.inf)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen_since_last_saving += 1
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _save_model(self, epoch, batch, logs):
        logs = pythonify_logs(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              "skipping.", stacklevel=2)
                return
            op, initial = self._monitor_op()
            best = initial if self.best is None else self.best
            if op(current, best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best:.5f} to "
                          f"{current:.5f}, saving model to {filepath}")
                self.best = current
                self._write(filepath)
            elif self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best:.5f}")
            return
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        self._write(filepath)

    def _write(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None


class BackupAndRestore(Callback):
    """Back up the model and its optimizer's state to `backup_dir/latest.weights.h5` and the
    epoch (and batch) reached to `backup_dir/training_metadata.json` at each epoch end (or every
    `save_freq` batches), as Keras 3 does, so that a `fit` interrupted by an error resumes from
    the last backup when run again with the same callback; `backup_dir` itself is deleted when
    training ends normally (`delete_checkpoint=True`). With `double_checkpoint=True` the
    previous backup is kept as `*.bkp` and used when the latest cannot be read.

    Example: `model.fit(x, y, epochs=10, callbacks=[BackupAndRestore("/tmp/backup")])`.

    >>> import os, tempfile; d = os.path.join(tempfile.mkdtemp(), "backup")
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> cb = tf.keras.callbacks.BackupAndRestore(backup_dir=d)
    >>> history = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    >>> len(history.history['loss']), os.path.exists(d)
    (2, False)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        self.backup_dir = str(backup_dir)
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             "value.")

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except OSError:
            # the latest backup is unreadable (cut off mid-write): fall back on the previous one
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path,
                                self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, you model must be built "
                             f"before you call `fit()`. Model {self.model} is unbuilt. You can "
                             "build it beforehand by calling it on a batch of data.")
        if os.path.exists(self._weights_path):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and not optimizer.built:
                optimizer.build(self.model.trainable_variables)
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                self.model._initial_epoch = json.loads(f.read())["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            shutil.copyfile(self._weights_path, self._prev_weights_path)
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def _should_save_on_batch(self, batch):
        """Count the batches seen since the last backup (a smaller `batch` starts an epoch)."""
        if self.save_freq == "epoch":
            return False
        add_batches = batch + 1 if batch <= self._last_batch_seen else \
            batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file (`epoch` column first, then the sorted keys).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> path = os.path.join(d, 'log.csv')
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[tf.keras.callbacks.CSVLogger(path)])
    >>> 'loss' in open(path).read().splitlines()[0].split(',')
    True
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = str(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            is_zero_dim = isinstance(k, np.ndarray) and k.ndim == 0
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not is_zero_dim:
                return f"\"[{', '.join(map(str, k))}]\""
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
            val_keys_found = any(k.startswith("val_") for k in self.keys)
            if not val_keys_found and self.keys:
                self.keys.extend(["val_" + k for k in self.keys])
        if not self.writer:
            class CustomDialect(csv.excel):
                delimiter = self.sep
            fieldnames = ["epoch"] + self.keys
            self.writer = csv.DictWriter(self.csv_file, fieldnames=fieldnames,
                                         dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback made of functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`
    (any hook name; batch/epoch hooks take `(index, logs)`, train/test/predict begin/end take
    `(logs)`).

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> ends = []
    >>> cb = tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch))
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    >>> ends
    [0, 1]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
