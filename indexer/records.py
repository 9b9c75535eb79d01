"""Normalised records produced by sources, their validation, and rejects.

A source turns upstream data into plain dicts shaped like `WorkRecordSchema`; anything that
fails validation becomes a `Reject` carrying marshmallow's message, so one bad record never
stops an indexing run and every dropped record is accounted for.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

MIN_YEAR = 1900
ORCID_PATTERN = r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"


def max_year() -> int:
    """Latest plausible publication year: proceedings are often dated a year ahead."""
    return _dt.date.today().year + 1


@dataclass(frozen=True)
class Reject:
    """A record (or a whole source file) that could not be indexed, and why."""

    entity: str  # "collection" for a whole file, "work" for one paper
    source: str  # file name the record came from
    record_id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_NonEmpty = validate.Length(min=1)


class AuthorSchema(Schema):
    """One author slot of a work, identity already resolved."""

    id = fields.String(required=True, validate=_NonEmpty)
    name = fields.String(required=True, validate=_NonEmpty)  # display name (canonical if known)
    first = fields.String(required=True)  # display first name, may be "" (mononyms)
    last = fields.String(required=True)
    as_written = fields.String(required=True, validate=_NonEmpty)  # spelling on this paper
    orcid = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(ORCID_PATTERN))
    affiliation = fields.String(allow_none=True, load_default=None)


class WorkRecordSchema(Schema):
    """A paper as read from a source, before it becomes an index document."""

    id = fields.String(required=True, validate=_NonEmpty)
    source = fields.String(required=True)
    collection_id = fields.String(required=True, validate=_NonEmpty)
    volume_id = fields.String(required=True, validate=_NonEmpty)
    title = fields.String(required=True, validate=validate.Length(min=1, error="title is empty"))
    abstract = fields.String(allow_none=True, load_default=None)
    year = fields.Integer(required=True, strict=False)
    month = fields.String(allow_none=True, load_default=None)
    type = fields.String(required=True, validate=_NonEmpty)
    venue_ids = fields.List(fields.String(validate=_NonEmpty), load_default=list)
    venue_names = fields.List(fields.String(), load_default=list)
    booktitle = fields.String(allow_none=True, load_default=None)
    publisher = fields.String(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    doi = fields.String(allow_none=True, load_default=None)
    pages = fields.String(allow_none=True, load_default=None)
    bibkey = fields.String(allow_none=True, load_default=None)
    url = fields.String(required=True, validate=_NonEmpty)
    authors = fields.List(fields.Nested(AuthorSchema), required=True)
    hidden = fields.Boolean(load_default=False)  # removed or retracted upstream
    # Preprint facts (arXiv): optional, and absent from records of sources that have none.
    arxiv_id = fields.String(validate=validate.Regexp(r"^(\d{4}\.\d{4,5}|[A-Za-z.\-]+/\d{7})$"))
    listed = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))  # first listing day
    categories = fields.List(fields.String(validate=_NonEmpty))
    category_labels = fields.List(fields.String())
    comment = fields.String(allow_none=True)

    @validates("year")
    def _year_in_range(self, value: int, **_: Any) -> None:
        if not MIN_YEAR <= value <= max_year():
            raise ValidationError(f"year {value} outside {MIN_YEAR}..{max_year()}")


WORK_SCHEMA = WorkRecordSchema()


def error_text(messages: Any, prefix: str = "") -> str:
    """Flatten marshmallow's nested error dict into one line, e.g. 'authors.0.id: ...'."""
    if isinstance(messages, dict):
        parts = [error_text(v, f"{prefix}{k}.") for k, v in sorted(messages.items(), key=str)]
        return "; ".join(parts)
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + " ".join(str(m) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"


def validate_work(record: dict[str, Any], source: str) -> tuple[dict[str, Any] | None, Reject | None]:
    """Return (loaded record, None) or (None, reject) with marshmallow's message as reason."""
    try:
        return WORK_SCHEMA.load(record), None
    except ValidationError as exc:
        rid = record.get("id") if isinstance(record.get("id"), str) else None
        return None, Reject("work", source, rid or None, error_text(exc.messages))
