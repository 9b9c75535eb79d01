"""The app's JSON answers through orjson (web/jsonio.py): same JSON, key order kept, the
standard library for what orjson refuses."""
from __future__ import annotations

import json

import pytest

from peerscope.config import Settings

pytestmark = pytest.mark.unit


@pytest.fixture()
def app(tmp_path):
    from web import create_app

    return create_app(Settings(opensearch_url="http://127.0.0.1:9", redis_url="redis://127.0.0.1:9/0",
                               index_prefix="test-json-", state_dir=tmp_path), embed=lambda text: [0.0] * 384)


def test_answers_keep_key_order_and_unicode(app):
    from flask import jsonify

    with app.test_request_context():
        resp = jsonify({"b": 1, "a": [1.5, None, True], "ü": "Zürich ✓"})
    assert resp.mimetype == "application/json"
    assert list(json.loads(resp.get_data())) == ["b", "a", "ü"]
    assert json.loads(resp.get_data())["ü"] == "Zürich ✓"


def test_what_orjson_refuses_is_written_the_standard_way(app):
    from flask import jsonify

    with app.test_request_context():
        resp = jsonify({"\udc80": ["Unknown field."], "big": 2**70})  # a lone surrogate, a 71-bit integer
    assert json.loads(resp.get_data()) == {"\udc80": ["Unknown field."], "big": 2**70}
    assert app.json.dumps({"x": 1}) == '{"x":1}'


def test_an_unknown_field_with_a_lone_surrogate_is_a_400_not_a_500(app):
    resp = app.test_client().post("/api/works/similar", data=b'{"positive": ["w1"], "\\udc80": 1}',
                                  content_type="application/json")
    assert resp.status_code == 400 and "\udc80" in resp.get_json()["error"]["fields"]
