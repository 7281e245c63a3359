"""The playground tests' HTTP client (a module of its own: two conftest.py files cannot
both be imported as ``conftest``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class Client:
    """``get(path)`` / ``post(path, body)`` → ``(status, JSON)``; errors are returned too."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def request(
        self, path: str, body: Any = None, raw: bytes | None = None, headers: Any = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        method = "GET" if data is None else "POST"
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _decode(response.read(), response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read(), error.headers)

    def get(self, path: str) -> Any:
        status, value = self.request(path)
        assert status == 200, value
        return value

    def post(self, path: str, body: Any) -> Any:
        status, value = self.request(path, body)
        assert status == 200, value
        return value


def _decode(body: bytes, headers: Any) -> Any:
    if headers.get_content_type() == "application/json":
        return json.loads(body)
    return body
