"""`keras.callbacks.ProgbarLogger`: prints `Epoch i/n` and a Progbar per epoch (added by `fit`
when `verbose` is not 0)."""
import time

from ..utils.progbar import Progbar
from .callback import Callback
from ..models.trainer import pythonify_logs

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Keras 3's ProgbarLogger: the progress bar of `fit`, `evaluate` and `predict`.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[tf.keras.callbacks.ProgbarLogger()])
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def _update(self, batch, logs):
        self._maybe_init_progbar()
        self.seen = batch + 1
        bar = self.progbar
        # only a redraw needs the values (each conversion reads the metrics back)
        if not bar._dynamic_display or time.time() - bar._last_update < bar.interval:
            bar._seen_so_far = self.seen
            return
        if self.verbose == 1:
            logs = _listed(logs)
            self.progbar.stateful_metrics = {k for k, _ in logs}
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize(self, logs):
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        logs = _listed(logs)
        self.progbar.stateful_metrics = {k for k, _ in logs}
        self.progbar.update(self.target, logs, finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs=None):
        self._finalize(None)


def _listed(logs):
    return list(pythonify_logs(logs or {}).items())
