"""The one way to build an OpenSearch client."""
from __future__ import annotations

from opensearchpy import OpenSearch

from peerscope.config import Settings


def make_client(settings: Settings, timeout: float | None = None) -> OpenSearch:
    """A client for `settings.opensearch_url` with bounded timeouts and retries.

    Retries cover transient connection errors only; a slow engine must not
    hold a web worker longer than the request timeout.
    """
    return OpenSearch(
        hosts=[settings.opensearch_url],
        timeout=timeout if timeout is not None else settings.request_timeout,
        max_retries=2,
        retry_on_timeout=False,
        http_compress=False,
    )
