"""The one way to build an OpenSearch client."""
from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from opensearchpy import OpenSearch, Transport
from opensearchpy.exceptions import ConnectionError as EngineConnectionError
from opensearchpy.exceptions import SerializationError
from opensearchpy.serializer import JSONSerializer

from peerscope.config import Settings

FAIL_FAST_S = 3.0


class FailFastTransport(Transport):
    """A transport that stops waiting on an engine that just failed to answer.

    After a connection error or timeout, calls fail at once (a ConnectionError, so the
    web app answers 503) for FAIL_FAST_S seconds; then one call at a time probes the
    engine until one gets an answer. A frozen engine thus costs one request timeout per
    process and cool-down, not one per request, and web threads never queue behind it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time until which calls fail at once
        self._probing = False  # a call is checking whether the engine is back

    def perform_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            now = time.monotonic()
            down = self._down_until > 0
            if down and (now < self._down_until or self._probing):
                raise EngineConnectionError("N/A", "the search engine failed moments ago; not waiting on it again yet",
                                            None)
            probe = down
            if probe:
                self._probing = True
        try:
            result = super().perform_request(method, url, *args, **kwargs)
        except EngineConnectionError:  # includes ConnectionTimeout
            with self._lock:
                self._down_until = time.monotonic() + FAIL_FAST_S
                self._probing = False
            raise
        except BaseException:
            if probe:  # the engine answered (with an error): it is up
                self._close()
            raise
        if probe or self._down_until:  # an answer: the engine is up
            self._close()
        return result

    def _close(self) -> None:
        with self._lock:
            self._down_until = 0.0
            self._probing = False


POOL_SIZE = 8


class FastJSONSerializer(JSONSerializer):
    """JSON through orjson: answers carry vectors and long id lists, and the standard
    library's decoder was the app's largest own cost in a recommendation (4.6 of about 20
    ms of CPU). Anything orjson refuses (lone surrogates, huge integers) goes the standard
    way. `dumps` returns str because bulk and msearch bodies are joined as text."""

    def loads(self, s: str) -> Any:
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError as e:
            raise SerializationError(s, e)

    def dumps(self, data: Any) -> Any:
        if isinstance(data, str):
            return data
        try:
            return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        except TypeError:  # orjson.JSONEncodeError
            return super().dumps(data)


def make_client(settings: Settings, timeout: float | None = None, *, fail_fast: bool = False) -> OpenSearch:
    """A client for `settings.opensearch_url` with bounded timeouts and retries.

    Retries cover transient connection errors only; a slow engine must not
    hold a web worker longer than the request timeout. `fail_fast` (the web
    app) adds FailFastTransport.
    """
    return OpenSearch(
        hosts=[settings.opensearch_url],
        timeout=timeout if timeout is not None else settings.request_timeout,
        max_retries=2,
        retry_on_timeout=False,
        http_compress=False,
        # keep-alive connections for concurrent users of one client: the web app's threads,
        # the indexer's two bulk writers (urllib3's default keeps one and reconnects the rest)
        pool_maxsize=POOL_SIZE,
        serializer=FastJSONSerializer(),
        **({"transport_class": FailFastTransport} if fail_fast else {}),
    )
