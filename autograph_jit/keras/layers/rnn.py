"""The RNN layer (Keras 3) and SimpleRNN, LSTM, GRU.

`RNN(cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
unroll=False, zero_output_for_mask=False)` runs a cell over the time axis of (batch, time,
features) inputs. The loop is a `tf.while_loop` writing a TensorArray (one graph loop however long
the sequence, compiled natively inside `tf.function`); `unroll=True` unrolls it in Python for
a known length. A mask (from `Embedding(mask_zero=True)` or `mask=`) keeps the previous state
(and output) at masked steps.
"""
import inspect

from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import tiling as T
from ...ops.control_ops import while_loop
from ...ops.tensor_array import TensorArray
from ...tensor import convert_to_tensor
from ...module import name_scope
from ...variables import Variable
from ._args import ser
from .input_spec import InputSpec
from .layer import Layer
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _states

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU"]


def _sizes(cell):
    s = cell.state_size
    return list(s) if isinstance(s, (list, tuple)) else [s]


class RNN(Layer):
    """Base class for recurrent layers: runs `cell` over the time axis (see module docstring).

    >>> layer = tf.keras.layers.RNN(tf.keras.layers.SimpleRNNCell(4), return_sequences=True)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 5, 4])
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"Argument `cell` should have a `call` method and a `state_size` "
                             f"attribute. Received: cell={cell}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._state_variables = None

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0],
                                                                        (list, tuple)):
            input_shape = input_shape[0]
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if input_shape[0] is None:
                raise ValueError(f"Layer {self.name}: a stateful RNN needs a fixed batch size; "
                                 f"pass batch_size= to its Input (got input shape "
                                 f"{tuple(input_shape)})")
            self._state_variables = [
                Variable(A.zeros([input_shape[0], s], dtype=self.dtype), trainable=False,
                         name=f"{self.name}_state_{i}") for i, s in enumerate(_sizes(self.cell))]

    def reset_states(self, states=None):
        """Stateful RNNs: set the carried states to zeros (or the given arrays)."""
        if not self.stateful or self._state_variables is None:
            return
        for i, var in enumerate(self._state_variables):
            var.assign(A.zeros_like(var) if states is None else states[i])

    reset_state = reset_states

    @property
    def states(self):
        return None if self._state_variables is None else list(self._state_variables)

    def get_initial_state(self, batch_size):
        cell_init = getattr(self.cell, "get_initial_state", None)
        if cell_init is not None:
            return cell_init(batch_size, dtype=self.compute_dtype)
        return [A.zeros(A.stack([batch_size, s]), dtype=self.compute_dtype)
                for s in _sizes(self.cell)]

    def _step(self, x_t, states, training):
        out, new = self.cell(x_t, states, training=training) if self._cell_takes_training() \
            else self.cell(x_t, states)
        return out, _states(new)

    def _cell_takes_training(self):
        try:
            return "training" in inspect.signature(self.cell.call).parameters
        except (TypeError, ValueError):
            return False

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(sequences, (list, tuple)):  # [inputs, *initial_states]
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        dims = sequences.shape.as_list()
        batch = A.shape(sequences)[0]
        if initial_state is not None:
            states = [convert_to_tensor(s) for s in _states(initial_state)]
            if len(states) != len(_sizes(self.cell)):
                raise ValueError(f"Layer {self.name} expects {len(_sizes(self.cell))} initial "
                                 f"state(s) but received {len(states)}")
        elif self.stateful:
            states = [v.read_value() for v in self._state_variables]
        else:
            states = self.get_initial_state(batch)
        xs = A.transpose(sequences, [1, 0] + list(range(2, len(dims))))   # time major
        if mask is not None:
            mask = A.transpose(M.cast(mask, "bool"), [1, 0])
        if self.go_backwards:
            xs = T.reverse(xs, [0])
            if mask is not None:
                mask = T.reverse(mask, [0])
        if hasattr(self.cell, "set_dropout_masks"):
            self.cell.set_dropout_masks(xs[0], states[0], training)
        steps = dims[1]
        if self.unroll:
            if steps is None:
                raise ValueError(f"Layer {self.name}: unroll=True needs a known number of "
                                 f"timesteps, got input shape {tuple(dims)}")
            last, outputs, states = self._unrolled(xs, states, mask, steps, training)
        else:
            last, outputs, states = self._looped(xs, states, mask, training)
        # (graph loops lose static sizes: restore them)
        states = [A.reshape(s, [-1, size]) if isinstance(size, int) else s
                  for s, size in zip(states, _sizes(self.cell))]
        out_size = self.cell.output_size
        if isinstance(out_size, int):
            last = A.reshape(last, [-1, out_size])
            if outputs is not None and steps is not None:
                outputs = A.reshape(outputs, [-1, steps, out_size])
        if self.stateful:
            for var, s in zip(self._state_variables, states):
                var.assign(s)
        out = outputs if self.return_sequences else last
        if self.return_state:
            return [out] + list(states)
        return out

    def _masked(self, m, new, old):
        m = A.expand_dims(m, -1)
        return M.where(M.logical_and(m, M.cast(A.ones_like(new), "bool")), new, old)

    def _unrolled(self, xs, states, mask, steps, training):
        outs, prev = [], None
        for t in range(steps):
            out, new = self._step(xs[t], states, training)
            if mask is not None:
                zero = A.zeros_like(out)
                keep = zero if (prev is None or self.zero_output_for_mask) else prev
                out = self._masked(mask[t], out, keep)
                new = [self._masked(mask[t], n, s) for n, s in zip(new, states)]
            states, prev = new, out
            outs.append(out)
        return outs[-1], A.stack(outs, axis=1), states

    def _looped(self, xs, states, mask, training):
        steps = A.shape(xs)[0]
        out_size = self.cell.output_size
        batch = A.shape(xs)[1]
        prev = A.zeros(A.stack([batch, out_size]), dtype=self.compute_dtype)
        # (the buffer made with its element shape, which is dynamic when the batch is: a
        # placeholder buffer would change shape in the loop and keep it off native code)
        ta = TensorArray(self.compute_dtype, _buffer=A.zeros(
            A.stack([steps, batch, out_size]), dtype=self.compute_dtype)) \
            if self.return_sequences else None
        n = len(states)

        def body(t, prev, *rest):
            states, ta = list(rest[:n]), (rest[n] if self.return_sequences else None)
            out, new = self._step(xs[t], states, training)
            if mask is not None:
                keep = A.zeros_like(out) if self.zero_output_for_mask else prev
                out = self._masked(mask[t], out, keep)
                new = [self._masked(mask[t], s_new, s) for s_new, s in zip(new, states)]
            new = [A.reshape(s_new, A.shape(s)) if s_new.shape != s.shape else s_new
                   for s_new, s in zip(new, states)]
            tail = (ta.write(t, out),) if self.return_sequences else ()
            return (t + 1, out) + tuple(new) + tail

        loop_vars = (convert_to_tensor(0), prev) + tuple(states) + \
            ((ta,) if self.return_sequences else ())
        result = while_loop(lambda t, *_: M.less(t, steps), body, loop_vars)
        last, states = result[1], list(result[2:2 + n])
        outputs = None
        if self.return_sequences:
            stacked = result[2 + n].stack()
            outputs = A.transpose(stacked, [1, 0] + list(range(2, stacked.shape.rank)))
        return last, outputs, states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            return [out_mask] + [None] * len(_sizes(self.cell))
        return out_mask

    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
        if type(self) is RNN:
            config["cell"] = {"class_name": type(self.cell).__name__,
                              "config": self.cell.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls is RNN:
            from .. import layers as _layers
            spec = config["cell"]
            table = dict(custom_objects or {})
            cell_cls = table.get(spec["class_name"]) or getattr(_layers, spec["class_name"],
                                                                 None)
            if cell_cls is None:
                raise ValueError(f"RNN.from_config: unknown cell class {spec['class_name']!r}; "
                                 f"pass it in custom_objects")
            config["cell"] = cell_cls.from_config(spec["config"])
        return super().from_config(config)


_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")


class _CellLayer(RNN):
    """An RNN whose cell is built from the layer's own arguments (SimpleRNN, LSTM, GRU)."""

    _CELL = None
    _CELL_NAME = None

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)  # Keras 3's GPU kernel choice; no effect here
        kwargs.pop("time_major", None) if kwargs.get("time_major") is False else None
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs)
                        if k in _RNN_KEYS + ("name", "trainable", "input_shape", "input_dim",
                                             "batch_input_shape", "batch_size",
                                             "activity_regularizer")}
        dtype = kwargs.pop("dtype", None)
        cell = self._CELL(units, name=self._CELL_NAME, dtype=dtype,
                          trainable=layer_kwargs.get("trainable", True), **kwargs)
        super().__init__(cell, dtype=dtype, **layer_kwargs)
        self.input_spec = InputSpec(ndim=3)  # Keras 3: (batch, timesteps, features) only
        with name_scope(self.name):  # weights under Keras 3's path: lstm/lstm_cell/kernel
            cell._set_name_unchecked(cell.name)

    def __getattr__(self, name):
        if name in ("units", "activation", "recurrent_activation", "use_bias", "dropout",
                    "recurrent_dropout", "unit_forget_bias", "reset_after", "seed",
                    "kernel_initializer", "recurrent_initializer", "bias_initializer"):
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.pop("activity_regularizer", None)
        for key, value in cell_config.items():
            config[key] = value
            if key == "bias_regularizer":  # Keras 3 lists it after the weight regularizers
                config["activity_regularizer"] = ser("regularizer", self.activity_regularizer)
        return config


class SimpleRNN(_CellLayer):
    """Fully-connected RNN: `SimpleRNN(units, activation='tanh', use_bias=True, ...,
    dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
    go_backwards=False, stateful=False, unroll=False)`; weights `kernel`, `recurrent_kernel`,
    `bias` of its `simple_rnn_cell`.

    >>> layer = tf.keras.layers.SimpleRNN(4)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    """
    _CELL, _CELL_NAME = SimpleRNNCell, "simple_rnn_cell"


class LSTM(_CellLayer):
    """Long Short-Term Memory: `LSTM(units, activation='tanh', recurrent_activation='sigmoid',
    unit_forget_bias=True, ...)`; `return_state=True` adds the final [h, c].

    >>> layer = tf.keras.layers.LSTM(4)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    >>> seq, h, c = tf.keras.layers.LSTM(4, return_sequences=True, return_state=True)(tf.ones([2, 5, 3]))
    >>> seq.shape, h.shape, c.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]), TensorShape([2, 4]))
    """
    _CELL, _CELL_NAME = LSTMCell, "lstm_cell"


class GRU(_CellLayer):
    """Gated Recurrent Unit: `GRU(units, activation='tanh', recurrent_activation='sigmoid',
    reset_after=True, ...)`.

    >>> layer = tf.keras.layers.GRU(4)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    >>> tf.keras.layers.GRU(4, return_sequences=True)(tf.ones([2, 5, 3])).shape
    TensorShape([2, 5, 4])
    """
    _CELL, _CELL_NAME = GRUCell, "gru_cell"
