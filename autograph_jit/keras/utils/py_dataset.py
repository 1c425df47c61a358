"""`keras.utils.PyDataset` (alias `Sequence`): a dataset defined by `__getitem__` and
`__len__` (batches by index), which `fit`/`evaluate`/`predict` read batch by batch."""

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class for Python datasets: subclass, implement `__getitem__(index)` (one batch) and
    `__len__()` (the number of batches), and call `super().__init__(**kwargs)`.

    `workers`, `use_multiprocessing` and `max_queue_size` are accepted and kept, as Keras 3
    does; batches are read in order in the calling thread here.

    >>> class Batches(tf.keras.utils.PyDataset):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, i):
    ...         return np.full((4, 2), i, np.float32), np.ones((4, 1), np.float32)
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> len(model.fit(Batches(), epochs=2, verbose=0).history["loss"])
    2
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    @property
    def num_batches(self):
        """The number of batches (`len(self)`), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        return None

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (shuffle here)."""

    def __iter__(self):
        # one epoch of batches, with the epoch hooks around it
        self.on_epoch_begin()
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()


Sequence = PyDataset
