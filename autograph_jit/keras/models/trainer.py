"""The training API every Model has (Keras 3's `Trainer`): `compile`, `fit`, `evaluate`,
`predict`, `train_on_batch`/`test_on_batch`/`predict_on_batch`, overridable
`train_step`/`test_step`/`predict_step`, `compute_loss`/`compute_metrics`, `metrics`,
`metrics_names`, `reset_metrics`.

Steps run as `tf.function`s (native code on the default backend) cached across epochs and calls;
`compile(run_eagerly=True)` runs them as plain Python. In-memory data run several steps per native
call (`steps.py`) when nothing needs to see every step.

Device (as TF, where a step runs on the device scope it is called under and variables stay where
they were made): `fit`/`evaluate`/`predict` and the `*_on_batch` methods called inside
`tf.device("/GPU:0")` compile their steps for the GPU backend (the tf.functions pick it from
the scope; variables become device mirrors written back after each call). Called outside any
scope, they run on the device the model was compiled under, else the one it was made under
(`with tf.device("/GPU:0"): model = ...; model.compile(...)` then `model.fit(...)` trains on the
GPU, as it would in TF); an enclosing scope at the call wins (`tf.device("/CPU:0")` runs a
GPU-made model on the CPU).
"""
import contextlib
import warnings

import numpy as np

from ... import nest
from ...autodiff.tape import GradientTape
from ...tensor import Tensor, convert_to_tensor
from . import data_adapter
from .compile_utils import CompileLoss, CompileMetrics, flat_outputs
from ...ops.array_ops import shape as tf_shape
from ...distribute.distribute_lib import model_strategy
from .. import metrics as metrics_module
from .. import optimizers
from ...distribute.distribute_lib import get_strategy
from ...distribute.keras_support import all_reduce_gradients
from ...tracing import context
from ...tracing.function import Function
from ...config import default_backend
from ...eager_context import device as tf_device
from .step_function import FlatStepFunction
from ..layers.keras_tensor import KerasTensor, symbolic_call
from ...errors import NotCompiledError

__all__ = ["Trainer", "NotCompiledError"]  # (NotCompiledError: errors.py's, re-exported)


class Trainer:
    """Mixin holding Keras 3's training methods (see the module docstring)."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._output_loss_trackers = []
        self.stop_training = False
        self.history = None
        self._run_eagerly = False
        self.steps_per_execution = 1
        self.jit_compile = "auto"
        self._functions = {}
        self._output_names_cache = None
        self._distribute_strategy = model_strategy()   # made under a tf.distribute scope
        self._device_kind = context.current_device()   # made under a tf.device scope

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training.

        Args: `optimizer` (name or Optimizer), `loss` (name, function, Loss, or a list/dict per
        output), `loss_weights`, `metrics`/`weighted_metrics` (names, functions or Metric
        objects; a list, or a dict/list of lists per output), `run_eagerly` (Python steps),
        `steps_per_execution` (steps per compiled call), `jit_compile` (accepted; steps are
        always compiled natively unless `run_eagerly`). With `run_eagerly=True` the model's
        `call`, `train_step`, losses and metrics run as Python; the optimizer's variable update
        stays one compiled call.
        Example: `model.compile(optimizer="adam", loss="mse", metrics=["mae"])`.
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics) \
            if (metrics or weighted_metrics) else None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = []
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError("`steps_per_execution` must be a positive integer. Received: "
                             f"steps_per_execution={steps_per_execution}")
        self.steps_per_execution = steps_per_execution
        self._run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self._functions = {}
        self.compiled = True
        self.stop_training = False
        self._distribute_strategy = model_strategy() or getattr(self, "_distribute_strategy", None)
        self._device_kind = context.current_device() or getattr(self, "_device_kind", None)

    def _on_device(self):
        """The model's device scope for fit/evaluate/predict (module docstring): a nullcontext
        inside an enclosing tf.device scope (that scope wins), or when the model was made and
        compiled outside any; else `tf.device` of the model's device ("GPU", or "CPU" where the
        default backend is the GPU; a CPU scope over the CPU default changes nothing)."""
        kind = getattr(self, "_device_kind", None)
        if kind is None or context.current_device() is not None or (
                kind == "CPU" and default_backend() != "gpu"):
            return contextlib.nullcontext()
        return tf_device("/GPU:0" if kind == "GPU" else "/CPU:0")

    @property
    def distribute_strategy(self):
        """The tf.distribute strategy the model was made (or compiled) under, else the
        default one."""
        return self._distribute_strategy or get_strategy()

    def _multi_worker_strategy(self):
        strategy = getattr(self, "_distribute_strategy", None)
        return strategy if strategy is not None and strategy.num_replicas_in_sync > 1 else None

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._functions = {}

    @property
    def compiled_loss(self):
        return self._compile_loss

    @property
    def compiled_metrics(self):
        return self._compile_metrics

    def _assert_compile_called(self, method_name):
        if not self.compiled:
            raise NotCompiledError("You must call `compile()` before using the model.")

    # -- metrics --------------------------------------------------------------------------------
    @property
    def metrics(self):
        """The Metric objects the steps update: the loss tracker, compile metrics, then metrics
        of sublayers."""
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            out.extend(self._output_loss_trackers)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Reset the state of every metric (the loss tracker included)."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The current results of `metrics` as a dict of tensors (compile metrics flattened)."""
        out = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    # -- the steps ------------------------------------------------------------------------------
    def _output_names(self, y_pred):
        names = getattr(self, "output_names", None)
        if isinstance(y_pred, dict):
            return list(y_pred)
        n = len(flat_outputs(y_pred, []))
        if names and len(names) == n:
            return list(names)
        return ["output"] if n == 1 else [f"output_{i}" for i in range(n)]

    def _flat_targets(self, y, y_pred):
        names = self._output_names(y_pred)
        flat_pred = flat_outputs(y_pred, names)
        if y is None:
            return [None] * len(flat_pred), flat_pred
        flat_true = flat_outputs(y, names)
        if len(flat_true) != len(flat_pred):
            raise ValueError(f"The model has {len(flat_pred)} output(s) but {len(flat_true)} "
                             "target(s) were given. Pass one target per output (a list, or a "
                             f"dict keyed by {names}).")
        return flat_true, flat_pred

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss plus the layers' `losses`."""
        total = None
        if self._compile_loss is not None:
            flat_true, flat_pred = self._flat_targets(y, y_pred)
            if not self._compile_loss.built:
                self._compile_loss.build(self._output_names(y_pred),
                                         outputs_are_dict=isinstance(y_pred, dict))
            sws = flat_outputs(sample_weight, self._output_names(y_pred)) \
                if isinstance(sample_weight, (list, dict)) else sample_weight
            total, parts = self._compile_loss(flat_true, flat_pred, sws)
            if self._output_loss_trackers:
                batch = _batch_size(y_pred)
                for tracker, slot in zip(self._output_loss_trackers,
                                         self._compile_loss.loss_slots):
                    if slot < len(parts) and parts[slot] is not None:
                        tracker.update_state(parts[slot], sample_weight=batch)
        for extra in self.losses:
            extra = convert_to_tensor(extra)
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return `get_metrics_result()`."""
        if self._compile_metrics is not None and y is not None:
            flat_true, flat_pred = self._flat_targets(y, y_pred)
            if not self._compile_metrics.built:
                self._compile_metrics.build(self._output_names(y_pred), flat_true, flat_pred,
                                            self.loss)
            sws = flat_outputs(sample_weight, self._output_names(y_pred)) \
                if isinstance(sample_weight, (list, dict)) else sample_weight
            self._compile_metrics.update_flat(flat_true, flat_pred, sws)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimization step on a batch `(x, y[, sample_weight])`; returns the logs."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=True)
            # loss_scale_factor / LossScaleOptimizer: differentiate the scaled loss (Keras 3)
            scaled = self.optimizer.scale_loss(loss) \
                if hasattr(self.optimizer, "scale_loss") else loss
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        trainable = self.trainable_weights
        if trainable:
            grads = tape.gradient(scaled, trainable)
            strategy = self._multi_worker_strategy()
            if strategy is not None:   # tf.distribute: the global batch's gradient
                grads = all_reduce_gradients(strategy, grads, _batch_size(x))
            self._apply_optimizer(grads, trainable)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_optimizer(self, grads, trainable):
        """`optimizer.apply`; with `run_eagerly` (outside any trace) as one compiled call per
        set of variables: the model's Python stays eager, the optimizer's dozens of small
        updates per variable do not pay eager dispatch one op at a time."""
        if not self._run_eagerly or context.current_builder() is not None or \
                any(g is None for g in grads):
            self.optimizer.apply(grads, trainable)
            return
        key = ("apply_gradients", tuple(id(v) for v in trainable))
        fn = self._functions.get(key)
        if fn is None:
            optimizer = self.optimizer
            fn = self._functions[key] = Function(
                lambda g: optimizer.apply(g, trainable), name="apply_gradients")
        fn(list(grads))

    def test_step(self, data):
        """Loss and metrics on a batch, without updating weights; returns the logs."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        # (an overridden compute_loss is the loss even without a compiled one, as in Keras 3)
        if self._compile_loss is not None or self.losses or \
                type(self).compute_loss is not Trainer.compute_loss:
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=False)
            self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs on a batch (`x` or `(x, ...)`)."""
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- compiled step functions ----------------------------------------------------------------
    def _step_function(self, kind):
        fn = self._functions.get(kind)
        if fn is not None:
            return fn
        step = {"train": self.train_step, "test": self.test_step,
                "predict": self.predict_step}[kind]
        if self._run_eagerly:
            def fn(data):
                return step(_tensors(data))
        else:
            fn = FlatStepFunction(step, name=f"{kind}_function")
        self._functions[kind] = fn
        return fn

    @property
    def train_function(self):
        return self._step_function("train")

    @property
    def test_function(self):
        return self._step_function("test")

    @property
    def predict_function(self):
        return self._step_function("predict")

    def make_train_function(self, force=False):
        if force:
            self._functions.pop("train", None)
        return self._step_function("train")

    def make_test_function(self, force=False):
        if force:
            self._functions.pop("test", None)
        return self._step_function("test")

    def make_predict_function(self, force=False):
        if force:
            self._functions.pop("predict", None)
        return self._step_function("predict")

    def _symbolic_build(self, batch):
        """Build the model, compiled loss and metrics eagerly from a first batch, so that no
        variable is created while a step is traced."""
        x, y, _ = data_adapter.unpack_x_y_sample_weight(batch)

        def spec(v):
            if v is None:
                return None
            v = np.asarray(v) if not isinstance(v, Tensor) else v
            shape = tuple(v.shape.as_list()) if hasattr(v.shape, "as_list") else tuple(v.shape)
            dtype = v.dtype if isinstance(v, Tensor) else _float_default(v.dtype)
            return KerasTensor((None,) + shape[1:], dtype=dtype)
        need_loss = self._compile_loss is not None and not self._compile_loss.built
        need_metrics = self._compile_metrics is not None and not self._compile_metrics.built
        if self.built and not need_loss and not need_metrics:
            self._build_optimizer()
            return
        x_spec = nest.map_structure(spec, x)
        y_pred = symbolic_call(lambda inp: self(inp, training=False), (x_spec,), {},
                               name=self.name)
        names = self._output_names(y_pred)
        if need_loss:
            self._compile_loss.build(names, outputs_are_dict=isinstance(y_pred, dict))
            # as Keras 3: a `<output>_loss` entry per output that has a loss, when more than
            # one has (a dict loss naming one output of two logs `loss` alone)
            slots = self._compile_loss.loss_slots
            if len(slots) > 1:
                self._output_loss_trackers = [
                    metrics_module.Mean(name=self._compile_loss.names[i]) for i in slots]
        if need_metrics and y is not None:
            flat_true = flat_outputs(y, names)
            flat_pred = flat_outputs(y_pred, names)
            self._compile_metrics.build(names, flat_true, flat_pred, self.loss)
        self._build_optimizer()

    def _build_optimizer(self):
        """Make the optimizer's slots now (as Keras 3 does), not inside the first trace: a trace
        that creates variables must be traced again."""
        optimizer = self.optimizer
        if optimizer is not None and not optimizer.built and self.trainable_weights:
            optimizer.build(self.trainable_weights)

    # -- public loops (fit lives in fit.py) -----------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics of the model on data (a scalar, a list in `metrics_names` order,
        or a dict with `return_dict=True`)."""
        from .fit import run_evaluate
        with self._on_device():
            return run_evaluate(self, x, y, batch_size, verbose, sample_weight, steps,
                                callbacks, return_dict, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs on `x`, batch by batch, concatenated as NumPy arrays."""
        from .fit import run_predict
        with self._on_device():
            return run_predict(self, x, batch_size, verbose, steps, callbacks)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model for `epochs` epochs; returns a `History` (see Keras's Model.fit)."""
        from .fit import run_fit
        with self._on_device():
            return run_fit(self, x=x, y=y, batch_size=batch_size, epochs=epochs,
                           verbose=verbose, callbacks=callbacks,
                           validation_split=validation_split,
                           validation_data=validation_data, shuffle=shuffle,
                           class_weight=class_weight, sample_weight=sample_weight,
                           initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                           validation_steps=validation_steps,
                           validation_batch_size=validation_batch_size,
                           validation_freq=validation_freq)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One training step on one batch; returns the logs of this batch alone (metrics reset
        first, as Keras 3 does: two calls report each batch's own accuracy, not a running one)."""
        self._assert_compile_called("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("Arguments `sample_weight` and `class_weight` cannot be "
                                 "specified at the same time.")
            sample_weight = data_adapter._class_weights_to_sample_weights(
                data_adapter._to_array(y), class_weight)
        batch = data_adapter.pack_x_y_sample_weight(x, y, sample_weight)
        self._symbolic_build(batch)
        self.reset_metrics()
        with self._on_device():
            logs = self.train_function(batch)
        return _finish_logs(self, logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch (metrics reset first)."""
        self._assert_compile_called("test_on_batch")
        batch = data_adapter.pack_x_y_sample_weight(x, y, sample_weight)
        self._symbolic_build(batch)
        self.reset_metrics()
        with self._on_device():
            logs = self.test_function(batch)
        return _finish_logs(self, logs, return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as NumPy arrays."""
        with self._on_device():
            out = self.predict_function((x,))
        return nest.map_structure(lambda t: np.asarray(t.numpy()) if hasattr(t, "numpy")
                                  else t, out)


def _float_default(np_dtype):
    if np.dtype(np_dtype).kind in "USO":  # text arrays: string inputs (TextVectorization)
        return "string"
    return str(np.dtype(np_dtype)) if np.dtype(np_dtype) != np.float64 else "float64"


def _batch_size(x):
    first = nest.flatten(x)[0]
    shape = first.shape
    dim = shape[0] if len(shape) else 1
    if dim is None:
        return tf_shape(first)[0]
    return int(dim)


def _tensors(data):
    return nest.map_structure(
        lambda v: convert_to_tensor(v) if isinstance(v, np.ndarray) else v, data)


def pythonify_logs(logs):
    """Logs as a dict of Python floats, sorted by key (nested dicts flattened)."""
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        if hasattr(value, "numpy"):
            value = value.numpy()
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(())
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def flatten_metrics_in_order(model, logs):
    names = []
    for metric in model.metrics:
        if isinstance(metric, CompileMetrics):
            names += metric.names
        else:
            names.append(metric.name)
    results = [logs[n] for n in names if n in logs]
    results += [logs[k] for k in sorted(logs) if k not in names]
    if len(results) == 1:
        return results[0]
    return results


def _finish_logs(model, logs, return_dict):
    logs = pythonify_logs(logs)
    if return_dict:
        return logs
    return flatten_metrics_in_order(model, logs)
