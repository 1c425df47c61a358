"""The REST API as an ASGI 3 application, for ASGI servers such as uvicorn (the `[asgi]` extra):
`uvicorn --factory "autograph_jit.serving.asgi:from_env"` with AUTOGRAPH_JIT_MODEL_NAME and
AUTOGRAPH_JIT_MODEL_BASE_PATH set, or `asgi_app(name, base_path)` in your own module. Model runs
go to a worker thread so the event loop keeps accepting requests."""
import asyncio
import json
import logging
import os

from ..errors import InvalidArgumentError
from .app import DEFAULT_MAX_BODY_BYTES, RestApp
from .status import error_body, http_status, payload_too_large

__all__ = ["asgi_app", "from_env"]

_log = logging.getLogger("autograph_jit.serving")


def asgi_app(model_name, model_base_path, batching=None, poll_seconds=1.0,
             max_body_bytes=DEFAULT_MAX_BODY_BYTES):
    """An ASGI application serving TF Serving's REST API for one model.

    Example:
        app = asgi_app("mlp", "/models/mlp")   # uvicorn.run(app, host="127.0.0.1", port=8501)
    """
    rest = RestApp(model_name, model_base_path, batching=batching, poll_seconds=poll_seconds,
                   max_body_bytes=max_body_bytes)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await _lifespan(rest, receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"autograph_jit.serving.asgi handles http and lifespan scopes, "
                             f"not {scope['type']!r}")
        try:
            body = await _read_body(scope, receive, rest.max_body_bytes)
            status, doc = await asyncio.to_thread(rest.handle, scope["method"], scope["path"],
                                                  body)
            payload = json.dumps(doc).encode("utf-8")
        except Exception as e:  # noqa: BLE001 - every failure becomes a TF Serving error body
            status = http_status(e)
            if status == 500:
                _log.exception("internal error serving %s %s", scope["method"], scope["path"])
            payload = error_body(getattr(e, "message", None) or str(e) or type(e).__name__)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    app.rest = rest
    return app


async def _lifespan(rest, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            rest.start_polling()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.to_thread(rest.close)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(scope, receive, limit):
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    if length is not None:
        try:
            length = int(length)
        except ValueError:
            raise InvalidArgumentError("Content-Length is not a number") from None
        if length > limit:
            raise payload_too_large(f"request body of {length} bytes exceeds the server's "
                                       f"limit of {limit} bytes (max_body_bytes)")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidArgumentError("the client disconnected before sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise payload_too_large(f"request body exceeds the server's limit of {limit} "
                                       "bytes (max_body_bytes)")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def from_env():
    """The app for `uvicorn --factory autograph_jit.serving.asgi:from_env`, configured by
    AUTOGRAPH_JIT_MODEL_NAME and AUTOGRAPH_JIT_MODEL_BASE_PATH."""
    base = os.environ.get("AUTOGRAPH_JIT_MODEL_BASE_PATH")
    if not base:
        raise InvalidArgumentError("set AUTOGRAPH_JIT_MODEL_BASE_PATH to the model's folder "
                                   "(and AUTOGRAPH_JIT_MODEL_NAME to its name)")
    return asgi_app(os.environ.get("AUTOGRAPH_JIT_MODEL_NAME", "default"), base)
