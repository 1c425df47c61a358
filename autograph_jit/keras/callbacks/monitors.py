"""Callbacks that watch a logged metric or the epoch count: EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, TerminateOnNaN (messages as Keras 3 prints them)."""
import warnings

import numpy as np

from .callback import Callback

__all__ = ["EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN",
           "monitor_direction"]

_MAX_HINTS = ("acc", "auc", "precision", "recall", "true_positives", "true_negatives", "f1",
              "iou", "r2")


def monitor_direction(monitor, model=None):
    """'min' or 'max' for a monitored log key, as Keras 3 infers it (None when unknown)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        subs = getattr(metric, "metrics", None) or [metric]
        for m in subs:
            if getattr(m, "name", None) == name and getattr(m, "_direction", None):
                return "max" if m._direction == "up" else "min"
    if any(h in name for h in _MAX_HINTS):
        return "max"
    if any(h in name for h in ("error", "mse", "mae", "mape", "msle", "hinge", "crossentropy",
                               "divergence", "poisson", "false_")):
        return "min"
    return None


def _learning_rate(model):
    return float(np.asarray(model.optimizer.learning_rate.numpy()
                            if hasattr(model.optimizer.learning_rate, "numpy")
                            else model.optimizer.learning_rate))


class EarlyStopping(Callback):
    """Stop training when `monitor` has stopped improving for `patience` epochs.

    Args: `monitor="val_loss"`, `min_delta=0`, `patience=0`, `verbose=0`, `mode="auto"`,
    `baseline=None`, `restore_best_weights=False`, `start_from_epoch=0`.
    Example: `model.fit(x, y, callbacks=[EarlyStopping(monitor="loss", patience=3)])`.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer=tf.keras.optimizers.SGD(0.0), loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> stop = tf.keras.callbacks.EarlyStopping(monitor='loss', patience=2)
    >>> history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop])
    >>> len(history.history['loss'])
    3
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode {mode} is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.monitor_op = None

    def _set_monitor_op(self):
        mode = self.mode if self.mode != "auto" else monitor_direction(self.monitor, self.model)
        if mode is None:
            raise ValueError(
                f"EarlyStopping callback received monitor={self.monitor} but Keras isn't able "
                "to automatically determine whether that metric should be maximized or "
                "minimized. Pass `mode='max'` in order to do early stopping based on the "
                "highest metric value, or pass `mode='min'` in order to use the lowest value.")
        self.monitor_op = np.less if mode == "min" else np.greater
        if self.monitor_op is np.less:
            self.min_delta = -abs(self.min_delta)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        # as Keras 3: "early stopping" first; the best weights come back when training ends,
        # whether it stopped early or ran every epoch
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs.keys()))}",
                          stacklevel=2)
        return value

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` stops improving for `patience`
    epochs (down to `min_lr`).

    Example: `ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)`.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer=tf.keras.optimizers.SGD(0.0), loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> cb = tf.keras.callbacks.ReduceLROnPlateau(monitor='loss', factor=0.5, patience=1, min_lr=0.0)
    >>> _ = model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    >>> type(cb).__name__
    'ReduceLROnPlateau'
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.monitor = monitor
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to "
                          "auto mode.", stacklevel=2)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _learning_rate(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn("Learning rate reduction is conditioned on metric "
                          f"`{self.monitor}` which is not available. Available metrics are: "
                          f"{','.join(list(logs.keys()))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _learning_rate(self.model)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to `schedule(epoch, lr)` (or
    `schedule(epoch)`).

    Example: `LearningRateScheduler(lambda epoch, lr: lr * 0.9)`.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> cb = tf.keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    >>> round(float(model.optimizer.learning_rate), 4)
    0.025
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, _learning_rate(self.model))
        except TypeError:
            learning_rate = self.schedule(epoch)
        if hasattr(learning_rate, "numpy"):
            learning_rate = learning_rate.numpy()
        if not isinstance(learning_rate, (float, int, np.floating)):
            raise ValueError("The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        self.model.optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.full((8, 1), np.nan, np.float32)
    >>> history = model.fit(x, y, epochs=5, verbose=0, callbacks=[tf.keras.callbacks.TerminateOnNaN()])
    Batch 0: Invalid loss, terminating training
    >>> len(history.history['loss'])
    1
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            loss = float(np.asarray(loss.numpy() if hasattr(loss, "numpy") else loss))
            if np.isnan(loss) or np.isinf(loss):
                print(f"Batch {batch}: Invalid loss, terminating training")
                self.model.stop_training = True
