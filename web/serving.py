"""The gunicorn workers `peerscope serve` runs: gunicorn's own, answering in the API's JSON.

Some requests never reach the app: gunicorn refuses a request line longer than its limit
(414; 32 KiB here, see MAX_REQUEST_LINE), too many or too large headers (431), a malformed
request line, header or chunk (400) with a small HTML page of its own. These workers answer
the same refusals with the JSON error every other answer of the server uses, `{"error": {"code", "message"}}`, and the
security headers of web/security.py, so a client (or a fuzzer) sees one error format
whatever part of the server refused it.
"""
from __future__ import annotations

import json
from ssl import SSLError

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.http import message as http_message
from gunicorn.workers.gthread import ThreadWorker as _ThreadWorker
from gunicorn.workers.sync import SyncWorker as _SyncWorker

from web.security import HEADERS

# The longest request line served. Every request the API's description allows must fit: the
# longest, a researcher search with every text argument at its maximum length in 4-byte
# characters, percent-encoded (12 bytes a character), takes about 18 KiB
# (tests/reliability/test_server_errors.py computes it from the description). gunicorn caps
# --limit-request-line at http.message.MAX_REQUEST_LINE, 8,190 bytes; these workers raise that
# cap to this limit, which `peerscope serve` passes as --limit-request-line.
MAX_REQUEST_LINE = 32 * 1024
http_message.MAX_REQUEST_LINE = max(http_message.MAX_REQUEST_LINE, MAX_REQUEST_LINE)

# (gunicorn's exception, status, reason phrase, error code); the first match wins, and any
# other parse error is a 400. Codes are those the app gives for the same status.
_REFUSALS: tuple[tuple[type[BaseException], int, str, str], ...] = (
    (http_errors.InvalidResponseHeader, 500, "Internal Server Error", "internal_error"),
    (http_errors.InvalidResponseHeaderName, 500, "Internal Server Error", "internal_error"),
    (http_errors.ConfigurationProblem, 500, "Internal Server Error", "internal_error"),
    (http_errors.LimitRequestLine, 414, "URI Too Long", "request_uri_too_large"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "request_header_fields_too_large"),
    (http_errors.ExpectationFailed, 417, "Expectation Failed", "expectation_failed"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented", "not_implemented"),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden", "forbidden"),
    (SSLError, 403, "Forbidden", "forbidden"),
    (http_errors.ParseException, 400, "Bad Request", "bad_request"),
)
_MESSAGES = {
    414: "The request line is longer than {limit} bytes: send fewer or shorter arguments.",
    431: "The request headers are too many or too large.",
    500: "Something went wrong on our side.",
}


def refusal(exc: BaseException, limit_request_line: int = 0) -> tuple[int, str, str, str]:
    """(status, reason, code, message) of the answer to a request gunicorn could not hand on."""
    for kind, status, reason, code in _REFUSALS:
        if isinstance(exc, kind):
            template = _MESSAGES.get(status)
            message = template.format(limit=limit_request_line or "1 MiB") if template else f"{reason}: {exc}"
            return status, reason, code, message
    return 500, "Internal Server Error", "internal_error", _MESSAGES[500]


def error_bytes(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer carrying the JSON error; the connection closes after it."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in HEADERS.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class JsonErrors:
    """Replaces gunicorn's HTML error page (Worker.handle_error) by the JSON error."""

    def handle_error(self, req, client, addr, exc):  # noqa: D102 - gunicorn's hook
        status, reason, code, message = refusal(exc, self.cfg.limit_request_line)
        if status >= 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, error_bytes(status, reason, code, message))
        except Exception:  # noqa: BLE001 - the client may be gone; nothing more to tell it
            self.log.debug("Failed to send error message.")


class ThreadWorker(JsonErrors, _ThreadWorker):
    """gunicorn's gthread worker (`--threads` > 1) with JSON errors."""


class SyncWorker(JsonErrors, _SyncWorker):
    """gunicorn's sync worker (one request at a time per process) with JSON errors."""
