"""RemoteMonitor: post each epoch's logs to a server."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from brickwork.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """POSTs ``{"epoch": epoch, **logs}`` to ``root + path`` at the end of
    each epoch, as ``keras.callbacks.RemoteMonitor``: as a form field
    ``field`` holding the JSON text (``application/x-www-form-urlencoded``),
    or, with ``send_as_json``, as the JSON body (``application/json``).
    An unreachable server is warned about, not raised. Uses the standard
    library's ``urllib`` (Keras uses ``requests``; the requests are the same).

    Args:
        root: the server's root URL.
        path: the path the events are posted to.
        field: the form field holding the JSON text.
        headers: optional extra HTTP headers (a dict).
        send_as_json: send the JSON as the request body.
    """

    _rank_zero_only = True  # writes files / prints (rank 0 under DataParallel)

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            # NumPy scalars and 0-d arrays are not JSON types: unwrap them
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered (with an error status): as requests.post, no warning
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
