"""Marshmallow schemas at both edges of the API.

Request schemas cap everything a user controls (query length, page, size,
years) and reject unknown arguments, so a bad request fails here with field
messages, before any engine call. Response schemas are the JSON contract;
the OpenAPI description is generated from these same classes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validates_schema
from marshmallow.validate import Length, OneOf, Range

from search.page import decode_cursor
from search.params import (COMPLETE_SIZE, LIKE_SIZE, MAX_COMPLETE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE,
                           SOURCES, YEARS)

MAX_Q = 256
MAX_ID = 128
MAX_EXAMPLES = 20


def _q(**kw):
    return fields.Str(load_default="", validate=Length(max=MAX_Q), **kw)


def _page():
    return fields.Int(load_default=1, validate=Range(1, MAX_PAGE), metadata={"description": "1-based page"})


def _size(default: int = PAGE_SIZE, maximum: int = MAX_PAGE_SIZE):
    return fields.Int(load_default=default, validate=Range(1, maximum))


def _year(**kw):
    return fields.Int(load_default=None, validate=Range(*YEARS), **kw)


def _text(maximum: int = MAX_Q, **kw):
    return fields.Str(load_default=None, validate=Length(1, maximum), **kw)


# ---- rules across fields ----------------------------------------------------
# Each rule checks a loaded request (ValidationError naming a field) and states itself as
# JSON Schema for the OpenAPI description (web/api/openapi.py: a component called `name`),
# so the description accepts exactly what the checks accept.

@dataclass(frozen=True)
class ItemsOrText:
    """At least one item in the list `items` or a text with something other than spaces."""
    items: str
    text: str
    message: str

    @property
    def name(self) -> str:
        return f"{self.items}_or_{self.text}"

    def check(self, data: dict) -> None:
        if not data.get(self.items) and not (data.get(self.text) or "").strip():
            raise ValidationError(self.message, self.items)

    def json_schema(self) -> dict:
        return {"description": self.message,
                "anyOf": [{"required": [self.items], "properties": {self.items: {"minItems": 1}}},
                          {"required": [self.text], "properties": {self.text: {"type": "string", "pattern": r"\S"}}}]}


class Args(Schema):
    """Request arguments: unknown names refused, and the `RULES` across fields checked."""

    RULES: ClassVar[tuple[Any, ...]] = ()

    class Meta:
        unknown = RAISE  # a misspelt filter is an error, not silently ignored

    @validates_schema
    def _rules(self, data, **_):
        for rule in self.RULES:
            rule.check(data)


def _json_type_errors(schema: type[Schema], data: Any) -> dict:
    """Values of a JSON body whose JSON type is not the one their field declares: marshmallow
    would read "10" or 10.0 as an integer and 1 or "yes" as true, which the description's
    JSON types refuse."""
    if not isinstance(data, dict):
        return {}
    errors: dict = {}
    for name, field in schema._declared_fields.items():
        value = data.get(name)
        if value is None:
            continue  # missing, or null where the field allows it (marshmallow decides)
        if isinstance(field, fields.Boolean) and not isinstance(value, bool):
            errors[name] = ["Not a valid boolean."]
        elif isinstance(field, fields.Integer) and (isinstance(value, bool) or not isinstance(value, int)):
            errors[name] = ["Not a valid integer."]
        elif isinstance(field, fields.Nested) and isinstance(field.nested, type):
            inner = _json_type_errors(field.nested, value)
            if inner:
                errors[name] = inner
    return errors


class JsonBody(Args):
    """A JSON request body: besides the Args rules, values must have their declared JSON type."""

    @pre_load
    def _json_types(self, data, **_):
        errors = _json_type_errors(type(self), data)
        if errors:
            raise ValidationError(errors)
        return data


# ---- requests ---------------------------------------------------------------

class ResearcherSearchArgs(Args):
    q = _q(metadata={"description": "Name, affiliation or topic words; typos and initials are forgiven"})
    page = _page()
    size = _size()
    cursor = fields.Str(load_default=None, validate=Length(1, 512),
                        metadata={"description": "'*' to start cursor paging, then the token from `next` "
                                                 "(with a cursor, page is not read)", "format": "cursor"})
    topic = _text()
    affiliation = _text()
    venue = _text()
    active_since = _year(metadata={"description": "active in or after this year (a bound of its own: after "
                                                  "active_until, people active both before and after)"})
    active_until = _year(metadata={"description": "active in or before this year"})
    has_orcid = fields.Bool(load_default=None)


    @post_load
    def _decode_cursor(self, data, **_):
        c = data.get("cursor")
        if c is not None:
            try:
                data["cursor"] = [] if c == "*" else decode_cursor(c)
            except ValueError as exc:
                raise ValidationError(str(exc), "cursor") from exc
        return data


class AutocompleteArgs(Args):
    q = fields.Str(required=True, validate=Length(1, 100))
    size = _size(default=COMPLETE_SIZE, maximum=MAX_COMPLETE_SIZE)


class CollaboratorArgs(Args):
    size = _size(default=LIKE_SIZE)
    active_since = _year(metadata={"description": "only people active in or after this year"})
    affiliation = _text()


class WorkFilters(Args):
    year_from = _year(metadata={"description": "works of this year or later (after year_to: none)"})
    year_to = _year(metadata={"description": "works of this year or earlier"})
    venue = _text(metadata={"description": "venue id or exact venue name"})
    author = _text(metadata={"description": "author id or name"})
    source = fields.Str(load_default=None, validate=OneOf(SOURCES),
                        metadata={"description": "works with a version there: acl (ACL Anthology) or arxiv"})


class WorkSearchArgs(WorkFilters):
    q = _q()
    mode = fields.Str(load_default="hybrid", validate=OneOf(["hybrid", "keyword", "vector"]))
    page = _page()
    size = _size()


class SimilarWorkArgs(Args):
    size = _size(default=LIKE_SIZE)
    year_from = _year(metadata={"description": "works of this year or later (after year_to: none)"})
    year_to = _year(metadata={"description": "works of this year or earlier"})
    exclude_own_authors = fields.Bool(load_default=False)


def _ids(description: str):
    return fields.List(fields.Str(validate=Length(1, MAX_ID)), load_default=list,
                       validate=Length(max=MAX_EXAMPLES), metadata={"description": description})


class SimilarSetBody(JsonBody):
    positive = _ids("ids of works like the ones wanted")
    negative = _ids("ids of works unlike them (an id also in positive counts as positive)")
    text = fields.Str(load_default=None, validate=Length(1, 2000))
    size = _size(default=LIKE_SIZE)
    exclude_own_authors = fields.Bool(load_default=False)
    filters = fields.Nested(WorkFilters, load_default=dict)

    RULES = (ItemsOrText("positive", "text", "give at least one positive id or a text"),)

    @post_load
    def _positive_wins(self, data, **_):
        positive = set(data.get("positive") or [])
        data["negative"] = [i for i in data.get("negative") or [] if i not in positive]
        return data


# ---- responses --------------------------------------------------------------

class StrList(fields.List):
    """A list of strings that also accepts a single string from the engine."""

    def __init__(self, **kw):
        super().__init__(fields.Str(), **kw)

    def _serialize(self, value, attr, obj, **kw):
        return super()._serialize([value] if isinstance(value, str) else value, attr, obj, **kw)


class Reason(Schema):
    kind = fields.Str(metadata={"enum": ["shared_topics", "mutual_collaborators", "similar_papers",
                                         "similar_research", "near_in_graph", "shared_venues",
                                         "same_affiliation", "active"]})
    text = fields.Str()
    items = fields.List(fields.Raw())


class Bucket(Schema):
    value = fields.Raw()
    count = fields.Int()


class ListEnvelope(Schema):
    total = fields.Int()
    next = fields.Str(allow_none=True, metadata={"description": "URL of the next page, or null"})
    page = fields.Int()
    size = fields.Int()


class ResearcherHit(Schema):
    id = fields.Str()
    name = fields.Str()
    current_affiliation = fields.Str(allow_none=True)
    works_count = fields.Int()
    first_year = fields.Int(allow_none=True)
    last_year = fields.Int(allow_none=True)
    topic_labels = StrList()
    venues = StrList()
    orcid = fields.Str(allow_none=True)
    has_orcid = fields.Bool()
    collaborators_count = fields.Int()
    trust = fields.Dict()
    sources = StrList()
    preprints_count = fields.Int()
    score = fields.Float(allow_none=True)


class CollaboratorHit(ResearcherHit):
    reasons = fields.List(fields.Nested(Reason))


class ResearcherList(ListEnvelope):
    results = fields.List(fields.Nested(ResearcherHit))
    facets = fields.Dict(keys=fields.Str(), values=fields.List(fields.Nested(Bucket)))


class CollaboratorList(ListEnvelope):
    results = fields.List(fields.Nested(CollaboratorHit))
    seed = fields.Dict()


class AffiliationSpan(Schema):
    name = fields.Str()
    first_year = fields.Int(allow_none=True)
    last_year = fields.Int(allow_none=True)


class Collaborator(Schema):
    id = fields.Str()
    name = fields.Str()
    count = fields.Int()
    first_year = fields.Int(allow_none=True)
    last_year = fields.Int(allow_none=True)


class Link(Schema):
    """Why a mention (or a work) is linked to a person, or kept apart from one."""
    work_id = fields.Str()
    method = fields.Str()
    confidence = fields.Float(allow_none=True)
    evidence = fields.Str(allow_none=True)
    candidate = fields.Str(allow_none=True, metadata={"description": "the researcher a mention was kept apart from"})


class Researcher(ResearcherHit):
    first_name = fields.Str(allow_none=True)
    last_name = fields.Str(allow_none=True)
    initials = fields.Raw()
    variants = StrList()
    affiliations = fields.List(fields.Nested(AffiliationSpan))
    collaborators = fields.List(fields.Nested(Collaborator))
    topics = StrList()
    recent_titles = StrList()
    work_ids = StrList()
    followers_count = fields.Int()
    open_to_collaborate = fields.Bool()
    claimed = fields.Bool()
    linked_works = fields.List(fields.Nested(Link), metadata={
        "description": "works attached to this person by the linker of author mentions, with why"})


class Author(Schema):
    id = fields.Str()
    name = fields.Str()
    orcid = fields.Str(allow_none=True)
    affiliation = fields.Str(allow_none=True)
    link = fields.Nested(Link, allow_none=True, metadata={
        "description": "for a mention from arXiv: linked to a researcher, or kept apart, and why"})


class Version(Schema):
    source = fields.Str(metadata={"enum": list(SOURCES)})
    id = fields.Str()
    year = fields.Int(allow_none=True)
    venue = fields.Str(allow_none=True)
    type = fields.Str(allow_none=True)
    url = fields.Str(allow_none=True)
    doi = fields.Str(allow_none=True)
    listed = fields.Str(allow_none=True, metadata={"description": "first arXiv listing day, YYYY-MM-DD"})


class WorkHit(Schema):
    id = fields.Str()
    title = fields.Str()
    year = fields.Int(allow_none=True)
    type = fields.Str(allow_none=True)
    venue_ids = StrList()
    venue_names = StrList()
    authors = fields.List(fields.Nested(Author))
    topic_labels = StrList()
    doi = fields.Str(allow_none=True)
    url = fields.Str(allow_none=True)
    has_abstract = fields.Bool()
    sources = StrList(metadata={"description": "sources holding a version: acl, arxiv"})
    versions = fields.List(fields.Nested(Version))
    arxiv_id = fields.Str(allow_none=True)
    score = fields.Float(allow_none=True)
    highlight = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()),
                            metadata={"description": "HTML-escaped fragments with <mark> tags"})
    ranks = fields.Dict(keys=fields.Str(), values=fields.Int(),
                        metadata={"description": "rank in each fused list (hybrid/similar)"})


class Work(WorkHit):
    abstract = fields.Str(allow_none=True)
    month = fields.Str(allow_none=True)
    booktitle = fields.Str(allow_none=True)
    publisher = fields.Str(allow_none=True)
    address = fields.Str(allow_none=True)
    pages = fields.Str(allow_none=True)
    bibkey = fields.Str(allow_none=True)
    collection_id = fields.Str(allow_none=True)
    volume_id = fields.Str(allow_none=True)
    author_ids = StrList()
    affiliations = StrList()
    topics = StrList()
    version_ids = StrList(metadata={"description": "every id this work answers to"})
    field_sources = fields.Dict(keys=fields.Str(), values=fields.Str(),
                                metadata={"description": "which version each field came from"})
    merge = fields.Dict(metadata={"description": "how the versions were merged: method, confidence, evidence"})
    categories = StrList()
    category_labels = StrList()


class WorkList(ListEnvelope):
    results = fields.List(fields.Nested(WorkHit))
    mode = fields.Str()
    seed = fields.Dict()


class ErrorBody(Schema):
    code = fields.Str()
    message = fields.Str()
    # "fields" would shadow Schema.fields, hence the attribute rename
    field_messages = fields.Dict(data_key="fields", attribute="fields")


class Error(Schema):
    error = fields.Nested(ErrorBody)
