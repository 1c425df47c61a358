"""`keras.layers.MultiHeadAttention` (Keras 3): query/key/value projections (EinsumDense
sublayers named `query`, `key`, `value`), scaled dot-product attention over `attention_axes`
written as einsums, a masked softmax (Keras masks of the inputs, `attention_mask`,
`use_causal_mask`), dropout on the attention probabilities, and the output projection
(`attention_output`). The weights are laid out and ordered as Keras's, so `get_weights()` /
`set_weights()` exchange with a Keras 3 layer."""
import math
import string

from ...module import name_scope
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops.einsum_ops import einsum
from ...tensor import Tensor, convert_to_tensor
from .. import constraints, initializers, regularizers
from ._args import ser
from .activation_layers import Softmax
from .einsum_dense import EinsumDense
from .keras_tensor import KerasTensor
from .layer import Layer
from .layer_utils import _convert_inputs, get_keras_mask
from .regularization import Dropout

__all__ = ["MultiHeadAttention"]


def _letter(i):
    return string.ascii_lowercase[i]


def _projection_equation(free_dims, bound_dims, output_dims):
    """(equation, bias_axes, output rank) of a projection: free dims kept, bound dims
    contracted with the kernel, output dims made by it."""
    inp = kernel = out = bias = ""
    for i in range(free_dims):
        inp += _letter(i)
        out += _letter(i)
    for i in range(free_dims, free_dims + bound_dims):
        inp += _letter(i)
        kernel += _letter(i)
    for i in range(free_dims + bound_dims, free_dims + bound_dims + output_dims):
        kernel += _letter(i)
        out += _letter(i)
        bias += _letter(i)
    return f"{inp},{kernel}->{out}", bias, len(out)


def _attention_equations(rank, attn_axes):
    """The query-key dot product and the combination with the values as einsums, for projected
    tensors of `rank` (batch, <non-attention dims>, <attention dims>, heads, channels)."""
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes] +
                      [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _shape_of(x):
    shape = x.shape
    return tuple(shape.as_list() if hasattr(shape, "as_list") else shape)


class MultiHeadAttention(Layer):
    """Multi-head attention as in "Attention Is All You Need": `MultiHeadAttention(num_heads,
    key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
    attention_axes=None, kernel_initializer='glorot_uniform', bias_initializer='zeros',
    kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
    kernel_constraint=None, bias_constraint=None, use_gate=False, sliding_window=None,
    seed=None)`.

    Called as `layer(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)`:
    query (B, T, dim), value and key (B, S, dim) give (B, T, dim) (or `output_shape`), and with
    `return_attention_scores` also the attention probabilities (B, num_heads, T, S). A boolean
    `attention_mask` (B, T, S) and the Keras masks of the inputs say which positions may attend
    where; `attention_axes` (default: every axis between the batch and the features) generalizes
    the attention to several axes. `sliding_window=w` lets each query step attend only to key
    steps less than `w` away; `use_gate` multiplies the attention output by a sigmoid gate
    projected from the query (an EinsumDense named `gate`, created after `key`). Weights, in Keras's order: query kernel (dim, heads, key_dim)
    and bias, key kernel and bias, value kernel (dim, heads, value_dim) and bias, output kernel
    (heads, value_dim, dim) and bias.

    >>> mha = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = tf.ones([3, 5, 8])
    >>> out, scores = mha(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape
    (TensorShape([3, 5, 8]), TensorShape([3, 2, 5, 5]))
    >>> [tuple(w.shape) for w in mha.weights][:2]
    [(8, 2, 4), (2, 4)]
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        if not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError("Received an invalid value for argument `num_heads`, expected a "
                             f"positive integer. Received: num_heads={num_heads}")
        if not isinstance(key_dim, int) or key_dim <= 0:
            raise ValueError("Received an invalid value for argument `key_dim`, expected a "
                             f"positive integer. Received: key_dim={key_dim}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a "
                             f"positive integer or `None`. Received: value_dim={value_dim}")
        if flash_attention:
            raise ValueError("MultiHeadAttention(flash_attention=True) is not supported (no "
                             "fused attention kernel); leave it None")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads, self._key_dim = num_heads, key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout, self._use_bias = dropout, use_bias
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the "
                                 "`output_shape` should be of type tuple, list, or int.") from None
        self._output_shape = output_shape or None
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple."
                             f"Received: attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        if sliding_window is not None and (not isinstance(sliding_window, int) or
                                           sliding_window <= 0):
            raise ValueError("`sliding_window` must be `None` or a positive integer. "
                             f"Received: sliding_window={sliding_window}")
        self._sliding_window = sliding_window
        self._use_gate = use_gate
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # the projections live in public attributes, the names Keras 3's weight files use
    # (`layers/multi_head_attention/query_dense/vars/0`); the private names alias them.
    # Keras 3 has no public property for the gate, so its files hold it under the private
    # attribute: `layers/multi_head_attention/_gate_dense/vars/0` (walked after the public
    # ones, as Keras visits private attributes last)
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)
    gate_dense = property(lambda self: self._gate_dense)
    _saved_private_children = ("_gate_dense",)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads, "key_dim": self._key_dim,
            "value_dim": self._value_dim, "dropout": self._dropout,
            "use_bias": self._use_bias, "use_gate": self._use_gate,
            "output_shape": self._output_shape, "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": ser("initializer", self._kernel_initializer),
            "bias_initializer": ser("initializer", self._bias_initializer),
            "kernel_regularizer": ser("regularizer", self._kernel_regularizer),
            "bias_regularizer": ser("regularizer", self._bias_regularizer),
            "activity_regularizer": ser("regularizer", self._activity_regularizer),
            "kernel_constraint": ser("constraint", self._kernel_constraint),
            "bias_constraint": ser("constraint", self._bias_constraint),
            "seed": self.seed})
        return config

    # -- building -------------------------------------------------------------------------------
    def _sublayer_kwargs(self):
        """Each projection gets its own copy of the initializers (as Keras)."""
        def clone(init):
            return type(init).from_config(init.get_config()) if hasattr(init, "get_config") \
                else init
        return dict(kernel_initializer=clone(self._kernel_initializer),
                    bias_initializer=clone(self._bias_initializer),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype)

    def _projection(self, rank, size, name, activation=None):
        equation, bias_axes, out_rank = _projection_equation(rank - 1, 1, 2)
        return EinsumDense(equation, output_shape=[None] * (out_rank - 3) + [self._num_heads, size],
                           bias_axes=bias_axes if self._use_bias else None, name=name,
                           activation=activation, **self._sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the four projections for inputs of these shapes (key defaults to value)."""
        with name_scope(self.name):  # weights under Keras 3's path: <mha>/query/kernel
            self._build_projections(query_shape, value_shape, key_shape)
        # Keras 3's build_config for a build taking several shapes
        self._build_shapes_dict = {"query_shape": tuple(query_shape),
                                   "value_shape": tuple(value_shape)}
        if key_shape is not None:
            self._build_shapes_dict["key_shape"] = tuple(key_shape)

    def _build_projections(self, query_shape, value_shape, key_shape):
        if value_shape is None:
            raise ValueError(f"MultiHeadAttention layer {self.name}: build needs `query_shape` "
                             "and `value_shape`")
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                             f"equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        self.query_dense = self._projection(len(query_shape), self._key_dim, "query")
        self.query_dense.build(query_shape)
        self.key_dense = self._projection(len(key_shape), self._key_dim, "key")
        self.key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), self._value_dim, "gate",
                                                 activation="sigmoid")
            self._gate_dense.build(query_shape)
        self.value_dense = self._projection(len(value_shape), self._value_dim, "value")
        self.value_dense.build(value_shape)
        rank = len(value_shape) + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a
                                         for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = \
            _attention_equations(rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes if len(norm_axes) > 1 else norm_axes[0],
                                dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype)
        out_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, out_rank = _projection_equation(len(query_shape) - 1, 2,
                                                             len(out_shape))
        self.output_dense = EinsumDense(
            equation, output_shape=[None] * (out_rank - 1 - len(out_shape)) + list(out_shape),
            bias_axes=bias_axes if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        dense_in = list(self.query_dense.compute_output_shape(query_shape))
        dense_in[-1] = self._value_dim
        self.output_dense.build(tuple(dense_in))

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            value = kwargs.pop("value", None)
            if value is None:
                raise ValueError(f"MultiHeadAttention layer {self.name} must be called as "
                                 "layer(query, value, key=None, ...)")
        value = value if isinstance(value, KerasTensor) else _convert_inputs(value, self)
        if key is not None and not isinstance(key, KerasTensor):
            key = _convert_inputs(key, self)
        if not self.built:
            query = query if isinstance(query, KerasTensor) else _convert_inputs(query, self)
            self._build_input_shape = _shape_of(query)
            self.build(_shape_of(query), _shape_of(value),
                       None if key is None else _shape_of(key))
        return super().__call__(query, value, key=key, **kwargs)

    # -- the computation ------------------------------------------------------------------------
    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None,
                                key_mask=None, attention_mask=None, use_causal_mask=False):
        """The boolean (B, T, S) mask merging the inputs' masks, `attention_mask` and the
        causal mask (True: may attend)."""
        auto = None
        if query_mask is not None:
            auto = A.expand_dims(M.cast(query_mask, "bool"), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = A.expand_dims(M.cast(m, "bool"), -2)
                auto = m if auto is None else M.logical_and(auto, m)
        if use_causal_mask:
            m = self._compute_causal_mask(query, value)
            auto = m if auto is None else M.logical_and(auto, m)
        if self._sliding_window is not None:
            m = self._compute_sliding_window_mask(query, value)
            auto = m if auto is None else M.logical_and(auto, m)
        if attention_mask is not None:
            attention_mask = M.cast(attention_mask, "bool")
        if auto is not None:
            attention_mask = auto if attention_mask is None else \
                M.logical_and(attention_mask, auto)
        return attention_mask

    def _compute_causal_mask(self, query, value=None):
        """A (1, T, S) lower-triangular boolean mask."""
        t = A.shape(query)[1]
        s = t if value is None else A.shape(value)[1]
        rows = A.reshape(A.range(t), [1, -1, 1])
        cols = A.reshape(A.range(s), [1, 1, -1])
        return M.greater_equal(rows, cols)

    def _compute_sliding_window_mask(self, query, value=None):
        """A (1, T, S) band: query step i attends to key steps j with |i - j| <
        `sliding_window`."""
        t = A.shape(query)[1]
        s = t if value is None else A.shape(value)[1]
        rows = A.reshape(A.range(t), [1, -1, 1])
        cols = A.reshape(A.range(s), [1, 1, -1])
        return M.less(M.abs(M.subtract(rows, cols)), self._sliding_window)

    def _masked_softmax(self, scores, attention_mask=None, zero_masked_rows=True):
        """The attention probabilities. A query step whose keys are all masked gets zeros
        (`zero_masked_rows`, Keras's Softmax layer) or, as Keras 3's fused
        `dot_product_attention` path gives, the uniform distribution."""
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(scores.shape.rank - attention_mask.shape.rank):
                attention_mask = A.expand_dims(attention_mask, axis)
        if zero_masked_rows or attention_mask is None:
            return self._softmax(scores, mask=attention_mask)
        big = -3e4 if scores.dtype.name == "float16" else -1e9
        scores = M.where(M.cast(attention_mask, "bool"), scores,
                         M.add(A.zeros_like(scores), big))
        return self._softmax(scores)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False):
        """Scaled dot-product attention on projected (B, T, N, H) tensors: (output, scores).

        Keras 3 computes rank-4 attention without dropout or returned scores with its fused
        `dot_product_attention`, where a query step with every key masked attends uniformly;
        otherwise through its Softmax layer, which gives such a step zeros. Both are kept."""
        fused = not (self._dropout > 0.0 or return_attention_scores or query.shape.rank != 4)
        query = M.multiply(query, M.cast(self._inverse_sqrt_key_dim, query.dtype))
        scores = einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask, zero_masked_rows=not fused)
        dropped = self._dropout_layer(scores, training=training) if self._dropout else scores
        return einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if key is None:
            key = value
        if query_mask is None:
            query_mask = get_keras_mask(query)
        if value_mask is None:
            value_mask = get_keras_mask(value)
        if key_mask is None and key is not value:
            key_mask = get_keras_mask(key)
        if attention_mask is not None and not isinstance(attention_mask, Tensor):
            attention_mask = convert_to_tensor(attention_mask)
        attention_mask = self._compute_attention_mask(
            query, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
            attention_mask=attention_mask, use_causal_mask=use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self.query_dense(query)
        k = self.key_dense(key)
        v = self.value_dense(value)
        output, scores = self._compute_attention(q, k, v, attention_mask, training,
                                                 return_attention_scores)
        if gate is not None:
            output = M.multiply(output, gate)
        output = self.output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape
