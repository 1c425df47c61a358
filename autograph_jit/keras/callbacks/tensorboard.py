"""`keras.callbacks.TensorBoard`: training curves, weight histograms and the model graph in
TensorBoard's event files, through `tf.summary` (the `tensorboard` extra writes the events).

Layout as Keras 3 writes it: `log_dir/train` and `log_dir/validation` runs; per epoch the scalars
`epoch_<metric>` (`epoch_loss`, `epoch_accuracy`, validation metrics without their `val_`
prefix in the validation run) and `epoch_learning_rate`; with `update_freq=N` (or "batch") also
`batch_<metric>` every N training batches; with `histogram_freq=N` a histogram of every weight
(`<layer>/<weight>/histogram`) every N epochs; with `write_graph` the train step's graph and the
model's config (`keras` text summary).
"""
import json
import os
import time
import warnings

import numpy as np

from .callback import Callback
from ... import summary


class TensorBoard(Callback):
    """Enables visualizations for TensorBoard: writes the training logs as event files.

    Args:
      log_dir: where to write (`log_dir/train`, `log_dir/validation`).
      histogram_freq: every how many epochs to write weight histograms (0: never).
      write_graph: write the train step's graph and the model config when training starts.
      write_images: also write each 2-D weight matrix as an image with the histograms.
      write_steps_per_second: also write `epoch_steps_per_second`.
      update_freq: "epoch", "batch" (every batch) or N (every N batches): when to write
        `batch_<metric>` scalars besides the per-epoch ones.
      profile_batch, embeddings_freq, embeddings_metadata: accepted for Keras compatibility;
        profiling and the embedding projector are not available here (a nonzero value warns).

    >>> import os, tempfile
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> log_dir = tempfile.mkdtemp()
    >>> _ = model.fit(x, y, epochs=2, verbose=0,
    ...               callbacks=[tf.keras.callbacks.TensorBoard(log_dir)])
    >>> sorted(os.listdir(log_dir))
    ['train']
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError("update_freq must be 'epoch', 'batch' or a positive integer, got "
                             f"{update_freq!r}")
        self.update_freq = update_freq
        for what, value in (("profile_batch", profile_batch),
                            ("embeddings_freq", embeddings_freq)):
            if value not in (0, None, (0, 0)):
                warnings.warn(f"TensorBoard({what}={value!r}): the profiler and the embedding "
                              "projector are not available in autograph_jit; nothing is "
                              "written for them.", UserWarning, stacklevel=2)
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = None
        self._epoch_batches = 0

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = summary.create_file_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    # -- hooks ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph:
            self._write_keras_model_summary()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        with self._writer("train").as_default(step=self._global_train_batch):
            for name, value in (logs or {}).items():
                summary.scalar("batch_" + name, float(value))

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        lr = _learning_rate(self.model)
        if lr is not None and "learning_rate" not in train:
            train["learning_rate"] = lr
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.perf_counter() - self._epoch_start
            train["steps_per_second"] = self._epoch_batches / elapsed if elapsed > 0 else 0.0
        with self._writer("train").as_default(step=epoch):
            for name, value in train.items():
                summary.scalar("epoch_" + name, float(value))
            if self.histogram_freq and epoch % self.histogram_freq == 0:
                self._write_weights(epoch)
        if val:
            with self._writer("validation").as_default(step=epoch):
                for name, value in val.items():
                    summary.scalar("epoch_" + name, float(value))
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}

    # -- what is written ------------------------------------------------------------------------
    def _write_weights(self, epoch):
        for layer in self.model.layers:
            for weight in layer.weights:
                name = f"{layer.name}/{weight.name.split('/')[-1].split(':')[0]}"
                value = weight.numpy()
                summary.histogram(name + "/histogram", value, step=epoch)
                if self.write_images and value.ndim == 2:
                    lo, hi = float(value.min()), float(value.max())
                    scaled = (value - lo) / (hi - lo) if hi > lo else np.zeros_like(value)
                    summary.image(name + "/image", scaled[None, :, :, None], step=epoch)

    def _write_keras_model_summary(self):
        with self._writer("train").as_default(step=0):
            try:
                config = json.dumps(self.model.get_config(), default=str)
            except (NotImplementedError, TypeError, ValueError):
                config = None
            if config is not None:
                summary.text("keras", config, step=0)
            fn = getattr(self.model, "train_function", None)
            if fn is not None and hasattr(fn, "get_concrete_function"):
                try:
                    summary.graph(fn)
                except (TypeError, ValueError):
                    pass  # not traced yet: the graph is written by trace_export users only


def _learning_rate(model):
    opt = getattr(model, "optimizer", None)
    lr = getattr(opt, "learning_rate", None)
    if lr is None:
        return None
    try:
        return float(lr.numpy() if hasattr(lr, "numpy") else lr)
    except (TypeError, ValueError):
        return None
