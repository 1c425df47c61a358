"""Model versions on disk (`<base>/<version>/` numeric folders) -> the servable in use: the newest
version is loaded and served (TF Serving's default "latest" version policy); a polling thread
picks up a newer folder while the server runs, loading it before swapping it in, so requests in
flight finish on the version they started on."""
import logging
import os
import threading

from ..errors import NotFoundError
from .servable import Servable

__all__ = ["ModelManager"]

_log = logging.getLogger("autograph_jit.serving")


def _versions(base):
    try:
        names = os.listdir(base)
    except OSError:
        return []
    return sorted(int(n) for n in names
                  if n.isdigit() and os.path.isdir(os.path.join(base, n))
                  and os.path.exists(os.path.join(base, n, "saved_model.json")))


def _stamp(path):
    try:
        return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size)
                            for e in os.scandir(path)))
    except OSError:
        return None


class ModelManager:
    """Serves model `name` from `base_path`, polling for new versions every `poll_seconds`
    (TF Serving's `--file_system_poll_wait_seconds`; 0 disables polling).

    Example:
        m = ModelManager("mlp", "/models/mlp", poll_seconds=1)
        m.get().run("serving_default", {"x": x})
    """

    def __init__(self, name, base_path, poll_seconds=1.0):
        self.name = name
        self.base_path = os.path.abspath(base_path)
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._current = None
        self._failed = {}   # version -> error message of a version that did not load
        self._stop = threading.Event()
        self._thread = None
        self.refresh()
        if self._current is None:
            raise NotFoundError(f"no loadable model version under {self.base_path}: expected "
                                f"numeric version folders (<base>/1/saved_model.json)"
                                + (f"; failures: {self._failed}" if self._failed else ""))

    def refresh(self):
        """Load the newest version on disk if it is newer than the one served; returns it."""
        for version in reversed(_versions(self.base_path)):
            current = self._current
            if current is not None and version <= current.version:
                break
            path = os.path.join(self.base_path, str(version))
            stamp = _stamp(path)
            if version in self._failed and self._failed[version][1] == stamp:
                continue  # failed before and unchanged since (a half-written folder is retried)
            try:
                servable = Servable(self.name, version, path)
            except Exception as e:  # noqa: BLE001 - a bad version must not stop serving
                self._failed[version] = (f"{type(e).__name__}: {e}", stamp)
                _log.error("model %s version %d failed to load: %s", self.name, version, e)
                continue
            with self._lock:
                self._current = servable
            _log.info("model %s: serving version %d", self.name, version)
            break
        return self._current

    def start_polling(self):
        if self.poll_seconds and self._thread is None:
            self._thread = threading.Thread(target=self._poll, name="model-poll", daemon=True)
            self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _poll(self):
        while not self._stop.wait(self.poll_seconds):
            self.refresh()

    def get(self, version=None):
        """The servable for `version` (None: the newest); NotFoundError (404) otherwise."""
        current = self._current
        if version is None or int(version) == current.version:
            return current
        raise NotFoundError(f"Servable not found for request: Specific({self.name}, {version})")

    def status(self, version=None):
        """TF Serving's `GetModelStatus` response."""
        current = self.get(version)
        entries = [{"version": str(current.version), "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""}}]
        if version is None:
            for v, (msg, _) in sorted(self._failed.items()):
                if v > current.version:
                    entries.append({"version": str(v), "state": "END",
                                    "status": {"error_code": "UNKNOWN", "error_message": msg}})
        return {"model_version_status": entries}
