"""The engine connection as callers outside search/ see it: open one, name its type.

The web app and the owner sync job get their client here and hand it to the services; how it
is built (transport, timeouts, retries, serializer) stays in search/client.py.
"""
from __future__ import annotations

from opensearchpy import OpenSearch as Engine

from peerscope.config import Settings
from search.client import make_client

__all__ = ["Engine", "connect"]


def connect(settings: Settings, *, timeout: float | None = None, web: bool = False) -> Engine:
    """A client for the services. `web`: fail fast while the engine has just failed to answer
    (search.client.FailFastTransport), so that web threads never queue behind it."""
    return make_client(settings, timeout, fail_fast=web)
