"""Keras 3's `RemoteMonitor` callback: POST each epoch's logs to an HTTP server, as a form field
holding JSON (default) or as a JSON body. Sent with the standard library's urllib (Keras uses
`requests`; the requests are the same)."""
import json
import urllib.error
import urllib.parse
import warnings

import numpy as np

from .callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """Streams the epoch logs to a server: `RemoteMonitor(root='http://localhost:9000',
    path='/publish/epoch/end/', field='data', headers=None, send_as_json=False)`.

    At each epoch's end it POSTs `{"epoch": epoch, **logs}` to `root + path`: as the form
    field `field` holding the JSON text, or with `send_as_json=True` as an `application/json`
    body. An unreachable server gives a warning, not an error.

    >>> monitor = tf.keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9")
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     monitor.on_epoch_end(0, {"loss": 0.5})
    >>> str(caught[0].message)
    'Could not reach RemoteMonitor root server at http://127.0.0.1:9'
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) else v
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        from urllib import request as http  # (http.client, ssl: ~13 ms every `fit` would pay)
        request = http.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with http.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
