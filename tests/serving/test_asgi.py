"""The ASGI app answers like the standard-library server (driven here by an in-process ASGI
caller; uvicorn is not needed): predict, status, 404, 413 and lifespan start/stop."""
import asyncio
import json
import shutil

import numpy as np

from autograph_jit.serving.asgi import asgi_app

from .conftest import W


def _call(app, method, path, body=b"", headers=()):
    sent = []
    chunks = [body[:5], body[5:]] if len(body) > 5 else [body]

    async def receive():
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path,
             "headers": [(b"content-length", str(len(body)).encode()), *headers]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_asgi_app_serves_the_rest_api(model_root, tmp_path):
    shutil.copytree(model_root / "linear", tmp_path / "linear")
    app = asgi_app("linear", str(tmp_path / "linear"), poll_seconds=0, max_body_bytes=100)
    try:
        code, doc = _call(app, "POST", "/v1/models/linear:predict",
                          json.dumps({"instances": [[1, 2, 3]]}).encode())
        assert code == 200
        np.testing.assert_allclose(doc["predictions"], np.array([[1, 2, 3]], np.float32) @ W)
        assert _call(app, "GET", "/v1/models/linear")[1]["model_version_status"][0]["state"] \
            == "AVAILABLE"
        assert _call(app, "GET", "/v1/models/nope")[0] == 404
        code, doc = _call(app, "POST", "/v1/models/linear:predict", b"x" * 200)
        assert code == 413 and "limit of 100 bytes" in doc["error"]
        assert _call(app, "POST", "/v1/models/linear:predict", b"{bad")[0] == 400
    finally:
        app.rest.close()


def test_asgi_lifespan_starts_and_stops_polling(model_root, tmp_path):
    shutil.copytree(model_root / "linear", tmp_path / "linear")
    app = asgi_app("linear", str(tmp_path / "linear"), poll_seconds=0.05)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert app.rest.models["linear"]._thread is None
