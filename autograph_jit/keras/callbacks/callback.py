"""`keras.callbacks.Callback` (every hook `fit`/`evaluate`/`predict` call) and `CallbackList`,
which adds the default History and ProgbarLogger and forwards each hook to every callback."""
from ..models.trainer import pythonify_logs
__all__ = ["Callback", "CallbackList"]


class Callback:
    """Keras 3's `keras.callbacks.Callback`: subclass and override any hook.

    `self.model` is the model being trained, `self.params` holds `verbose`, `epochs`, `steps`.
    Example:
        class Print(tf.keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                print(epoch, logs["loss"])

    >>> class Count(tf.keras.callbacks.Callback):
    ...     epochs = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         Count.epochs += 1
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> _ = model.fit(x, y, epochs=3, verbose=0, callbacks=[Count()])
    >>> Count.epochs
    3
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """A backwards-compatible alias for `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """A backwards-compatible alias for `on_train_batch_end`."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its logs (`val_` keys after validation)."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each `evaluate` batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each `evaluate` batch."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each `predict` batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each `predict` batch."""

    def on_train_begin(self, logs=None):
        """Called at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called at the end of `fit` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate`."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate`."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


def _python_logs(logs):
    return pythonify_logs(logs)


class CallbackList(Callback):
    """A container forwarding every hook to its callbacks (`History` appended, `ProgbarLogger`
    first, when asked).

    >>> seen = []
    >>> cbs = tf.keras.callbacks.CallbackList([tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))])
    >>> cbs.on_epoch_end(0, {})
    >>> seen
    [0]
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        from .history import History
        from .progbar_logger import ProgbarLogger
        self.callbacks = list(callbacks) if callbacks else []
        if isinstance(callbacks, Callback) and not isinstance(callbacks, CallbackList):
            self.callbacks = [callbacks]
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        # as Keras 3: the user's callbacks, then History, then the progress bar (so a
        # callback's message, e.g. LearningRateScheduler's, comes before "Epoch 2/5", and the
        # bar shows the logs callbacks added)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        # callbacks that read every batch's logs get Python floats; the defaults convert lazily
        self._batch_readers = [c for c in self.callbacks
                               if not isinstance(c, (History, ProgbarLogger)) and (
                                   _overrides(c, "on_train_batch_end") or
                                   _overrides(c, "on_batch_end") or
                                   _overrides(c, "on_test_batch_end") or
                                   _overrides(c, "on_predict_batch_end"))]
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for c in self.callbacks:
            c.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for c in self.callbacks:
            c.set_model(model)

    # as Keras 3's CallbackList, every hook passes a dict (`{}` where the loop gives no logs)
    def _batch_hook(self, name, batch, logs):
        if self._batch_readers and logs:
            logs = _python_logs(logs)
        logs = {} if logs is None else logs
        for c in self.callbacks:
            getattr(c, name)(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_hook("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._batch_hook("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._batch_hook("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._batch_hook("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._batch_hook("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        logs = {} if logs is None else logs   # ({"outputs": NumPy arrays}: not floats)
        for c in self.callbacks:
            c.on_predict_batch_end(batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = _python_logs(logs)
        for c in self.callbacks:
            c.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = _python_logs(logs)
        for c in self.callbacks:
            c.on_epoch_end(epoch, logs)

    def _hook(self, name, logs):
        logs = _python_logs(logs)
        for c in self.callbacks:
            getattr(c, name)(logs)

    def on_train_begin(self, logs=None):
        self._hook("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._hook("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._hook("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._hook("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._hook("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._hook("on_predict_end", logs)

    def needs_every_batch(self):
        """True when a callback other than History/ProgbarLogger has a batch hook."""
        return bool(self._batch_readers) or any(
            _overrides(c, "on_train_batch_begin") or _overrides(c, "on_batch_begin")
            for c in self.callbacks)


def _overrides(callback, name):
    return name in vars(callback) or \
        getattr(type(callback), name, None) is not getattr(Callback, name)
