"""The loops behind `Model.fit`, `Model.evaluate` and `Model.predict`: data batching, callbacks,
validation, and the compiled steps (several per native call for in-memory data, see
`steps.py`)."""
import numpy as np

from ... import nest
from . import data_adapter, graph_cache
from .trainer import _finish_logs, pythonify_logs
from ..callbacks import CallbackList
from ...distribute import keras_support
from .steps import StepRunner
from ...config import default_backend
from ...codegen import prewarm

__all__ = ["run_fit", "run_evaluate", "run_predict"]


def _verbose(verbose):
    return 1 if verbose == "auto" else int(verbose)


def run_fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
    model._assert_compile_called("fit")
    _prewarm(model)
    verbose = _verbose(verbose)
    if validation_split and validation_data is None:
        if not data_adapter._is_array_data((x, y, sample_weight)) and not \
                data_adapter._is_array_data(x):
            raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, "
                             f"found following types in the input: {type(x)}")
        arrays = nest.map_structure(data_adapter._to_array, (x, y, sample_weight))
        (x, y, sample_weight), validation_data = data_adapter.train_validation_split(
            arrays, validation_split)
    data = data_adapter.make_data(x, y, sample_weight, batch_size, shuffle, class_weight,
                                  steps_per_epoch)
    data.reset()
    strategy = model._multi_worker_strategy()
    if strategy is not None:   # tf.distribute: each worker trains on its rows of each batch
        data = keras_support.shard_fit_data(strategy, data)
    val_data = None
    if validation_data is not None:
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and \
                data_adapter._is_array_data(validation_data[0]):
            vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(tuple(validation_data))
            val_data = data_adapter.make_data(vx, vy, vsw, validation_batch_size or batch_size,
                                              False, None, validation_steps)
        else:
            val_data = data_adapter.make_data(validation_data, steps=validation_steps)
    callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=model, verbose=verbose, epochs=epochs,
                                 steps=data.known_steps)
    model.stop_training = False
    model._initial_epoch = None
    callback_list.on_train_begin()
    if model._initial_epoch is not None:  # BackupAndRestore resumes an interrupted fit
        initial_epoch = model._initial_epoch
        model._initial_epoch = None
    training_logs = None
    runner = None
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        if runner is None:
            runner = StepRunner(model, data, callback_list)
        logs = runner.run_epoch()
        if logs is None:
            break
        epoch_logs = pythonify_logs(_metrics_or_logs(model, logs))
        if strategy is not None:
            epoch_logs = keras_support.mean_logs(strategy, data, epoch_logs)
        if val_data is not None and _should_eval(epoch, validation_freq):
            # as Keras's evaluate in fit: the fit's callbacks see on_test_begin, every
            # on_test_batch_begin/end and on_test_end (the progress bar ignores them in fit)
            val_logs = run_evaluate(model, batch_size=validation_batch_size or batch_size,
                                    verbose=0, return_dict=True, _data=val_data,
                                    _callbacks=callback_list)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    optimizer = getattr(model, "optimizer", None)
    if epochs > 0 and hasattr(optimizer, "finalize_variable_values"):
        optimizer.finalize_variable_values(model.trainable_weights)   # use_ema: the averages
    callback_list.on_train_end(logs=training_logs)
    graph_cache.flush()  # (the steps' new graph cache entries are on disk when fit returns)
    return model.history


def _prewarm(model):
    """Start the CPU backend's one-time setup (LLVM, the native warm call) now, beside fit's
    data preparation, rather than when the first step's tf.function is made."""
    if model.run_eagerly:
        return
    if default_backend() == "cpu":
        prewarm()


def _metrics_or_logs(model, logs):
    """The model's metric results when the step's logs name exactly the model's metrics, else
    the step's own logs (a custom train_step/test_step returning other or more values: Keras
    3's `_get_metrics_result_or_logs`, which compares the two sets of names)."""
    result = model.get_metrics_result()
    if isinstance(logs, dict) and set(logs) == set(pythonify_logs(result)):
        return result
    return logs


def _should_eval(epoch, validation_freq):
    epoch = epoch + 1
    if isinstance(validation_freq, int):
        return epoch % validation_freq == 0
    if isinstance(validation_freq, (list, tuple)):
        return epoch in validation_freq
    raise ValueError("Expected `validation_freq` to be a list or int. Received: "
                     f"validation_freq={validation_freq} of the type {type(validation_freq)}.")


def run_evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, _data=None, _callbacks=None,
                 **kwargs):
    if kwargs:
        raise ValueError(f"Arguments not recognized: {kwargs}")
    model._assert_compile_called("evaluate")
    verbose = _verbose(verbose)
    if _data is None:
        data = data_adapter.make_data(x, y, sample_weight, batch_size, False, None, steps)
        data.reset()
    else:
        data = _data
    callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=1, steps=data.known_steps) \
        if _data is None else _callbacks
    if callback_list is not None:
        callback_list.on_test_begin()
    model.reset_metrics()
    logs = {}
    fn = None
    for begin, end, take in data_adapter.executions_of(data, model.steps_per_execution):
        if callback_list is not None:
            callback_list.on_test_batch_begin(begin)
        batches = take()
        if not batches:
            break
        if fn is None:
            model._symbolic_build(batches[0])
            fn = model.test_function
        for batch in batches:
            logs = fn(batch)
        if callback_list is not None:
            callback_list.on_test_batch_end(end, logs)
    logs = pythonify_logs(_metrics_or_logs(model, logs))
    if callback_list is not None:
        callback_list.on_test_end(logs)
    graph_cache.flush()
    return _finish_logs(model, logs, return_dict)


def run_predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    verbose = _verbose(verbose)
    data = data_adapter.make_data(x, batch_size=batch_size, shuffle=False, steps=steps)
    data.reset()
    callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=1, steps=data.known_steps)
    callback_list.on_predict_begin()
    fn = model.predict_function
    arrays = isinstance(data, data_adapter.ArrayData)
    compiled = not model.run_eagerly and arrays
    outputs = []
    for begin, end, take in data_adapter.executions_of(data, model.steps_per_execution):
        callback_list.on_predict_batch_begin(begin)
        batches = take()
        if not batches:
            break
        execution = []
        for batch in batches:
            x_batch, _, _ = data_adapter.unpack_x_y_sample_weight(batch)
            rows = _rows(x_batch)
            padded = _pad_rows(x_batch, rows, data) if compiled else x_batch
            # as Keras (pack_x_y_sample_weight): predict_step gets in-memory data's `x` itself
            # (`(x,)` when x is a list or tuple of inputs), a dataset's batches as they come
            out = fn(batch if not arrays else (padded,) if isinstance(padded, (list, tuple))
                     else padded)
            execution.append(nest.map_structure(
                lambda t: _numpy(t)[:rows] if padded is not x_batch else _numpy(t), out))
        outputs.extend(execution)
        # (Keras hands the callbacks the execution's outputs as NumPy arrays)
        callback_list.on_predict_batch_end(end, {"outputs": _concat(execution)})
    callback_list.on_predict_end()
    graph_cache.flush()
    if not outputs:
        raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). "
                         "Please use `Model.compile(..., run_eagerly=True)`, or "
                         "`tf.config.run_functions_eagerly(True)` for more information of "
                         "where went wrong, or file a issue/bug to `tf.keras`.")
    return _concat(outputs)


def _numpy(t):
    return np.asarray(t.numpy()) if hasattr(t, "numpy") else np.asarray(t)


def _concat(outputs):
    """The outputs of one execution's steps joined along the batch axis."""
    if len(outputs) == 1:
        return outputs[0]
    flat = [nest.flatten(o) for o in outputs]
    joined = [np.concatenate([f[i] for f in flat], axis=0) for i in range(len(flat[0]))]
    return nest.pack_sequence_as(outputs[0], joined)


def _rows(x):
    first = nest.flatten(x)[0]
    return int(first.shape[0]) if getattr(first, "shape", None) is not None and \
        len(first.shape) else 0


def _pad_rows(x, rows, data):
    """A short last batch padded with zero rows up to the next power of two (at most the batch
    size): predict compiles at most log2(batch_size) + 1 shapes however many sizes it sees,
    instead of one per remainder (the padded rows' outputs are dropped)."""
    if rows == 0 or rows >= data.batch_size:
        return x
    target = min(data.batch_size, 1 << (rows - 1).bit_length())
    if target == rows:
        return x

    def pad(a):
        if a is None:
            return None
        a = np.asarray(a)
        return np.concatenate([a, np.zeros((target - rows,) + a.shape[1:], a.dtype)])
    return nest.map_structure(pad, x)
