"""A playground server per test, and a small JSON client for its API."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playhelpers import Client

from vecnn.playground.server import Playground


@pytest.fixture
def playground() -> Iterator[Playground]:
    before = set(threading.enumerate())
    server = Playground().start()
    try:
        yield server
    finally:
        server.close()
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


@pytest.fixture
def client(playground: Playground) -> Client:
    return Client(playground.url)
