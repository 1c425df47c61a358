"""TF Serving's REST API: every endpoint's body and status code, and every error as a 4xx/5xx
`{"error": ...}` body, on a live server over 127.0.0.1."""
import json
import socket

import numpy as np
import pytest

from autograph_jit import errors
from autograph_jit.serving import status

from .conftest import W

X = [[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]]


def test_model_status_reports_the_served_version_available(serve, client):
    c = client(serve("linear"))
    assert c.get("/v1/models/linear") == (200, {"model_version_status": [
        {"version": "1", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]})
    assert c.get("/v1/models/linear/versions/1")[0] == 200


def test_metadata_lists_serving_default_inputs_and_outputs_with_dtype_and_shape(serve, client):
    code, doc = client(serve("linear")).get("/v1/models/linear/metadata")
    assert code == 200
    assert doc["model_spec"] == {"name": "linear", "signature_name": "", "version": "1"}
    sig = doc["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    x = sig["inputs"]["x"]
    assert x["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in x["tensor_shape"]["dim"]] == ["-1", "3"]
    out = sig["outputs"]["output_0"]
    assert out["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in out["tensor_shape"]["dim"]] == ["-1", "2"]


def test_predict_row_format_returns_predictions_per_instance(serve, client):
    code, doc = client(serve("linear")).post("/v1/models/linear:predict", {"instances": X})
    assert code == 200
    np.testing.assert_allclose(doc["predictions"], np.array(X, np.float32) @ W, rtol=1e-6)


def test_predict_columnar_format_returns_outputs(serve, client):
    c = client(serve("linear"))
    code, doc = c.post("/v1/models/linear:predict", {"inputs": {"x": X}})
    assert code == 200
    np.testing.assert_allclose(doc["outputs"], np.array(X, np.float32) @ W, rtol=1e-6)
    code, doc2 = c.post("/v1/models/linear/versions/1:predict",
                        {"inputs": X, "signature_name": "serving_default"})
    assert (code, doc2) == (200, doc)


def test_predict_with_named_inputs_and_dict_outputs_in_both_formats(serve, client):
    c = client(serve("two"))
    code, doc = c.post("/v1/models/two:predict",
                       {"instances": [{"a": [1, 2], "n": 2}, {"a": [3, 4], "n": 3}]})
    assert code == 200
    assert doc == {"predictions": [{"scaled": 6.0, "sum": 3.0}, {"scaled": 21.0, "sum": 7.0}]}
    code, doc = c.post("/v1/models/two:predict", {"inputs": {"a": [[1, 2]], "n": [2]}})
    assert (code, doc) == (200, {"outputs": {"scaled": [6.0], "sum": [3.0]}})


def test_classify_returns_label_score_pairs_when_the_signature_has_scores(serve, client):
    code, doc = client(serve("classifier")).post(
        "/v1/models/classifier:classify", {"examples": [{"x": [0.0, 0.0, 0.0]}]})
    assert code == 200
    assert [label for label, _ in doc["results"][0]] == ["0", "1", "2"]
    np.testing.assert_allclose([s for _, s in doc["results"][0]], [1 / 3] * 3, rtol=1e-6)


def test_regress_returns_one_value_per_example_with_context_merged(serve, client):
    c = client(serve("regressor"))
    code, doc = c.post("/v1/models/regressor:regress",
                       {"examples": [{"x": [1, 2, 3]}, {"x": [0, 0, 1]}]})
    assert (code, doc) == (200, {"results": [6.0, 1.0]})
    code, doc = c.post("/v1/models/regressor:regress", {"context": {"x": [1, 1, 1]},
                                                         "examples": [{}, {}]})
    assert (code, doc) == (200, {"results": [3.0, 3.0]})


@pytest.mark.parametrize("action", [":classify", ":regress"])
def test_classify_and_regress_on_a_predict_only_signature_are_400_saying_why(serve, client,
                                                                             action):
    code, doc = client(serve("linear")).post(f"/v1/models/linear{action}",
                                             {"examples": [{"x": [1, 2, 3]}]})
    assert code == 400
    assert f"cannot {action[1:]}" in doc["error"] and "Use :predict" in doc["error"]


@pytest.mark.parametrize("body, words", [
    ('{"instances": [[1, 2, 3]', "JSON Parse error"),
    ("[1, 2]", "must be a JSON object"),
    ({"instances": [[1, 2]]}, "expected shape [-1, 3]"),
    ({"inputs": [[[1, 2, 3]]]}, "expected shape [-1, 3]"),
    ({"instances": [[1, 2, 3], [1, 2]]}, "do not form a tensor"),
    ({"instances": [["a", "b", "c"]]}, "expected values of type DT_FLOAT, got string"),
    ({"instances": [[1, None, 3]]}, "got mixed or null values"),
    ({"instances": [[1, 2, 3]], "signature_name": "nope"}, 'Serving signature name: "nope"'),
    ({"signature_name": "serving_default"}, "Missing 'inputs' or 'instances' key"),
    ({"instances": [[1, 2, 3]], "inputs": [[1, 2, 3]]}, "Not both"),
    ({"instances": []}, "non-empty"),
    ({"instances": [[1, 2, 3]], "extra": 1}, "unknown key"),
    ({"inputs": {"y": [[1, 2, 3]]}}, "must name the signature's inputs"),
])
def test_bad_predict_requests_are_400_with_a_message(serve, client, body, words):
    c = client(serve("linear"))
    code, doc = c.post("/v1/models/linear:predict", body)
    assert code == 400 and words in doc["error"], doc
    assert c.post("/v1/models/linear:predict", {"instances": X})[0] == 200  # still serving


def test_integer_input_rejects_float_values(serve, client):
    code, doc = client(serve("two")).post("/v1/models/two:predict",
                                          {"inputs": {"a": [[1, 2]], "n": [2.5]}})
    assert code == 400 and "DT_INT32, got float" in doc["error"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/models/other"),
    ("POST", "/v1/models/other:predict"),
    ("GET", "/v1/models/linear/versions/2"),
    ("POST", "/v1/models/linear/versions/2:predict"),
    ("GET", "/v1/models/linear:predict"),
    ("POST", "/v1/models/linear/metadata"),
    ("GET", "/v2/whatever"),
])
def test_unknown_model_version_or_path_is_404(serve, client, method, path):
    code, doc = client(serve("linear")).request(method, path, body="{}" if method == "POST"
                                                else None)
    assert code == 404 and doc["error"]


def test_body_over_the_limit_is_413_without_reading_it(serve):
    server = serve("linear", max_body_bytes=1000)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"POST /v1/models/linear:predict HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 100000000\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 413")
    assert b"exceeds the server's limit of 1000 bytes" in data


def test_internal_failure_is_500_and_the_server_keeps_serving(serve, client, monkeypatch):
    server = serve("linear")
    c = client(server)
    servable = server.models["linear"].get()
    monkeypatch.setattr(servable, "run", lambda *a: 1 / 0)
    code, doc = c.post("/v1/models/linear:predict", {"instances": X})
    assert code == 500 and "division by zero" in doc["error"]
    monkeypatch.undo()
    assert c.post("/v1/models/linear:predict", {"instances": X})[0] == 200


def test_keep_alive_connection_serves_many_requests(serve, client):
    c = client(serve("linear"))
    for _ in range(20):
        assert c.post("/v1/models/linear:predict", {"instances": X})[0] == 200
    assert c.get("/v1/models/linear")[0] == 200


def test_accepted_sockets_have_tcp_nodelay():
    from autograph_jit.serving.server import _Handler, _HTTPServer
    httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
    try:
        with socket.create_connection(httpd.server_address, timeout=30):
            conn, _ = httpd.get_request()
            try:
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                conn.close()
    finally:
        httpd.server_close()


@pytest.mark.parametrize("exc, code", [
    (errors.InvalidArgumentError("x"), 400), (errors.NotFoundError("x"), 404),
    (errors.ResourceExhaustedError("x"), 429), (errors.UnavailableError("x"), 503),
    (errors.FailedPreconditionError("x"), 400), (errors.InternalError("x"), 500),
    (RuntimeError("x"), 500), (status.payload_too_large("x"), 413),
])
def test_tf_status_codes_map_to_tf_servings_http_codes(exc, code):
    assert status.http_status(exc) == code
    assert json.loads(status.error_body("boom")) == {"error": "boom"}
