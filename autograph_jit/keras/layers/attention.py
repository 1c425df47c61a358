"""Keras 3's single-head attention layers: `Attention` (Luong dot-product or "concat" scores)
and `AdditiveAttention` (Bahdanau). Both are called on `[query, value]` or
`[query, value, key]` with `mask=[query_mask, value_mask]` (filled from the inputs' Keras
masks), `use_causal_mask` and `return_attention_scores`."""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import nn_ops as N
from .layer import Layer

__all__ = ["Attention", "AdditiveAttention"]


class Attention(Layer):
    """Dot-product attention: `Attention(use_scale=False, score_mode='dot', dropout=0.0,
    seed=None)`.

    Scores are `query @ key^T` (times the learned scalar `scale` when `use_scale`), or with
    `score_mode='concat'` `concat_score_weight * sum(tanh(scale * (query + key)))`; masked
    positions get -1e9 before the softmax over the value steps; the result is `softmax @ value`,
    zeroed where the query is masked. Calling: `layer([query, value(, key)], mask=None,
    training=False, return_attention_scores=False, use_causal_mask=False)`.

    >>> q = tf.constant([[[1.0, 0.0]]])
    >>> v = tf.constant([[[1.0, 0.0], [0.0, 1.0]]])
    >>> out, scores = tf.keras.layers.Attention()([q, v], return_attention_scores=True)
    >>> np.round(scores.numpy(), 4)
    array([[[0.7311, 0.2689]]], dtype=float32)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale, self.score_mode = use_scale, score_mode
        self.dropout, self.seed = dropout, seed
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', "
                             f"'concat'}}. Received: score_mode={score_mode}")
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")

    def _calculate_scores(self, query, key):
        """(batch, Tq, dim), (batch, Tv, dim) -> scores (batch, Tq, Tv)."""
        if self.score_mode == "dot":
            scores = M.matmul(query, key, transpose_b=True)
            if self.scale is not None:
                scores = M.multiply(scores, self.scale)
            return scores
        total = M.add(A.expand_dims(query, -2), A.expand_dims(key, -3))
        if self.scale is not None:
            total = M.multiply(self.scale, total)
        return M.multiply(self.concat_score_weight, M.reduce_sum(M.tanh(total), axis=-1))

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            padding = M.logical_not(scores_mask)
            big = 65504.0 if scores.dtype.name == "float16" else 1.0e9
            if padding.shape.rank == 2:
                padding = A.expand_dims(padding, -2)
            scores = M.where(padding, M.subtract(scores, big), scores)
        weights = N.softmax(scores, axis=-1)
        if training is not None and training is not False and self.dropout > 0:
            dropped = N.dropout(weights, self.dropout, seed=self.seed)
            weights = dropped if training is True else M.where(M.cast(training, "bool"),
                                                                dropped, weights)
        return M.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        shape = A.shape(scores)
        rows = A.reshape(A.range(shape[-2]), [1, -1, 1])
        cols = A.reshape(A.range(shape[-1]), [1, 1, -1])
        causal = M.greater_equal(rows, cols)
        if v_mask is not None:
            return M.logical_and(A.expand_dims(M.cast(v_mask, "bool"), -2), causal)
        return causal

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        if v_mask is not None:
            v_mask = M.cast(v_mask, "bool")
        scores = self._calculate_scores(q, k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        output, weights = self._apply_scores(scores, v, scores_mask, training)
        if q_mask is not None:
            keep = A.expand_dims(M.cast(q_mask, "bool"), -1)
            output = M.where(keep, output, A.zeros_like(output))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def _validate_inputs(self, inputs, mask=None):
        who = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{who} layer must be called on a list of inputs, namely [query, "
                             f"value] or [query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{who} layer accepts inputs list of length 2 or 3, namely [query, "
                             f"value] or [query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{who} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]. Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{who} layer accepts mask list of length 2 or 3. Received: "
                                 f"mask={mask}.")

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: `AdditiveAttention(use_scale=True, dropout=0.0)`; scores
    are `sum(scale * tanh(query + key), axis=-1)` with `scale` a learned vector of the feature
    size (glorot_uniform), or 1 without `use_scale`.

    >>> q = tf.constant([[[1.0, 0.0]]])
    >>> v = tf.constant([[[1.0, 0.0], [0.0, 1.0]]])
    >>> layer = tf.keras.layers.AdditiveAttention(use_scale=False)
    >>> out, scores = layer([q, v], return_attention_scores=True)
    >>> np.round(scores.numpy(), 4)
    array([[[0.3637, 0.6363]]], dtype=float32)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=[dim],
                                         initializer="glorot_uniform")

    def _calculate_scores(self, query, key):
        total = M.tanh(M.add(A.expand_dims(query, -2), A.expand_dims(key, -3)))
        if self.use_scale:
            total = M.multiply(self.scale, total)
        return M.reduce_sum(total, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
