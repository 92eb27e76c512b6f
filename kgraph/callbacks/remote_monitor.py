"""`RemoteMonitor`: post each epoch's logs to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping

import numpy as np

from kgraph.callbacks.callback import Callback
from kgraph.callbacks.callback import Logs


class RemoteMonitor(Callback):
    """Sends the logs of every epoch to a server, with an HTTP POST.

    The request's body is a form with one field, ``field``, holding the
    JSON of ``{"epoch": epoch, **logs}``; with ``send_as_json=True`` the
    body is that JSON itself (``Content-Type: application/json``). A server
    that cannot be reached gives a warning, not an error. Uses Python's
    standard ``urllib``.

    Args:
        root: The server's address (``"http://host:port"``).
        path: The path the requests go to, after ``root``.
        field: The form field holding the JSON.
        headers: Extra HTTP headers.
        send_as_json: Whether the body is the JSON itself.

    Example:

    >>> monitor = RemoteMonitor(root="http://localhost:9000")
    >>> monitor.root + monitor.path
    'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: Mapping[str, str] | None = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Posts ``{"epoch": epoch, **logs}``."""
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, np.generic) else value
        headers = dict(self.headers)
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers["Content-Type"] = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except (urllib.error.URLError, OSError):
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root}",
                RuntimeWarning,
                stacklevel=2,
            )
