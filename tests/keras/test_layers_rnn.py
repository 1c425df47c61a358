"""SimpleRNN, LSTM, GRU (cells and layers), RNN with custom and stacked cells, Bidirectional and
TimeDistributed: NumPy step-by-step references, masking, go_backwards, return_state, initial
states, statefulness, gradients against finite differences, graph loops under tf.function
against eager, weight names/shapes and config round trips."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads

rng = np.random.default_rng(6)
X = rng.normal(size=(2, 5, 3))


def _f32(x):
    return np.asarray(x, np.float32)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_simple(x, k, rk, b, h):
    return np.tanh(x @ k + h @ rk + b), None


def np_lstm(x, k, rk, b, h, c):
    u = h.shape[-1]
    z = x @ k + h @ rk + b
    i, f, g, o = _sig(z[:, :u]), _sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), _sig(z[:, 3 * u:])
    c = f * c + i * g
    return o * np.tanh(c), c


def np_gru(x, k, rk, b, h):
    u = h.shape[-1]
    xz = x @ k + b[0]
    inner = h @ rk + b[1]
    z = _sig(xz[:, :u] + inner[:, :u])
    r = _sig(xz[:, u:2 * u] + inner[:, u:2 * u])
    hh = np.tanh(xz[:, 2 * u:] + r * inner[:, 2 * u:])
    return z * h + (1 - z) * hh, None


def run_np(kind, weights, x, mask=None, backwards=False, h0=None):
    k, rk, b = weights
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u)) if h0 is None else h0[0]
    c = np.zeros((x.shape[0], u)) if h0 is None or len(h0) < 2 else h0[1]
    steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    outs = []
    for t in steps:
        if kind == "lstm":
            h_new, c_new = np_lstm(x[:, t], k, rk, b, h, c)
        else:
            h_new, c_new = (np_simple if kind == "simple" else np_gru)(x[:, t], k, rk, b, h)
        if mask is not None:
            m = mask[:, t:t + 1]
            h_new = np.where(m, h_new, h)
            if c_new is not None:
                c_new = np.where(m, c_new, c)
        h = h_new
        c = c_new if c_new is not None else c
        outs.append(h)
    return np.stack(outs, 1), h, c


KINDS = {"simple": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("unroll", [False, True])
def test_recurrent_layer_matches_numpy_step_by_step(kind, unroll):
    layer = KINDS[kind](4, return_sequences=True, return_state=True, unroll=unroll,
                        bias_initializer="random_normal")
    out = layer(_f32(X))
    seq, h, c = run_np(kind, [w.astype(np.float64) for w in layer.get_weights()],
                       _f32(X).astype(np.float64))
    np.testing.assert_allclose(out[0].numpy(), seq, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[1].numpy(), h, rtol=1e-4, atol=1e-5)
    if kind == "lstm":
        np.testing.assert_allclose(out[2].numpy(), c, rtol=1e-4, atol=1e-5)


def test_weight_names_shapes_and_lstm_forget_bias():
    tf.keras.backend.clear_session()
    lstm = layers.LSTM(3)
    lstm(_f32(X))
    assert [v.name for v in lstm.weights] == ["lstm/lstm_cell/kernel:0",
                                              "lstm/lstm_cell/recurrent_kernel:0",
                                              "lstm/lstm_cell/bias:0"]
    k, rk, b = lstm.get_weights()
    assert k.shape == (3, 12) and rk.shape == (3, 12)
    np.testing.assert_array_equal(b, [0] * 3 + [1] * 3 + [0] * 6)
    np.testing.assert_allclose(rk @ rk.T, np.eye(3), atol=1e-5)  # orthogonal rows
    gru = layers.GRU(3)
    gru(_f32(X))
    assert gru.get_weights()[2].shape == (2, 9)
    assert layers.GRU(3, reset_after=False)(_f32(X)).shape == (2, 3)
    assert layers.SimpleRNN(2)(_f32(X)).shape == (2, 2)


def test_masked_steps_keep_the_previous_state():
    mask = np.array([[True, True, True, False, False], [True, False, True, True, True]])
    for kind in ("lstm", "gru", "simple"):
        layer = KINDS[kind](3, return_sequences=True)
        out = layer(_f32(X), mask=tf.constant(mask)).numpy()
        seq, _, _ = run_np(kind, layer.get_weights(), _f32(X), mask=mask)
        np.testing.assert_allclose(out, seq, rtol=1e-4, atol=1e-5)


def test_embedding_mask_zero_flows_into_the_lstm():
    emb = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(2)
    tokens = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    out = lstm(emb(tokens)).numpy()
    want = lstm(emb(tokens[:, :2])[:1]).numpy()
    np.testing.assert_allclose(out[:1], want, rtol=1e-5, atol=1e-6)


def test_go_backwards_and_initial_state():
    layer = layers.GRU(3, go_backwards=True, return_sequences=True)
    h0 = [rng.normal(size=(2, 3)).astype(np.float32)]
    out = layer(_f32(X), initial_state=h0).numpy()
    seq, _, _ = run_np("gru", layer.get_weights(), _f32(X), backwards=True, h0=h0)
    np.testing.assert_allclose(out, seq, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="initial state"):
        layers.LSTM(3)(_f32(X), initial_state=h0)


def test_stateful_rnn_carries_states_across_calls():
    layer = layers.SimpleRNN(3, stateful=True)
    x = _f32(X)
    first = layer(x[:, :2]).numpy()
    second = layer(x[:, 2:]).numpy()
    whole = layers.SimpleRNN(3)
    whole(x)
    whole.cell.set_weights(layer.cell.get_weights())
    np.testing.assert_allclose(second, whole(x).numpy(), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :2]).numpy(), first, rtol=1e-6)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_recurrent_gradients_match_finite_differences(kind):
    check_layer_grads(KINDS[kind](3, return_sequences=True, dtype="float64"), X[:, :3])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_graph_loop_under_tf_function_matches_eager(kind):
    check_layer_compiled(KINDS[kind](4, return_sequences=True), _f32(X))
    check_layer_compiled(KINDS[kind](4, return_state=True), _f32(X))


def test_recurrent_gradients_through_the_compiled_loop_match_eager():
    layer = layers.LSTM(3)
    x = tf.constant(_f32(X))

    def loss():
        return tf.reduce_sum(layer(x) ** 2)
    with tf.GradientTape() as tape:
        eager = loss()
    g_eager = tape.gradient(eager, layer.trainable_weights)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            val = tf.reduce_sum(layer(x) ** 2)
        return val, tape.gradient(val, layer.trainable_weights)
    val, g = step(x)
    assert val.numpy() == pytest.approx(eager.numpy(), rel=1e-5)
    for a, b in zip(g, g_eager):
        np.testing.assert_allclose(tf.convert_to_tensor(a).numpy(),
                                   tf.convert_to_tensor(b).numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_sequence_outputs_inside_an_outer_loop_stay_native(kind):
    # the layer's TensorArray of outputs has its element shape on entry: inside a loop over
    # batches (fit's many-steps loop) it must not turn into a run-time grown array
    layer = KINDS[kind](4, return_sequences=True)
    x = tf.constant(_f32(X))
    layer(x)

    def run(x):
        total = tf.zeros([])
        for _ in tf.range(3):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(layer(x) ** 2)
            grads = tape.gradient(y, layer.trainable_weights)
            total += y + tf.add_n([tf.reduce_sum(g) for g in grads])
        return total
    assert tf.function(run, strict=True)(x).numpy() == pytest.approx(run(x).numpy(), rel=1e-5)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fit_with_sequence_outputs_and_a_partial_last_batch_is_native_and_matches_eager(kind):
    import warnings
    losses = []
    x = rng.random((44, 6, 3)).astype("float32")
    y = rng.random((44, 6, 5)).astype("float32")
    for eager in (False, True):
        tf.keras.utils.set_random_seed(3)
        model = tf.keras.Sequential([tf.keras.Input((6, 3)), KINDS[kind](5, return_sequences=True)])
        model.compile("adam", "mse", run_eagerly=eager)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # an interpreter fallback warns
            losses.append(model.fit(x, y, batch_size=10, epochs=2, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_dropout_in_cells_only_when_training():
    layer = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    a = layer(_f32(X)).numpy()
    np.testing.assert_array_equal(a, layer(_f32(X), training=False).numpy())
    assert not np.allclose(a, layer(_f32(X), training=True).numpy())


def test_rnn_with_custom_and_stacked_cells():
    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units
            self.output_size = units

        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1], self.units), name="k")

        def call(self, inputs, states):
            h = tf.matmul(inputs, self.k) + states[0]
            return h, [h]

    layer = layers.RNN(MinimalCell(2), return_sequences=True)
    out = layer(_f32(X)).numpy()
    k = layer.get_weights()[0]
    np.testing.assert_allclose(out, np.cumsum(_f32(X) @ k, axis=1), rtol=1e-5, atol=1e-6)
    stacked = layers.RNN([layers.LSTMCell(4), layers.GRUCell(2)])
    assert stacked(_f32(X)).shape == (2, 2)
    assert len(stacked.weights) == 6
    clone = check_config_round_trip(layers.RNN(layers.SimpleRNNCell(3)), _f32(X))
    assert isinstance(clone.cell, layers.SimpleRNNCell)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_recurrent_config_round_trip(kind):
    clone = check_config_round_trip(KINDS[kind](3, return_sequences=True, go_backwards=True),
                                    _f32(X))
    assert clone.units == 3 and clone.go_backwards


def test_symbolic_shapes():
    x = tf.keras.Input((7, 3))
    assert tuple(layers.LSTM(4)(x).shape) == (None, 4)
    assert tuple(layers.GRU(4, return_sequences=True)(x).shape) == (None, 7, 4)
    outs = layers.LSTM(4, return_state=True)(x)
    assert [tuple(o.shape) for o in outs] == [(None, 4)] * 3


@pytest.mark.parametrize("mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_merges_forward_and_reversed_backward(mode):
    bi = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=mode)
    out = bi(_f32(X))
    fw, bw = bi.forward_layer.get_weights(), bi.backward_layer.get_weights()
    f_seq, _, _ = run_np("gru", fw, _f32(X))
    b_seq, _, _ = run_np("gru", bw, _f32(X), backwards=True)
    b_seq = b_seq[:, ::-1]
    want = {"concat": np.concatenate([f_seq, b_seq], -1), "sum": f_seq + b_seq,
            "ave": (f_seq + b_seq) / 2, "mul": f_seq * b_seq, None: [f_seq, b_seq]}[mode]
    for got, ref in zip(tf.nest.flatten(out), tf.nest.flatten(want) if mode is None else [want]):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-4, atol=1e-5)


def test_bidirectional_weights_states_gradients_and_config():
    bi = layers.Bidirectional(layers.LSTM(2, return_state=True))
    outs = bi(_f32(X))
    assert len(outs) == 5 and outs[0].shape == (2, 4)
    assert bi.forward_layer.name.startswith("forward_") and bi.backward_layer.go_backwards
    assert len(bi.weights) == 6
    check_layer_grads(layers.Bidirectional(layers.SimpleRNN(2, dtype="float64"),
                                           dtype="float64"), X[:, :3])
    check_layer_compiled(layers.Bidirectional(layers.LSTM(2)), _f32(X))
    check_config_round_trip(layers.Bidirectional(layers.GRU(2, return_sequences=True),
                                                 merge_mode="sum"), _f32(X))
    assert tuple(layers.Bidirectional(layers.LSTM(3, return_sequences=True))(
        tf.keras.Input((5, 3))).shape) == (None, 5, 6)
    with pytest.raises(ValueError, match="merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")


def test_time_distributed_applies_the_layer_to_every_step():
    td = layers.TimeDistributed(layers.Dense(4))
    out = td(_f32(X)).numpy()
    k, b = td.get_weights()
    np.testing.assert_allclose(out, _f32(X) @ k + b, rtol=1e-5, atol=1e-6)
    assert tuple(td(tf.keras.Input((5, 3))).shape) == (None, 5, 4)
    check_layer_grads(layers.TimeDistributed(layers.Dense(2, dtype="float64"), dtype="float64"),
                      X)
    check_layer_compiled(layers.TimeDistributed(layers.Dense(2)), _f32(X))
    clone = check_config_round_trip(layers.TimeDistributed(layers.Dense(2)), _f32(X))
    assert isinstance(clone.layer, layers.Dense)
    images = rng.normal(size=(2, 3, 6, 6, 1)).astype(np.float32)
    conv = layers.TimeDistributed(layers.Conv2D(2, 3))
    assert conv(images).shape == (2, 3, 4, 4, 2)
