"""Citation exports of a work: BibTeX, RIS and CSL-JSON. Pure functions of the work dict.

`names` optionally maps author ids to (given, family) from their researcher
profiles; without it a printed name is split before its last word, keeping
lowercase particles ("van", "de", ...) with the family name.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.names import split_name

ANTHOLOGY = "https://aclanthology.org/{id}/"
ARXIV_ABS = "https://arxiv.org/abs/{id}"
ARXIV_PREFIX = "arxiv:"
Names = Mapping[str, tuple[str, str]]
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_KEY_SAFE = re.compile(r"[^A-Za-z0-9_:\-.]")
VERBATIM = ("url", "doi", "eprint")


def bibtex_escape(text: str | None) -> str:
    """Escape the characters that are special to (La)TeX; one line, no control characters."""
    clean = " ".join(str(text or "").split())
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], clean)


def author_names(work: Mapping[str, Any], names: Names | None = None) -> list[tuple[str, str]]:
    out = []
    for a in work.get("authors") or []:
        known = (names or {}).get(a.get("id") or "")
        out.append(known if known else split_name(a.get("name") or ""))
    return out


def month_number(month: str | None) -> int | None:
    if not month:
        return None
    m = str(month).strip().lower()
    if m.isdigit() and 1 <= int(m) <= 12:
        return int(m)
    return next((n for full, n in MONTHS.items() if m and full.startswith(m[:3])), None)


def arxiv_id(work: Mapping[str, Any]) -> str | None:
    """The arXiv id of the work's arXiv version ("2505.14577"), if it has one."""
    if work.get("arxiv_id"):
        return str(work["arxiv_id"])
    wid = str(work.get("id") or "")
    return wid[len(ARXIV_PREFIX):] if wid.startswith(ARXIV_PREFIX) else None


def is_preprint(work: Mapping[str, Any]) -> bool:
    """Only on arXiv: no published version (a merged work keeps its published type)."""
    return (work.get("type") or "").lower() == "preprint" or list(work.get("sources") or []) == ["arxiv"]


def primary_class(work: Mapping[str, Any]) -> str | None:
    """The first of the arXiv categories, the primary one in the listings."""
    cats = work.get("categories") or []
    return (cats if isinstance(cats, list) else [cats])[0] if cats else None


def is_journal(work: Mapping[str, Any]) -> bool:
    venues = set(work.get("venue_ids") or [])
    return bool(venues & {"tacl", "cl"}) or (work.get("type") or "").lower() in ("journal", "article")


def url(work: Mapping[str, Any]) -> str:
    if work.get("url"):
        return work["url"]
    return ARXIV_ABS.format(id=arxiv_id(work)) if is_preprint(work) and arxiv_id(work) else ANTHOLOGY.format(id=work["id"])


def citation_key(work: Mapping[str, Any]) -> str:
    return _KEY_SAFE.sub("", work.get("bibkey") or "") or _KEY_SAFE.sub("-", work["id"])


def bibtex(work: Mapping[str, Any], names: Names | None = None) -> str:
    """@article / @inproceedings for a published work, @misc for a preprint; a work with an
    arXiv version also carries eprint, archivePrefix and primaryClass (biblatex and natbib
    styles print them as arXiv:ID [class])."""
    preprint = is_preprint(work)
    entry = "misc" if preprint else "article" if is_journal(work) else "inproceedings"
    people = " and ".join(f"{family}, {given}" if given else family
                          for given, family in author_names(work, names))
    container = "journal" if entry == "article" else "booktitle"
    eprint = arxiv_id(work)
    fields = [
        ("title", work.get("title")),
        ("author", people),
        (container, None if preprint else work.get("booktitle") or ", ".join(work.get("venue_names") or [])),
        ("eprint", eprint),
        ("archivePrefix", "arXiv" if eprint else None),
        ("primaryClass", primary_class(work) if eprint else None),
        ("month", work.get("month")),
        ("year", work.get("year")),
        ("address", work.get("address")),
        ("publisher", work.get("publisher")),
        ("url", url(work)),
        ("doi", work.get("doi")),
        ("pages", re.sub(r"\s*[-\u2010-\u2015]+\s*", "--", work.get("pages") or "")),  # en dashes too
        ("abstract", work.get("abstract")),
    ]
    lines = [f"@{entry}{{{citation_key(work)},"]
    for name, value in fields:
        if value in (None, ""):
            continue
        text = bibtex_escape(str(value)) if name not in VERBATIM else _bibtex_verbatim(str(value))
        lines.append(f"    {name} = {{{text}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _bibtex_verbatim(value: str) -> str:
    """URLs and DOIs keep their characters; only braces (which would end the field) go."""
    return value.replace("{", "").replace("}", "").replace("\\", "")


def ris(work: Mapping[str, Any], names: Names | None = None) -> str:
    """JOUR / CPAPER for a published work, UNPB for a preprint; the arXiv id of an arXiv
    version as the accession number (AN) with arXiv as the database (DB)."""
    preprint = is_preprint(work)
    kind = "UNPB" if preprint else "JOUR" if is_journal(work) else "CPAPER"
    eprint = arxiv_id(work)
    rows: list[tuple[str, Any]] = [("TY", kind), ("TI", work.get("title"))]
    rows += [("AU", f"{family}, {given}" if given else family) for given, family in author_names(work, names)]
    pages = (work.get("pages") or "").replace("--", "-").split("-")
    rows += [
        ("PY", work.get("year")),
        ("DA", _ris_date(work)),
        ("T2" if kind == "CPAPER" else "JO",
         None if preprint else work.get("booktitle") or ", ".join(work.get("venue_names") or [])),
        ("PB", "arXiv" if preprint else work.get("publisher")),
        ("CY", work.get("address")),
        ("SP", pages[0] if pages and pages[0] else None),
        ("EP", pages[1] if len(pages) > 1 and pages[1] else None),
        ("DO", work.get("doi")),
        ("UR", url(work)),
        ("AB", work.get("abstract")),
        ("AN", f"arXiv:{eprint}" if eprint else None),
        ("DB", "arXiv" if eprint else None),
        ("KW", primary_class(work) if eprint else None),
        ("ID", work["id"]),
    ]
    lines = [f"{tag}  - {' '.join(str(value).split())}" for tag, value in rows if value not in (None, "")]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def _ris_date(work: Mapping[str, Any]) -> str | None:
    if not work.get("year"):
        return None
    m = month_number(work.get("month"))
    return f"{work['year']}/{m:02d}//" if m else f"{work['year']}///"


def csl_json(work: Mapping[str, Any], names: Names | None = None) -> list[dict]:
    """A one-item CSL-JSON array, as citation managers and citeproc expect. A preprint is an
    "article" (CSL's type for preprints) numbered in the arXiv archive."""
    preprint = is_preprint(work)
    eprint = arxiv_id(work)
    item: dict[str, Any] = {
        "id": citation_key(work),
        "type": "article" if preprint else "article-journal" if is_journal(work) else "paper-conference",
        "title": work.get("title"),
        "author": [{"given": g, "family": f} if g else {"literal": f} for g, f in author_names(work, names)],
    }
    if work.get("year"):
        parts = [work["year"]] + ([m] if (m := month_number(work.get("month"))) else [])
        item["issued"] = {"date-parts": [parts]}
    optional = {
        "container-title": None if preprint else work.get("booktitle") or ", ".join(work.get("venue_names") or []) or None,
        "publisher": "arXiv" if preprint else work.get("publisher"),
        "archive": "arXiv" if preprint and eprint else None,
        "number": f"arXiv:{eprint}" if preprint and eprint else None,
        "publisher-place": work.get("address"),
        "event-place": work.get("address"),
        "page": (work.get("pages") or "").replace("--", "-") or None,
        "DOI": work.get("doi"),
        "URL": url(work),
        "abstract": work.get("abstract"),
    }
    item.update({k: v for k, v in optional.items() if v})
    return [item]
