"""The REST application without a transport: TF Serving's routes (`handle(method, path, body)`
-> status and JSON) over the model managers and the optional batch scheduler. The standard-library
server (server.py) and the ASGI app (asgi.py) both call it."""
import re

from ..errors import InvalidArgumentError, NotFoundError
from . import rest
from .batching import BatchScheduler
from .model_manager import ModelManager

__all__ = ["RestApp", "DEFAULT_MAX_BODY_BYTES"]

_ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?"
                    r"(?P<rest>/metadata|:predict|:classify|:regress)?$")
DEFAULT_MAX_BODY_BYTES = 64 << 20


class RestApp:
    """TF Serving's REST routes for one model.

    Example:
        app = RestApp("mlp", "/models/mlp")
        status, doc = app.handle("GET", "/v1/models/mlp", b"")
    """

    def __init__(self, model_name, model_base_path, batching=None, poll_seconds=1.0,
                 max_body_bytes=DEFAULT_MAX_BODY_BYTES):
        self.models = {model_name: ModelManager(model_name, model_base_path, poll_seconds)}
        self.scheduler = BatchScheduler(batching) if batching is not None else None
        self.max_body_bytes = max_body_bytes

    def start_polling(self):
        """Start watching the version folders."""
        for m in self.models.values():
            m.start_polling()

    def close(self):
        """Stop polling and finish queued batches."""
        for m in self.models.values():
            m.stop()
        if self.scheduler is not None:
            self.scheduler.stop()

    # -- routing ---------------------------------------------------------------------------------
    def handle(self, method, path, body):
        """One REST request -> (HTTP status, JSON document); errors raise tf.errors.*."""
        path = path.split("?", 1)[0]
        m = _ROUTE.match(path)
        if m is None:
            raise NotFoundError(f"Malformed request: {method} {path}")
        manager = self.models.get(m["name"])
        if manager is None:
            raise NotFoundError(f"Servable not found for request: Latest({m['name']}) (this "
                                f"server serves {sorted(self.models)})")
        version = m["version"]
        if version is not None and not version.isdigit():
            raise InvalidArgumentError(f"Malformed request: version {version!r} is not a number")
        action = m["rest"]
        if method == "GET":
            if action is None:
                return 200, manager.status(version)
            if action == "/metadata":
                return 200, manager.get(version).metadata()
        elif method == "POST" and action in (":predict", ":classify", ":regress"):
            servable = manager.get(version)
            doc = rest.parse_json(body)
            info = servable.signature(doc.get("signature_name"))
            if action == ":predict":
                inputs, style = rest.predict_inputs(doc, info)
                return 200, rest.format_predict(self._run(servable, info, inputs), style, info)
            inputs = rest.examples_inputs(doc, info)
            outputs = self._run(servable, info, inputs)
            if action == ":classify":
                return 200, rest.format_classify(outputs, info)
            return 200, rest.format_regress(outputs, info)
        raise NotFoundError(f"Malformed request: {method} {path}")

    def _run(self, servable, info, inputs):
        if self.scheduler is None:
            return servable.run(info.name, inputs)
        key = (servable.name, servable.version, id(servable), info.name)
        return self.scheduler.submit(key, lambda merged: servable.run(info.name, merged), inputs)
