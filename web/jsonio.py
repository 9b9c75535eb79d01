"""The app's JSON answers written by orjson (Flask's JSON provider).

A search answer is mostly strings and numbers from the engine; the standard library's
encoder took a measurable share of the app's own time per answer (docs/PERFORMANCE.md). Keys
keep their order. Anything orjson refuses (a lone surrogate from a JSON body echoed in an
error message, an integer beyond 64 bits) is written by the standard library as before.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
        except TypeError:
            return super().dumps(obj)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except TypeError:
            body = super().dumps(obj).encode()
        return self._app.response_class(body, mimetype=self.mimetype)
