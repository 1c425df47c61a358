"""The REST model server: `ModelServer` routes TF Serving's URLs to the model manager (and the
batch scheduler with `--enable_batching`) over the standard library's ThreadingHTTPServer, with
TCP_NODELAY on every accepted socket (without it Nagle's algorithm and delayed ACKs add ~40 ms to
each keep-alive request) and HTTP/1.1 keep-alive."""
import http.server
import json
import logging
import socket
import threading

from ..errors import InvalidArgumentError
from .app import DEFAULT_MAX_BODY_BYTES, RestApp
from .status import error_body, http_status, payload_too_large
from .grpc_server import GrpcServer

__all__ = ["ModelServer", "DEFAULT_MAX_BODY_BYTES"]

_log = logging.getLogger("autograph_jit.serving")


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "autograph_jit-serving"

    def log_message(self, fmt, *args):
        _log.debug("%s " + fmt, self.address_string(), *args)

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method):
        app = self.server.app
        try:
            body = self._read_body() if method == "POST" else b""
            status, doc = app.handle(method, self.path, body)
            self._send(status, json.dumps(doc).encode("utf-8"))
        except Exception as e:  # noqa: BLE001 - every failure becomes a TF Serving error body
            code = http_status(e)
            if code == 500:
                _log.exception("internal error serving %s %s", method, self.path)
            if code == 413:
                self.close_connection = True  # the unread body must not be parsed as a request
            msg = getattr(e, "message", None) or str(e) or type(e).__name__
            self._send(code, error_body(msg))

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise InvalidArgumentError("chunked request bodies are not supported; send a "
                                       "Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise InvalidArgumentError("Content-Length is not a number") from None
        limit = self.server.app.max_body_bytes
        if length > limit:
            raise payload_too_large(f"request body of {length} bytes exceeds the server's "
                                       f"limit of {limit} bytes (max_body_bytes)")
        return self.rfile.read(length)

    def do_GET(self):  # noqa: N802 - BaseHTTPRequestHandler's naming
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")


class ModelServer:
    """TF Serving's REST API for one model: `start()` serves in a background thread on
    `host:port` (port 0: a free port, read back from `.port`), `stop()` shuts down.

    Args: model_name, model_base_path (with `<version>/` folders), host, port, batching (a
    BatchingParameters, or None for no batching), poll_seconds, max_body_bytes, grpc_port
    (TF Serving's gRPC API on this port too, 0 for a free one, read back from `.grpc_port`;
    None: REST only).

    Example:
        server = ModelServer("mlp", "/models/mlp", port=0).start()
        # POST http://127.0.0.1:{server.port}/v1/models/mlp:predict {"instances": [[1, 2, 3]]}
        server.stop()
    """

    def __init__(self, model_name, model_base_path, host="127.0.0.1", port=8501, batching=None,
                 poll_seconds=1.0, max_body_bytes=DEFAULT_MAX_BODY_BYTES, grpc_port=None):
        self.app = RestApp(model_name, model_base_path, batching=batching,
                           poll_seconds=poll_seconds, max_body_bytes=max_body_bytes)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.app = self.app
        self._thread = None
        self._grpc = None
        if grpc_port is not None:
            try:
                self._grpc = GrpcServer(self.app, host, grpc_port)
            except BaseException:
                self._httpd.server_close()
                raise

    @property
    def grpc_port(self):
        """The gRPC API's port (None when gRPC is not served)."""
        return None if self._grpc is None else self._grpc.port

    @property
    def models(self):
        return self.app.models

    @property
    def scheduler(self):
        return self.app.scheduler

    @property
    def port(self):
        return self._httpd.server_address[1]

    def start(self):
        """Serve in a background thread; returns self."""
        self.app.start_polling()
        if self._grpc is not None:
            self._grpc.start()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="rest-server",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        """Serve in this thread until interrupted (the command line's mode)."""
        self.app.start_polling()
        if self._grpc is not None:
            self._grpc.start()
        try:
            self._httpd.serve_forever()
        finally:
            self._shutdown_rest()

    def stop(self):
        """Stop accepting requests, finish queued batches and stop every thread."""
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._shutdown_rest()

    def _shutdown_rest(self):
        if self._grpc is not None:
            self._grpc.stop()
        self._httpd.server_close()
        self.app.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
