"""MultiHeadAttention, EinsumDense, Attention and AdditiveAttention against NumPy references
of Keras 3's formulas and numbers recorded once from TF 2.21 / Keras 3.15 (weights set to the
same values), masks (Keras masks, attention_mask, causal), attention_axes, gradients against
finite differences, compiled against eager, get_config round trips, and the Transformer encoder
block of the TF tutorials trained with compiled `fit` against eager."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads


def _softmax(x, mask=None, axis=-1):
    if mask is not None:
        x = x + (1.0 - mask) * -1e9
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    return out if mask is None else out * mask


def _mha_ref(ws, q, v, k=None, mask=None, key_dim=None):
    """Keras 3's MultiHeadAttention for rank-3 inputs: (output, scores)."""
    k = v if k is None else k
    wq, bq, wk, bk, wv, bv, wo, bo = ws
    qp = np.einsum("btd,dnh->btnh", q, wq) + bq
    kp = np.einsum("bsd,dnh->bsnh", k, wk) + bk
    vp = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    qp = qp / np.sqrt(key_dim)
    scores = np.einsum("bsnh,btnh->bnts", kp, qp)
    m = None if mask is None else mask[:, None].astype(np.float64)
    probs = _softmax(scores, m)
    ctx = np.einsum("bnts,bsnh->btnh", probs, vp)
    return np.einsum("btnh,nhe->bte", ctx, wo) + bo, probs


def _mha_setup():
    """The inputs and weights the TF numbers below were recorded with."""
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 4, 6)).astype(np.float32)
    v = rng.normal(size=(2, 3, 6)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5)
    mha(q, v)
    ws = [(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in mha.get_weights()]
    mha.set_weights(ws)
    return mha, q, v, ws


MASK = np.array([[[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]]] * 2, bool)
# recorded from TF 2.21 (Keras 3.15.1): output[0, :2] and scores[1, 1] with MASK,
# causal output[1, 3]
TF_OUT = np.array([[0.751623, 1.769672, 1.401957, -3.643303, 1.051875, 0.190536],
                   [1.260601, 1.406641, 2.368906, 0.101851, 0.834593, -1.078002]])
TF_SCORES = np.array([[0.566973, 0.433027, 0.], [1., 0., 0.], [0.387932, 0.598362, 0.013707],
                      [0., 0.017636, 0.982364]])
TF_CAUSAL = np.array([-0.663022, 1.048325, 1.673477, -0.935346, 2.770687, -1.004389])


def test_mha_weights_layout_and_order_match_keras():
    tf.keras.backend.clear_session()
    mha, q, v, ws = _mha_setup()
    assert [tuple(w.shape) for w in mha.weights] == [
        (6, 2, 3), (2, 3), (6, 2, 3), (2, 3), (6, 2, 5), (2, 5), (2, 5, 6), (6,)]
    assert [w.path for w in mha.weights] == [
        "multi_head_attention/query/kernel", "multi_head_attention/query/bias",
        "multi_head_attention/key/kernel", "multi_head_attention/key/bias",
        "multi_head_attention/value/kernel", "multi_head_attention/value/bias",
        "multi_head_attention/attention_output/kernel",
        "multi_head_attention/attention_output/bias"]
    assert [layer.name for layer in (mha.query_dense, mha.key_dense, mha.value_dense,
                                     mha.output_dense)] == ["query", "key", "value",
                                                            "attention_output"]


def test_mha_matches_numpy_and_tf_with_attention_mask_and_scores():
    mha, q, v, ws = _mha_setup()
    out, scores = mha(q, v, attention_mask=MASK, return_attention_scores=True)
    want_out, want_scores = _mha_ref([w.astype(np.float64) for w in ws], q, v, mask=MASK,
                                     key_dim=3)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out.numpy()[0, :2], TF_OUT, atol=2e-5)
    np.testing.assert_allclose(scores.numpy()[1, 1], TF_SCORES, atol=2e-6)
    assert scores.shape == (2, 2, 4, 3)


def test_mha_causal_mask_matches_tf_and_a_lower_triangular_attention_mask():
    mha, q, v, ws = _mha_setup()
    out = mha(q, v, use_causal_mask=True).numpy()
    np.testing.assert_allclose(out[1, 3], TF_CAUSAL, atol=2e-5)
    tri = np.tril(np.ones((4, 3), bool))[None].repeat(2, 0)
    np.testing.assert_allclose(out, mha(q, v, attention_mask=tri).numpy(), atol=1e-6)


def test_mha_key_differs_from_value_and_keras_masks_of_the_inputs_are_used():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2, 3, 4)).astype(np.float32)
    v = rng.normal(size=(2, 5, 4)).astype(np.float32)
    k = rng.normal(size=(2, 5, 4)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=3, key_dim=2)
    out = mha(q, v, key=k)
    ws = [w.astype(np.float64) for w in mha.get_weights()]
    np.testing.assert_allclose(out.numpy(), _mha_ref(ws, q, v, k, key_dim=2)[0], rtol=1e-4,
                               atol=1e-5)
    # a Keras mask on value (from Masking / Embedding(mask_zero)) masks the keys
    v_masked = v.copy()
    v_masked[:, 3:] = 0.0
    vm = layers.Masking()(v_masked)
    got = mha(q, vm, key=k).numpy()
    key_mask = np.ones((2, 3, 5), bool)
    key_mask[:, :, 3:] = False
    want = _mha_ref(ws, q, v_masked, k, mask=key_mask, key_dim=2)[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # query_mask/value_mask arguments do the same as the Keras masks
    explicit = mha(q, v_masked, key=k, value_mask=key_mask[:, 0]).numpy()
    np.testing.assert_allclose(explicit, got, atol=1e-6)


def test_mha_output_shape_and_attention_axes_over_two_axes():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2),
                                    output_shape=7)
    out, scores = mha(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 7)
    assert scores.shape == (2, 2, 3, 4, 3, 4)
    wq, bq, wk, bk, wv, bv, wo, bo = [w.astype(np.float64) for w in mha.get_weights()]
    qp = (np.einsum("abcd,dnh->abcnh", x, wq) + bq) / np.sqrt(3)
    kp = np.einsum("abcd,dnh->abcnh", x, wk) + bk
    vp = np.einsum("abcd,dnh->abcnh", x, wv) + bv
    s = np.einsum("aefnh,abcnh->anbcef", kp, qp).reshape(2, 2, 3, 4, 12)
    p = _softmax(s).reshape(2, 2, 3, 4, 3, 4)
    want = np.einsum("abcnh,nho->abco", np.einsum("anbcef,aefnh->abcnh", p, vp), wo) + bo
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)
    assert mha.attention_axes == (1, 2)


def test_mha_gradients_against_finite_differences():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64")

    class Self(layers.Layer):
        def __init__(self, inner, **kw):
            super().__init__(**kw)
            self.inner = inner

        def call(self, v):
            return self.inner(v, v, use_causal_mask=True)
    check_layer_grads(Self(mha, dtype="float64"), x, rtol=1e-4, atol=1e-6)


def test_mha_compiled_matches_eager_and_config_round_trip():
    mha, q, v, ws = _mha_setup()

    class Pair(layers.Layer):
        def __init__(self, inner, **kw):
            super().__init__(**kw)
            self.inner = inner

        def call(self, x):
            return self.inner(x[0], x[1], attention_mask=MASK)
    check_layer_compiled(Pair(mha), [q, v])
    config = mha.get_config()
    assert {k: config[k] for k in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias",
                                   "output_shape", "attention_axes", "seed")} == {
        "num_heads": 2, "key_dim": 3, "value_dim": 5, "dropout": 0.0, "use_bias": True,
        "output_shape": None, "attention_axes": (1,), "seed": None}
    clone = layers.MultiHeadAttention.from_config(config)
    clone(q, v)
    clone.set_weights(mha.get_weights())
    np.testing.assert_allclose(clone(q, v).numpy(), mha(q, v).numpy(), atol=1e-6)


def test_mha_dropout_only_when_training_and_bad_arguments():
    tf.keras.backend.clear_session()
    x = np.ones((1, 4, 3), np.float32)
    mha = layers.MultiHeadAttention(num_heads=1, key_dim=2, dropout=0.5, seed=1)
    a = mha(x, x).numpy()
    np.testing.assert_array_equal(a, mha(x, x, training=False).numpy())
    _, s = mha(x, x, training=True, return_attention_scores=True)
    np.testing.assert_allclose(s.numpy().sum(-1), 1.0, rtol=1e-5)  # scores before dropout
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim"):
        layers.MultiHeadAttention(num_heads=1, key_dim=None)
    with pytest.raises(ValueError, match="except the last one"):
        layers.MultiHeadAttention(1, 2)(x, x, key=np.ones((1, 5, 3), np.float32))


def test_mha_in_a_functional_model():
    tf.keras.backend.clear_session()
    inp = tf.keras.Input((5, 8))
    out = layers.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    model = tf.keras.Model(inp, out)
    assert model.output_shape == (None, 5, 8)
    x = np.random.default_rng(4).normal(size=(3, 5, 8)).astype(np.float32)
    assert model(x).shape == (3, 5, 8)


def test_einsum_dense_shapes_bias_and_numpy_reference():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    layer = layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d",
                               activation="relu")
    out = layer(x).numpy()
    k, b = layer.get_weights()
    np.testing.assert_allclose(out, np.maximum(np.einsum("abc,cd->abd", x, k) + b, 0),
                               rtol=1e-5, atol=1e-6)
    ell = layers.EinsumDense("...b,bc->...c", output_shape=6, bias_axes="c")
    assert ell(x).shape == (2, 3, 6)
    assert [tuple(w.shape) for w in ell.weights] == [(4, 6), (6,)]
    right = layers.EinsumDense("ab...,bc->ac...", output_shape=(2,))
    assert right(np.ones((2, 3, 7), np.float32)).shape == (2, 2, 7)
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->b", output_shape=3)
    check_config_round_trip(layer, x)
    check_layer_grads(layers.EinsumDense("abc,cde->abde", (None, 2, 2), bias_axes="e",
                                         dtype="float64"), rng.normal(size=(2, 2, 3)))


# --- Attention / AdditiveAttention ------------------------------------------------------------

def _att_inputs():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2, 3, 4)).astype(np.float32)
    v = rng.normal(size=(2, 5, 4)).astype(np.float32)
    k = rng.normal(size=(2, 5, 4)).astype(np.float32)
    qm = np.array([[1, 1, 0], [1, 1, 1]], bool)
    vm = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    return q, v, k, qm, vm


def _att_ref(scores, v, vm=None, qm=None, causal=False):
    mask = None
    if vm is not None:
        mask = np.broadcast_to(vm[:, None, :], scores.shape)
    if causal:
        tri = np.tril(np.ones(scores.shape[-2:], bool))
        mask = tri if mask is None else mask & tri
    if mask is not None:
        scores = np.where(mask, scores, scores - 1e9)
    w = _softmax(scores)
    out = w @ v
    if qm is not None:
        out = np.where(qm[..., None], out, 0)
    return out, w


# recorded from TF 2.21 with the inputs of _att_inputs: output[0] with masks, weights[1],
# causal output[1, :2] for Attention(); Attention(use_scale, 'concat') with scale 0.7 and
# concat_score_weight 0.7; AdditiveAttention() with scale [0.7, 0.8, 0.9, 1.0]
TF_ATT = {
    "dot": ([[-0.279715, 0.324804, 1.523974, -0.659428],
             [-1.631384, -0.197191, 0.262403, -0.012648], [0.0, 0.0, 0.0, 0.0]],
            [[0.111280, 0.0, 0.030591, 0.468177, 0.389952],
             [0.245793, 0.0, 0.147326, 0.483496, 0.123385],
             [0.156561, 0.0, 0.187531, 0.094020, 0.561888]],
            [[-0.098270, 0.095483, 0.035586, -0.506292],
             [0.188128, 0.424784, 0.153644, -0.635390]]),
    # output[1] with the masks
    "concat": [[0.213125, 0.063922, -0.404298, -0.746523],
               [0.246218, 0.037755, -0.359657, -0.751358],
               [0.162537, 0.085784, -0.400128, -0.725240]],
    "additive": [[0.174502, 0.094816, -0.458815, -0.751334],
                 [0.225854, 0.059285, -0.410503, -0.769901],
                 [0.092166, 0.120167, -0.412141, -0.718583]],
}


def test_attention_dot_matches_numpy_and_tf_with_masks_and_causal():
    tf.keras.backend.clear_session()
    q, v, k, qm, vm = _att_inputs()
    layer = layers.Attention()
    out, w = layer([q, v, k], mask=[qm, vm], return_attention_scores=True)
    want_out, want_w = _att_ref(np.einsum("btd,bsd->bts", q, k), v, vm, qm)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-5, atol=1e-6)
    tf_out, tf_w, tf_causal = TF_ATT["dot"]
    np.testing.assert_allclose(out.numpy()[0], tf_out, atol=2e-6)
    np.testing.assert_allclose(w.numpy()[1], tf_w, atol=2e-6)
    causal = layer([q, v], use_causal_mask=True).numpy()
    np.testing.assert_allclose(causal[1, :2], tf_causal, atol=2e-6)
    np.testing.assert_allclose(causal, _att_ref(np.einsum("btd,bsd->bts", q, v), v,
                                                causal=True)[0], rtol=1e-5, atol=1e-6)


def test_attention_scale_and_concat_scores_and_gradients():
    tf.keras.backend.clear_session()
    q, v, k, qm, vm = _att_inputs()
    layer = layers.Attention(use_scale=True, score_mode="concat")
    layer([q, v, k])
    assert [w.name.split("/")[-1] for w in layer.weights] == ["scale:0",
                                                               "concat_score_weight:0"]
    layer.set_weights([np.float32(0.7), np.float32(0.8)])
    out = layer([q, v, k]).numpy()
    scores = 0.8 * np.tanh(0.7 * (q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    np.testing.assert_allclose(out, _att_ref(scores, v)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer([q, v, k], mask=[qm, vm]).numpy()[1], TF_ATT["concat"],
                               atol=2e-6)
    dot = layers.Attention(use_scale=True, dtype="float64")

    class Wrap(layers.Layer):
        def __init__(self, inner, **kw):
            super().__init__(**kw)
            self.inner = inner

        def call(self, x):
            return self.inner([x, x[:, ::-1]], use_causal_mask=True)
    check_layer_grads(Wrap(dot, dtype="float64"), np.random.default_rng(2).normal(size=(2, 3, 2)))


def test_additive_attention_matches_numpy_and_tf():
    tf.keras.backend.clear_session()
    q, v, k, qm, vm = _att_inputs()
    layer = layers.AdditiveAttention()
    layer([q, v, k])
    scale = np.array([0.7, 0.8, 0.9, 1.0], np.float32)
    layer.set_weights([scale])
    out, w = layer([q, v, k], mask=[qm, vm], return_attention_scores=True)
    scores = (scale * np.tanh(q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    want_out, want_w = _att_ref(scores, v, vm, qm)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.numpy()[1], TF_ATT["additive"], atol=2e-6)
    # TF 2.21 gives [[[0.363742, 0.636258]]] here
    _, s = layers.AdditiveAttention(use_scale=False)(
        [np.array([[[1.0, 0.0]]], np.float32), np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)],
        return_attention_scores=True)
    np.testing.assert_allclose(s.numpy(), [[[0.363742, 0.636258]]], atol=1e-6)
    assert "score_mode" not in layer.get_config()
    check_config_round_trip(layer, [q, v, k])


def test_attention_output_mask_is_the_query_mask_and_bad_inputs():
    q, v, k, qm, vm = _att_inputs()
    qt = layers.Masking()(np.where(qm[..., None], q, 0.0).astype(np.float32))
    out = layers.Attention()([qt, v])
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(out).numpy(), qm)
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="cosine")
    assert layers.Attention().get_config()["score_mode"] == "dot"


# --- the Transformer encoder block of the TF tutorials -----------------------------------------

class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = tf.keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                        layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


def _transformer_model(seed):
    tf.keras.utils.set_random_seed(seed)
    inputs = layers.Input(shape=(6,))
    x = layers.Embedding(20, 8)(inputs)
    x = TransformerBlock(8, 2, 16, rate=0.0)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return tf.keras.Model(inputs, outputs)


def test_transformer_encoder_block_trains_with_compiled_fit_as_eager():
    rng = np.random.default_rng(6)
    x = rng.integers(0, 20, size=(32, 6))
    y = (x[:, 0] > 9).astype(np.int64)
    histories = []
    for run_eagerly in (False, True):
        tf.keras.backend.clear_session()
        model = _transformer_model(7)
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      run_eagerly=run_eagerly)
        h = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        histories.append((h.history["loss"], [w.copy() for w in model.get_weights()]))
    (loss_c, w_c), (loss_e, w_e) = histories
    np.testing.assert_allclose(loss_c, loss_e, rtol=1e-4)
    assert loss_c[-1] < loss_c[0]
    for a, b in zip(w_c, w_e):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


# recorded from TF 2.21: MultiHeadAttention(2, 3, use_gate=True, sliding_window=2) on
# rng(0).normal((2, 5, 6)) with weights rng.normal * 0.5, causal: output[1], scores[0, 1]
TF_GATED_OUT = [[-0.026344, 1.278688, -0.255071, -0.040069, -1.169606, -0.334279],
                [-0.026978, 1.274621, -0.178515, -0.109357, -0.49725, -0.239836],
                [-0.174345, 1.526372, -0.566211, -1.460749, -0.29609, -0.56532],
                [0.113089, -0.251097, -0.355461, -0.687532, -0.516414, -0.740889],
                [0.325002, 0.856778, 0.129489, -0.01319, 0.18878, -0.090226]]
TF_BAND_SCORES = [[1.0, 0.0, 0.0, 0.0, 0.0], [0.613083, 0.386917, 0.0, 0.0, 0.0],
                  [0.0, 0.241663, 0.758337, 0.0, 0.0], [0.0, 0.0, 0.026681, 0.973319, 0.0],
                  [0.0, 0.0, 0.0, 0.618846, 0.381154]]


def test_mha_gate_and_sliding_window_match_tf():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 5, 6)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True, sliding_window=2)
    mha(q, q)
    assert [w.path for w in mha.weights][4:6] == ["multi_head_attention/gate/kernel",
                                                 "multi_head_attention/gate/bias"]
    ws = [(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in mha.get_weights()]
    mha.set_weights(ws)
    out, scores = mha(q, q, return_attention_scores=True, use_causal_mask=True)
    np.testing.assert_allclose(out.numpy()[1], TF_GATED_OUT, atol=2e-6)
    np.testing.assert_allclose(scores.numpy()[0, 1], TF_BAND_SCORES, atol=2e-6)
    wq, bq, wk, bk, wg, bg, wv, bv, wo, bo = [w.astype(np.float64) for w in ws]
    band = np.abs(np.arange(5)[:, None] - np.arange(5)[None]) < 2
    mask = (band & np.tril(np.ones((5, 5), bool)))[None].repeat(2, 0)
    gate = 1 / (1 + np.exp(-(np.einsum("btd,dnh->btnh", q, wg) + bg)))
    qp = (np.einsum("btd,dnh->btnh", q, wq) + bq) / np.sqrt(3)
    kp = np.einsum("bsd,dnh->bsnh", q, wk) + bk
    vp = np.einsum("bsd,dnh->bsnh", q, wv) + bv
    p = _softmax(np.einsum("bsnh,btnh->bnts", kp, qp), mask[:, None].astype(np.float64))
    want = np.einsum("btnh,nhe->bte", np.einsum("bnts,bsnh->btnh", p, vp) * gate, wo) + bo
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)
    config = mha.get_config()
    assert (config["use_gate"], config["sliding_window"]) == (True, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.MultiHeadAttention(1, 2, sliding_window=0)
    with pytest.raises(ValueError, match="flash_attention"):
        layers.MultiHeadAttention(1, 2, flash_attention=True)


# --- Keras 3 files ------------------------------------------------------------------------------

def _datasets(f):
    out = {}
    f.visititems(lambda path, obj: out.__setitem__(path, obj.shape)
                 if hasattr(obj, "shape") else None)
    return out


def test_a_keras3_file_with_attention_layers_loads_and_ours_has_its_weight_layout(tmp_path):
    """tests/keras/fixtures/attention.keras was written by real Keras 3.15 (TF 2.21) with
    make_attention_fixture.py; real Keras 3 loads the file we write back (checked with its
    `--check-ours`: the predictions agree)."""
    import io
    import os
    import zipfile
    h5py = pytest.importorskip("h5py")
    fixtures = os.path.join(os.path.dirname(__file__), "fixtures")
    data = np.load(os.path.join(fixtures, "attention.npz"))
    model = tf.keras.models.load_model(os.path.join(fixtures, "attention.keras"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=1e-5,
                               atol=1e-6)
    ours = tmp_path / "ours.keras"
    model.save(ours)
    with zipfile.ZipFile(ours) as zo, zipfile.ZipFile(
            os.path.join(fixtures, "attention.keras")) as zk:
        with h5py.File(io.BytesIO(zo.read("model.weights.h5")), "r") as o, \
                h5py.File(io.BytesIO(zk.read("model.weights.h5")), "r") as k:
            assert _datasets(o) == _datasets(k)
            assert "layers/multi_head_attention/query_dense/vars/0" in _datasets(o)
        import json
        layers_config = json.loads(zo.read("config.json"))["config"]["layers"]
    mha = next(lc for lc in layers_config if lc["class_name"] == "MultiHeadAttention")
    assert mha["build_config"] == {"shapes_dict": {"query_shape": [None, 5, 8],
                                                   "value_shape": [None, 5, 8]}}
    again = tf.keras.models.load_model(ours)
    np.testing.assert_allclose(again.predict(data["x"], verbose=0), data["y"], rtol=1e-5,
                               atol=1e-6)


# recorded from TF 2.21 (Keras 3.15): Embedding(10, 8, mask_zero=True) -> MultiHeadAttention(2, 4)
# with weights rng(0).normal * 0.5; sample 0 has 3 real steps. Output rows 0 and 3 of predict
# (fused path: a padded query step attends uniformly), row 3 with return_attention_scores
# (Softmax path: zeros, so the output bias), and the scores of head 1, query steps 2 and 3.
TF_MASKED_ROW0 = [-0.80481, 0.75941, 1.29494, -1.17092, -0.79288, -0.18244, -0.27108, 0.62636]
TF_MASKED_ROW3_FUSED = [-1.14625, 0.90686, 1.77494, -1.12464, -1.10353, -0.28333, 0.47242,
                        0.5763]
TF_MASKED_ROW3_SCORES = [-0.6876, 0.99924, 0.47343, -0.1896, -0.40933, -0.48451, 0.06169,
                         -0.32401]
TF_MASKED_PROBS = [[0.37634, 0.34512, 0.27853, 0, 0, 0], [0, 0, 0, 0, 0, 0]]


def test_mha_with_embedding_masks_matches_tf_in_both_keras_paths():
    tf.keras.backend.clear_session()
    rng = np.random.default_rng(0)
    inp = tf.keras.Input((6,), dtype="int32")
    emb = layers.Embedding(10, 8, mask_zero=True)
    mha = layers.MultiHeadAttention(2, 4)
    e = emb(inp)
    model = tf.keras.Model(inp, mha(e, e))
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5
                       for w in model.get_weights()])
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 0]])
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out[0, 0], TF_MASKED_ROW0, atol=2e-5)
    np.testing.assert_allclose(out[0, 3:], [TF_MASKED_ROW3_FUSED] * 3, atol=2e-5)
    np.testing.assert_allclose(model(x).numpy(), out, atol=1e-5)
    ee = emb(x)
    o, s = mha(ee, ee, return_attention_scores=True)
    np.testing.assert_allclose(o.numpy()[0, 3:5], [TF_MASKED_ROW3_SCORES] * 2, atol=2e-5)
    np.testing.assert_allclose(s.numpy()[0, 1, 2:4], TF_MASKED_PROBS, atol=2e-5)
    np.testing.assert_allclose(o.numpy()[0, 3], mha.output_dense.bias.numpy(), atol=1e-6)
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(o).numpy(), x != 0)
