"""Request validation: bad arguments get a 400 with field messages, before any engine call."""
import pytest
from marshmallow import ValidationError

from peerscope.config import Settings
from web import create_app

pytestmark = pytest.mark.unit


class NoEngine:
    """Stands in for the OpenSearch client: any use is a test failure (a 500)."""

    def __getattr__(self, name):
        raise AssertionError(f"the engine was called ({name}) for an invalid request")


def no_embed(text):
    raise AssertionError("the embedder was called for an invalid request")


@pytest.fixture()
def app():
    app = create_app(Settings(opensearch_url="http://127.0.0.1:9", index_prefix="test-nowhere-",
                              redis_url="redis://127.0.0.1:9/0"), embed=no_embed)
    return app


@pytest.fixture()
def client(app):
    services = app.extensions["peerscope"]
    app.extensions["peerscope"] = type(services)(**{**services.__dict__, "opensearch": NoEngine()})
    return app.test_client()


def fields_of(resp):
    assert resp.status_code == 400, resp.get_json()
    err = resp.get_json()["error"]
    assert err["code"] == "invalid_request" and err["message"]
    return err["fields"]


@pytest.mark.parametrize("url, field, needle", [
    ("/api/researchers?size=0", "size", "greater than or equal to 1"),
    ("/api/researchers?size=51", "size", "less than or equal to 50"),
    ("/api/researchers?page=101", "page", "less than or equal to 100"),
    ("/api/researchers?q=" + "x" * 257, "q", "Longer than maximum length 256"),
    ("/api/researchers?active_since=1899", "active_since", "1900"),
    ("/api/researchers?has_orcid=maybe", "has_orcid", "boolean"),
    ("/api/researchers?sort=name", "sort", "Unknown field"),
    ("/api/researchers?cursor=not-a-cursor", "cursor", "invalid cursor"),
    ("/api/researchers?q=a&q=b", "q", "once"),
    ("/api/researchers/autocomplete", "q", "Missing data"),
    ("/api/researchers/autocomplete?q=ab&size=21", "size", "less than or equal to 20"),
    ("/api/researchers/r1/collaborators?size=100", "size", "less than or equal to 50"),
    ("/api/researchers/r1/collaborators?active_since=abc", "active_since", "Not a valid integer"),
    ("/api/researchers/r1/collaborators?q=x", "q", "Unknown field"),
    ("/api/works?mode=semantic", "mode", "Must be one of"),
    ("/api/works?year_to=2101", "year_to", "2100"),
    ("/api/works?page=0", "page", "greater than or equal to 1"),
    ("/api/works?venue=" + "v" * 300, "venue", "Length"),
    ("/api/works/W1/similar?exclude_own_authors=perhaps", "exclude_own_authors", "boolean"),
    ("/api/works/W1/similar?size=-1", "size", "greater than or equal to 1"),
    ("/api/works/W1/similar?mode=vector", "mode", "Unknown field"),
    ("/api/works/" + "w" * 200, "work_id", "Longer than"),
])
def test_bad_query_args_are_400_with_field_messages(client, url, field, needle):
    messages = fields_of(client.get(url))
    assert field in messages, messages
    assert needle.lower() in " ".join(messages[field]).lower(), messages


@pytest.mark.parametrize("body, field, needle", [
    ({}, "positive", "at least one"),
    ({"negative": ["w1"]}, "positive", "at least one"),
    ({"positive": ["w%d" % i for i in range(21)]}, "positive", "Longer than maximum length 20"),
    ({"positive": ["w1"], "size": 0}, "size", "greater than"),
    ({"positive": ["w1"], "filters": {"year_from": 1800}}, "filters", ""),
    ({"positive": ["w1"], "filters": {"colour": "red"}}, "filters", ""),
    ({"positive": "w1"}, "positive", "Not a valid list"),
    ({"text": ""}, "text", "Length must be between 1"),
    ({"positive": ["w1"], "extra": 1}, "extra", "Unknown field"),
    # a JSON body carries JSON types: no numbers in strings, no 1 for true
    ({"positive": ["w1"], "size": "10"}, "size", "integer"),
    ({"positive": ["w1"], "size": 10.0}, "size", "integer"),
    ({"positive": ["w1"], "size": True}, "size", "integer"),
    ({"positive": ["w1"], "exclude_own_authors": "true"}, "exclude_own_authors", "boolean"),
    ({"positive": ["w1"], "exclude_own_authors": 1}, "exclude_own_authors", "boolean"),
    ({"positive": ["w1"], "filters": {"year_from": "2020"}}, "filters", "year_from"),
])
def test_bad_similar_bodies_are_400(client, body, field, needle):
    messages = fields_of(client.post("/api/works/similar", json=body))
    assert field in messages, messages
    assert needle.lower() in str(messages[field]).lower(), messages


def test_backward_ranges_load_and_positive_ids_win():
    from web.schemas import ResearcherSearchArgs, SimilarSetBody, SimilarWorkArgs, WorkSearchArgs

    assert WorkSearchArgs().load({"year_from": "2020", "year_to": "2010"})["year_from"] == 2020
    assert SimilarWorkArgs().load({"year_from": "2020", "year_to": "2010"})["year_to"] == 2010
    assert ResearcherSearchArgs().load({"active_since": "2020", "active_until": "2010"})["active_until"] == 2010
    assert ResearcherSearchArgs().load({"cursor": "*", "page": "3"})["cursor"] == []  # the cursor wins
    body = SimilarSetBody().load({"positive": ["w1", "w2"], "negative": ["w2", "w3", "w1"],
                                  "filters": {"year_from": 2020, "year_to": 2000}})
    assert body["negative"] == ["w3"] and body["positive"] == ["w1", "w2"]


def test_similar_needs_a_json_object(client):
    resp = client.post("/api/works/similar", data="positive=w1",
                       content_type="application/x-www-form-urlencoded")
    assert fields_of(resp) == {"_schema": ["Send a JSON object."]}
    assert fields_of(client.post("/api/works/similar", json=["w1"])) == {"_schema": ["Send a JSON object."]}


def test_nested_filter_messages_name_the_inner_field(client):
    messages = fields_of(client.post("/api/works/similar",
                                     json={"positive": ["w1"], "filters": {"year_from": 1800}}))
    assert "year_from" in messages["filters"]


def test_valid_request_reaches_the_engine_and_an_unreachable_engine_is_503(app):
    resp = app.test_client().get("/api/researchers?q=Shengding+Hu&has_orcid=true")
    assert resp.status_code == 503
    assert resp.get_json() == {"error": {"code": "search_unavailable",
                                         "message": "The search engine is not reachable; try again shortly."}}


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_unexpected_errors_are_500_without_trace(app):
    app.extensions["peerscope"] = type(app.extensions["peerscope"])(
        **{**app.extensions["peerscope"].__dict__, "opensearch": object()})
    resp = app.test_client().get("/api/researchers/r1")
    assert resp.status_code == 500
    body = resp.get_json()
    assert body == {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}


def test_openapi_describes_every_api_route_from_the_schemas(client, app):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {
        "/api/researchers", "/api/researchers/autocomplete", "/api/researchers/{researcher_id}",
        "/api/researchers/{researcher_id}/collaborators", "/api/works", "/api/works/similar",
        "/api/works/{work_id}", "/api/works/{work_id}/similar", "/api/graph/{kind}/{key}",
    }
    assert all(path.startswith("/api/") for path in spec["paths"])
    params = {p["name"]: p for p in spec["paths"]["/api/researchers"]["get"]["parameters"]}
    assert params["size"]["schema"]["maximum"] == 50 and params["q"]["schema"]["maxLength"] == 256
    assert "post" in spec["paths"]["/api/works/similar"]
    kinds = {p["name"]: p for p in spec["paths"]["/api/graph/{kind}/{key}"]["get"]["parameters"]}["kind"]
    assert kinds["schema"]["enum"] == ["institutions", "researchers", "topics", "works"]
    assert "requestBody" in spec["paths"]["/api/works/similar"]["post"]
    assert {"Reason", "CollaboratorHit", "WorkHit", "Error"} <= set(spec["components"]["schemas"])


def test_missing_model_is_503_for_vector_search(app):
    from embeddings import QueryEmbedder
    from search.errors import EmbeddingUnavailable

    broken = QueryEmbedder(Settings(model="/nonexistent/model-folder"))
    with pytest.raises(EmbeddingUnavailable):
        broken("graph parsing")
    services = app.extensions["peerscope"]
    app.extensions["peerscope"] = type(services)(**{**services.__dict__, "opensearch": NoEngine(),
                                                    "embed": broken})
    resp = app.test_client().get("/api/works?q=graph+parsing&mode=vector")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "embedding_unavailable"


def test_openapi_states_what_the_checks_check(client):
    """The description accepts what the request checks accept: the rule across the body's
    fields as JSON Schema, the ids' length, no null in a query string, the cursor's format."""
    import jsonschema_rs

    from web.schemas import SimilarSetBody

    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert {"$ref": "#/components/schemas/positive_or_text"} in schemas["SimilarSetBody"]["allOf"]
    stated = jsonschema_rs.validator_for(schemas["positive_or_text"])
    (rule,) = SimilarSetBody.RULES
    for body in ({}, {"positive": []}, {"text": " \t"}, {"text": "x"}, {"positive": ["w1"]},
                 {"positive": [], "text": " x "}, {"negative": ["w1"]}):
        try:
            rule.check(body)
            checked = True
        except ValidationError:
            checked = False
        assert stated.is_valid(body) == checked, body
    for path, operations in spec["paths"].items():
        for op in operations.values():
            assert {"400", "404", "413", "414"} <= set(op["responses"]), path
            for param in op["parameters"]:
                if param["in"] == "path":  # an id, or one of the values the route takes
                    assert param["schema"].get("maxLength") == 128 or param["schema"].get("enum"), (path, param)
                if param["in"] == "query":
                    assert not param["schema"].get("nullable") and param["schema"].get("default", 0) is not None
    cursor = {p["name"]: p for p in spec["paths"]["/api/researchers"]["get"]["parameters"]}["cursor"]
    assert cursor["schema"]["format"] == "cursor"
