"""`keras.callbacks.History`: records each epoch's logs; `fit` returns it."""
from .callback import Callback

__all__ = ["History"]


class History(Callback):
    """Keras 3's History: `history.history` maps each log key to its per-epoch values and
    `history.epoch` lists the epochs run. Example: `model.fit(...).history["loss"]`.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> isinstance(history, tf.keras.callbacks.History), history.epoch
    (True, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self
