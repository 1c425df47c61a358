"""SwapEMAWeights (evaluate/predict on the optimizer's moving averages, the trained weights
back afterwards; `swap_on_epoch`) and OrthogonalRegularizer (NumPy reference of Keras 3's
formula, numbers recorded once from TF 2.21, as a kernel regularizer) and RemoteMonitor
(posting to a 127.0.0.1 server that stops with the test)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import callbacks, regularizers


class Record(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = {}

    def _keep(self, key):
        self.seen[key] = [w.copy() for w in self.model.get_weights()]

    def on_test_batch_begin(self, batch, logs=None):
        self._keep("test")

    def on_predict_batch_begin(self, batch, logs=None):
        self._keep("predict")

    def on_epoch_end(self, epoch, logs=None):
        self._keep(f"epoch_end_{epoch}")

    def on_epoch_begin(self, epoch, logs=None):
        self._keep(f"epoch_begin_{epoch}")


def _model_with_ema():
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                  loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 2)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    # three steps by hand so that the weights and their averages differ
    for _ in range(3):
        model.train_on_batch(x, y)
    return model, x, y


def _averages(model):
    return [v.numpy().copy() for v in model.optimizer._model_variables_moving_average]


def test_swap_ema_weights_evaluates_and_predicts_on_the_averages_then_restores():
    model, x, y = _model_with_ema()
    trained = [w.copy() for w in model.get_weights()]
    averages = _averages(model)
    assert not np.allclose(trained[0], averages[0])
    rec = Record()
    model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights(), rec])
    for got, want in zip(rec.seen["test"], averages):
        np.testing.assert_allclose(got, want)
    for got, want in zip(model.get_weights(), trained):
        np.testing.assert_allclose(got, want)
    model.predict(x, verbose=0, callbacks=[callbacks.SwapEMAWeights(), rec])
    for got, want in zip(rec.seen["predict"], averages):
        np.testing.assert_allclose(got, want)
    for got, want in zip(model.get_weights(), trained):   # restored (see docs/differences.md)
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(_averages(model)[0], averages[0])


def test_swap_on_epoch_puts_the_averages_in_between_epochs_and_keeps_them_at_the_end():
    model, x, y = _model_with_ema()
    rec = Record()
    swap = callbacks.SwapEMAWeights(swap_on_epoch=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[swap, rec])
    # at epoch 0's end (after the swap) the model holds the averages; the next epoch trains on
    # the trained weights again
    assert not np.allclose(rec.seen["epoch_end_0"][0], rec.seen["epoch_begin_1"][0])
    # after the last epoch the averages stay in the model and the EMA slots take them too
    np.testing.assert_allclose(model.get_weights()[0], rec.seen["epoch_end_1"][0])
    np.testing.assert_allclose(_averages(model)[0], model.get_weights()[0])


def test_swap_ema_weights_needs_an_ema_optimizer():
    tf.keras.backend.clear_session()
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), np.float32)
    model.train_on_batch(x, np.ones((4, 1), np.float32))
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(x, np.ones((4, 1), np.float32), verbose=0,
                       callbacks=[callbacks.SwapEMAWeights()])


W = np.array([[1.0, 0.2, -0.5], [0.3, 1.0, 0.7], [0.0, -0.4, 1.0], [1.0, 1.0, 1.0]], np.float32)
TF_ORTHO = {"rows": 0.11984479427337646, "columns": 0.14849844574928284}   # factor 0.3


def ortho_ref(w, factor, mode):
    w = w.astype(np.float64)
    if mode == "columns":
        w = w.T
    w = w / np.sqrt((w ** 2).sum(1, keepdims=True))
    p = w @ w.T
    n = w.shape[0]
    return factor * 0.5 * np.abs(p - np.diag(np.diag(p))).sum() / (n * (n - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_numpy_and_tf(mode):
    reg = regularizers.OrthogonalRegularizer(0.3, mode=mode)
    got = float(reg(tf.constant(W)))
    np.testing.assert_allclose(got, ortho_ref(W, 0.3, mode), rtol=1e-5)
    np.testing.assert_allclose(got, TF_ORTHO[mode], rtol=1e-6)
    assert reg.get_config() == {"factor": 0.3, "mode": mode}
    assert float(regularizers.deserialize(regularizers.serialize(reg))(tf.constant(W))) == got


def test_orthogonal_regularizer_as_kernel_regularizer_and_errors():
    assert float(regularizers.OrthogonalRegularizer(1.0)(tf.eye(3))) == 0.0
    layer = tf.keras.layers.Dense(3, kernel_regularizer="orthogonal_regularizer")
    layer(np.ones((1, 4), np.float32))
    want = ortho_ref(layer.kernel.numpy(), 0.01, "rows")
    np.testing.assert_allclose(float(layer.losses[0]), want, rtol=1e-5)
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(tf.ones([2, 2, 2]))
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


# --- RemoteMonitor ------------------------------------------------------------------------------

def _serve(received):
    """A 127.0.0.1 HTTP server recording each POST (path, headers, body), in a daemon thread."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 5
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_each_epochs_logs(send_as_json):
    import json
    import urllib.parse
    received = []
    server = _serve(received)
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}"
        monitor = callbacks.RemoteMonitor(root=root, path="/publish/", field="payload",
                                          headers={"X-Run": "7"}, send_as_json=send_as_json)
        tf.keras.backend.clear_session()
        model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        x = np.ones((8, 2), np.float32)
        history = model.fit(x, np.ones((8, 1), np.float32), epochs=2, verbose=0,
                            callbacks=[monitor])
    finally:
        server.shutdown()
        server.server_close()
    assert [path for path, _, _ in received] == ["/publish/", "/publish/"]
    sent = []
    for _, headers, body in received:
        assert headers["X-Run"] == "7"
        if send_as_json:
            assert headers["Content-Type"] == "application/json"
            sent.append(json.loads(body))
        else:
            form = urllib.parse.parse_qs(body.decode())
            sent.append(json.loads(form["payload"][0]))
    assert [s["epoch"] for s in sent] == [0, 1]
    np.testing.assert_allclose([s["loss"] for s in sent], history.history["loss"], rtol=1e-6)


def test_remote_monitor_warns_when_the_server_is_unreachable():
    import socket
    with socket.socket() as s:      # a port with no server behind it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monitor = callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        monitor.on_epoch_end(0, {"loss": np.float32(0.5)})


def test_fit_validation_runs_on_the_averages_with_swap_ema_weights():
    model, x, y = _model_with_ema()

    class Spy(callbacks.Callback):
        seen = {}

        def on_test_begin(self, logs=None):    # after SwapEMAWeights' swap
            Spy.seen["in_model"] = [w.copy() for w in self.model.get_weights()]
            Spy.seen["in_slots"] = _averages(self.model)

        def on_epoch_end(self, epoch, logs=None):
            Spy.seen["after"] = [w.copy() for w in self.model.get_weights()]
            Spy.seen["after_slots"] = _averages(self.model)
            Spy.seen["val_loss"] = logs["val_loss"]
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.SwapEMAWeights(), Spy()])
    seen = Spy.seen
    assert not np.allclose(seen["in_model"][0], seen["in_slots"][0])
    # validation ran on the averages; afterwards the trained weights are back in the model
    kernel, bias = seen["in_model"]
    np.testing.assert_allclose(seen["val_loss"], np.mean((x @ kernel + bias - y) ** 2),
                               rtol=1e-5)
    np.testing.assert_allclose(seen["after"][0], seen["in_slots"][0])
    np.testing.assert_allclose(seen["after_slots"][0], seen["in_model"][0])
