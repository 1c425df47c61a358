"""Recurrent cells (Keras 3): SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells.

A cell computes one time step: `call(inputs, states, training=None) -> (output, new_states)`,
with `state_size` (an int or a list) and `output_size`. Weights and gate layouts follow Keras:
`kernel` (input_dim, k * units), `recurrent_kernel` (units, k * units), `bias`; LSTM gates
i, f, c, o (forget bias starts at 1 with `unit_forget_bias`), GRU gates z, r, h (with
`reset_after=True`, the default, `bias` is (2, 3 * units): input and recurrent biases).
Dropout masks are drawn once per sequence by the RNN layer (`set_dropout_masks`).
"""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import nn_ops as N
from .. import activations, initializers
from ._args import add_optioned_weight, ser, set_weight_options, weight_options_config
from .layer import Layer
from ...ops.array_ops import concat

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


class _Cell(Layer):
    """Shared arguments, weights, dropout and config of the built-in cells."""

    _GATES = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(
            self, kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            recurrent=(recurrent_initializer, recurrent_regularizer, recurrent_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.state_size = units
        self.output_size = units
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        n = self._GATES * self.units
        self.kernel = add_optioned_weight(self, "kernel", (input_dim, n))
        self.recurrent_kernel = add_optioned_weight(self, "recurrent", (self.units, n),
                                                    name="recurrent_kernel")
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_init(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _bias_shape(self):
        return (self._GATES * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def set_dropout_masks(self, inputs, state, training):
        """Draw this sequence's dropout masks (inputs: one time step (batch, features))."""
        self._dropout_mask = self._recurrent_dropout_mask = None
        if not training:
            return
        if 0 < self.dropout < 1:
            self._dropout_mask = N.dropout(A.ones_like(inputs), self.dropout, seed=self.seed)
        if 0 < self.recurrent_dropout < 1:
            self._recurrent_dropout_mask = N.dropout(A.ones_like(state), self.recurrent_dropout,
                                                     seed=self.seed)

    def _dropped(self, inputs, h_tm1):
        if self._dropout_mask is not None:
            inputs = M.multiply(inputs, self._dropout_mask)
        if self._recurrent_dropout_mask is not None:
            h_tm1 = M.multiply(h_tm1, self._recurrent_dropout_mask)
        return inputs, h_tm1

    def get_initial_state(self, batch_size, dtype="float32"):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else \
            [self.state_size]
        return [A.zeros(A.stack([batch_size, s]), dtype=dtype) for s in sizes]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": ser("activation", self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self, "kernel", "recurrent", "bias"),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed})
        return config


def _states(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


class SimpleRNNCell(_Cell):
    """`h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    >>> cell = tf.keras.layers.SimpleRNNCell(4)
    >>> tf.keras.layers.RNN(cell)(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    """

    def call(self, inputs, states, training=None):
        h_tm1 = _states(states)[0]
        inputs, h_tm1 = self._dropped(inputs, h_tm1)
        h = M.matmul(inputs, self.kernel)
        if self.bias is not None:
            h = M.add(h, self.bias)
        h = self.activation(M.add(h, M.matmul(h_tm1, self.recurrent_kernel)))
        return h, [h]


class _ForgetBias:
    """Keras's `unit_forget_bias` initializer: zeros/bias_initializer, ones for the forget gate."""

    def __init__(self, cell):
        self.cell = cell

    def __call__(self, shape, dtype=None):
        u = self.cell.units
        init = self.cell.bias_initializer
        return concat([init((u,), dtype=dtype), initializers.Ones()((u,), dtype=dtype),
                       init((2 * u,), dtype=dtype)], 0)


class LSTMCell(_Cell):
    """One LSTM step; states [h, c]; gates i, f, c, o in the kernels' columns.

    >>> layer = tf.keras.layers.RNN(tf.keras.layers.LSTMCell(4))
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    """

    _GATES = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def _bias_init(self):
        return _ForgetBias(self) if self.unit_forget_bias else self.bias_initializer

    def call(self, inputs, states, training=None):
        h_tm1, c_tm1 = _states(states)[:2]
        inputs, h_dropped = self._dropped(inputs, h_tm1)
        z = M.add(M.matmul(inputs, self.kernel), M.matmul(h_dropped, self.recurrent_kernel))
        if self.bias is not None:
            z = M.add(z, self.bias)
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = M.add(M.multiply(f, c_tm1), M.multiply(i, self.activation(z[:, 2 * u:3 * u])))
        o = self.recurrent_activation(z[:, 3 * u:])
        h = M.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=ser("activation", self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRUCell(_Cell):
    """One GRU step; gates z, r, h; `reset_after=True` (Keras 3's default) applies the reset gate
    after the recurrent matmul, with separate input and recurrent biases.

    >>> layer = tf.keras.layers.RNN(tf.keras.layers.GRUCell(4))
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 4])
    """

    _GATES = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=None):
        h_tm1 = _states(states)[0]
        inputs, h_dropped = self._dropped(inputs, h_tm1)
        u = self.units
        x = M.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = M.add(x, self.bias[0] if self.reset_after else self.bias)
        if self.reset_after:
            inner = M.matmul(h_dropped, self.recurrent_kernel)
            if self.bias is not None:
                inner = M.add(inner, self.bias[1])
            z = self.recurrent_activation(M.add(x[:, :u], inner[:, :u]))
            r = self.recurrent_activation(M.add(x[:, u:2 * u], inner[:, u:2 * u]))
            hh = self.activation(M.add(x[:, 2 * u:], M.multiply(r, inner[:, 2 * u:])))
        else:
            inner = M.matmul(h_dropped, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(M.add(x[:, :u], inner[:, :u]))
            r = self.recurrent_activation(M.add(x[:, u:2 * u], inner[:, u:]))
            hh = self.activation(M.add(x[:, 2 * u:], M.matmul(
                M.multiply(r, h_dropped), self.recurrent_kernel[:, 2 * u:])))
        h = M.add(M.multiply(z, h_tm1), M.multiply(M.subtract(1.0, z), hh))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=ser("activation", self.recurrent_activation),
                      reset_after=self.reset_after)
        return config


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of a cell to the next.

    >>> cells = [tf.keras.layers.SimpleRNNCell(4), tf.keras.layers.SimpleRNNCell(2)]
    >>> tf.keras.layers.RNN(tf.keras.layers.StackedRNNCells(cells))(tf.ones([2, 5, 3])).shape
    TensorShape([2, 2])
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        out = []
        for cell in self.cells:
            s = cell.state_size
            out.extend(s if isinstance(s, (list, tuple)) else [s])
        return out

    @property
    def output_size(self):
        return self.cells[-1].output_size

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (shape[0], cell.output_size)

    def set_dropout_masks(self, inputs, state, training):
        batch = A.shape(inputs)[0]
        for cell in self.cells:
            if hasattr(cell, "set_dropout_masks"):
                own_state = A.zeros(A.stack([batch, cell.output_size]), dtype=inputs.dtype)
                cell.set_dropout_masks(inputs, own_state, training)
            inputs = A.zeros(A.stack([batch, cell.output_size]), dtype=inputs.dtype)

    def call(self, inputs, states, training=None):
        states = _states(states)
        new_states, i = [], 0
        for cell in self.cells:
            s = cell.state_size
            n = len(s) if isinstance(s, (list, tuple)) else 1
            inputs, out_states = cell(inputs, states[i:i + n], training=training)
            new_states.extend(_states(out_states))
            i += n
        return inputs, new_states

    def get_config(self):
        from .. import layers as _layers  # noqa: F401  (classes resolved by name on load)
        config = super().get_config()
        config["cells"] = [{"class_name": type(c).__name__, "config": c.get_config()}
                           for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config):
        from .. import layers as _layers
        config = dict(config)
        config["cells"] = [getattr(_layers, c["class_name"]).from_config(c["config"])
                           for c in config["cells"]]
        return super().from_config(config)
