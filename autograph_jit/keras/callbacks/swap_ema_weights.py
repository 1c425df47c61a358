"""Keras 3's `SwapEMAWeights` callback: with an optimizer built with `use_ema=True`, put the
moving averages of the weights into the model for `evaluate`/`predict` (and, with
`swap_on_epoch`, at the end of each epoch, so later callbacks such as ModelCheckpoint see them),
and the trained weights back afterwards."""
from .callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Swaps the model's weights and the optimizer's EMA weights: `SwapEMAWeights(
    swap_on_epoch=False)`. Evaluation and prediction run on the averages; with
    `swap_on_epoch=True` the averages are also in the model from the end of each epoch to the
    start of the next, and after the last epoch the averages stay (the EMA slots take the
    trained values). Place it before callbacks that should see the averages.

    >>> model = tf.keras.Sequential([tf.keras.Input((1,)),
    ...                              tf.keras.layers.Dense(1, kernel_initializer='ones')])
    >>> model.compile(optimizer=tf.keras.optimizers.SGD(0.1, use_ema=True), loss='mse')
    >>> x, y = np.ones((4, 1), np.float32), np.zeros((4, 1), np.float32)
    >>> _ = model.fit(x, y, epochs=1, verbose=0)
    >>> trained = model.get_weights()[0].copy()
    >>> swap = tf.keras.callbacks.SwapEMAWeights()
    >>> _ = model.evaluate(x, y, verbose=0, callbacks=[swap])
    >>> bool(np.all(model.get_weights()[0] == trained))
    True
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None or not hasattr(optimizer, "_model_variables_moving_average"):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             "optimizer. Received: use_ema="
                             f"{getattr(optimizer, 'use_ema', None)}")
        return optimizer

    def _swap_variables(self):
        optimizer = self._optimizer()
        for var, average in zip(optimizer._trainable_variables,
                                optimizer._model_variables_moving_average):
            current = var.numpy()
            var.assign(average.numpy())
            average.assign(current)

    def _finalize_ema_values(self):
        optimizer = self._optimizer()
        for var, average in zip(optimizer._trainable_variables,
                                optimizer._model_variables_moving_average):
            average.assign(var.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        self.on_test_begin(logs)

    def on_predict_end(self, logs=None):
        self.on_test_end(logs)
