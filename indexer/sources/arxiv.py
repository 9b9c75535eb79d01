"""Reader for daily arXiv listings: JSON Lines, one file per listing day (`2025-12-31.jsonl`).

Each line is one paper: `id`, `categories`, `authors` (name strings only), `title`, `summary`,
`comment`, `abs`, `pdf`. `ArxivSource(folder).read_file(FileTask(path))` turns a file into
validated work records plus rejects and never raises on bad input:

- a line that is not JSON, not an object, or has no usable id or title is set aside with the
  reason (`Reject`);
- a paper already read (listed again on a later day, or twice in one file) counts as a
  repeated listing and is kept once, from the first day it was listed;
- so `read = len(records) + len(work rejects) + repeated` for every file.

Records use the work record fields (indexer/records.py) with arXiv's facts: id
`arxiv:<arXiv id>`, type "preprint", venue "arXiv", the abstract page as url, the DataCite DOI
10.48550/arXiv.<id>, year and month from the id (YYMM), the listing day as `listed`, categories
with readable labels, and TeX made readable. Authors carry provisional ids
(`arxiv-name:<slug of the name>`): who they are is decided when sources are merged
(indexer/merge/people.py), not here.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from domain import names
from indexer.records import Reject, validate_work
from indexer.sources import arxiv_taxonomy
from indexer.sources.base import FileResult, FileTask, Options, sample_tasks
from indexer.sources.tex import tex_to_text

NAME = "arxiv"
ID_PREFIX = "arxiv:"
PROVISIONAL_PREFIX = "arxiv-name:"
ABS_URL = "https://arxiv.org/abs/{}"
DOI = "10.48550/arXiv.{}"
VENUE_ID, VENUE_NAME, WORK_TYPE = "arxiv", "arXiv", "preprint"

_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.jsonl$")
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")  # 2512.24880 (since 2007)
_OLD_ID = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}$")  # hep-th/9901001
_VERSION = re.compile(r"v\d+$")
_ID_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?/?$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_SPACES = re.compile(r"\s+")


# ------------------------------------------------------------------ ids and dates


def parse_id(value: Any) -> str | None:
    """The bare arXiv id without version ("2512.24880v2" -> "2512.24880"), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _ID_IN_URL.search(text)
    text = _VERSION.sub("", m.group(1) if m else text.removeprefix("arXiv:").removeprefix("arxiv:"))
    return text if (_NEW_ID.match(text) or _OLD_ID.match(text)) else None


def id_date(arxiv_id: str) -> tuple[int, int]:
    """(year, month) of submission from the id's YYMM ("2512.24880" -> (2025, 12))."""
    m = _NEW_ID.match(arxiv_id) or _OLD_ID.match(arxiv_id)
    if m is None:
        raise ValueError(f"not an arXiv id: {arxiv_id!r}")
    yy, mm = int(m.group(1)), int(m.group(2))
    return (1900 + yy if yy >= 91 else 2000 + yy), mm


def listing_day(path: Path) -> str | None:
    """"2025-12-31.jsonl" -> "2025-12-31" (None if the name is not a valid date)."""
    m = _FILE.match(path.name)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def work_id(arxiv_id: str) -> str:
    return f"{ID_PREFIX}{arxiv_id}"


# ------------------------------------------------------------------ names

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_MARKERS = re.compile(r"[*†‡§¶#∗⋆✉]+|\(\s*\)")
_NICKNAME = re.compile(r"\s*[\"“(][^\"”)]{1,20}[\"”)]\s*|\s*\"[^\"]{1,20}''\s*|\s+'[A-Z][a-z]+'(?=\s)")
_APOSTROPHE_GAP = re.compile(r"\b([OD]') (?=[A-Z])")  # "James O' Neill" -> "James O'Neill"
_BARE_ACCENT = re.compile(r"(?<=[a-z])([\"`])([aeiouy])")  # Rapha"el, Valli`eres: a lost backslash
_BARE_MARKS = {'"': "\u0308", "`": "\u0300"}


def clean_name(raw: str) -> str:
    """A readable author name: TeX decoded, ties and underscores as spaces, markers dropped."""
    text = _BARE_ACCENT.sub(lambda m: unicodedata.normalize("NFC", m.group(2) + _BARE_MARKS[m.group(1)]), raw)
    text = tex_to_text(text.replace("_", " "))
    text = _APOSTROPHE_GAP.sub(r"\1", _MARKERS.sub("", _NICKNAME.sub(" ", text)))
    return _SPACES.sub(" ", text).strip(" ,;:/\\")


def split_name(name: str) -> tuple[str, str]:
    """(first, last) as `domain.names.split_name` splits them, a suffix kept with the last
    name: "Roberto M. Cesar Jr." -> ("Roberto M.", "Cesar Jr."); "NVIDIA" -> ("", "NVIDIA")."""
    words = name.split()
    if len(words) > 2 and words[-1].lower() in _SUFFIXES:
        first, last = names.split_name(" ".join(words[:-1]))
        return first, f"{last} {words[-1]}"
    return names.split_name(name)


def provisional_id(name: str) -> str:
    """`arxiv-name:<slug>`: the same spelling gives the same id on every paper."""
    return PROVISIONAL_PREFIX + (names.slugify(name) or name.casefold())


def author_names(value: Any) -> list[str] | None:
    """Cleaned author names of a listing line (None if `authors` is not a list of strings).

    Group names stay ("NVIDIA"), the bare ":" that follows them goes, and a slot holding
    several names joined by ";" is split."""
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        return None
    names = []
    for slot in value:
        for part in slot.split(";") if ";" in slot else (slot,):
            name = clean_name(part)
            if name and any(c.isalnum() for c in name):
                names.append(name)
    return names


def author_slot(as_written: str) -> dict[str, Any]:
    name = clean_name(as_written) or as_written.strip()
    first, last = split_name(name)
    return {"id": provisional_id(name), "name": name, "first": first, "last": last,
            "as_written": _SPACES.sub(" ", as_written).strip(), "orcid": None, "affiliation": None}


# ------------------------------------------------------------------ reading


def _text(value: Any) -> str | None:
    return tex_to_text(value) or None if isinstance(value, str) else None


def categories(value: Any) -> list[str]:
    """arXiv category codes of a line, in order, without the ACM/MSC classes mixed in."""
    if not isinstance(value, list):
        return []
    codes = (c.strip() for c in value if isinstance(c, str))
    return list(dict.fromkeys(c for c in codes if arxiv_taxonomy.is_category(c)))


class ArxivSource:
    """A folder of daily listing files (`YYYY-MM-DD.jsonl`). A paper listed twice in one file
    is kept once; a paper listed again on a later day is for the build to find (its spool
    holds every file's records), like the Anthology's duplicates across collection files."""

    name = NAME

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.seen: dict[str, str] = {}  # arXiv id -> file, within the file being read

    # -- Source interface

    def paths(self) -> list[Path]:
        return sorted(p for p in self.data_dir.glob("*.jsonl") if _FILE.match(p.name))

    def owns(self, path: Path) -> bool:
        return bool(_FILE.match(Path(path).name))

    def plan(self, options: Options) -> list[FileTask]:
        """Files of a build: the named ones (`--files`), a sample, or every listing day.

        A sample takes whole days, oldest first, until it holds about `options.sample` papers:
        the first months of the listings hold the preprints of the Anthology's 2025 papers, which
        the Anthology's sample starts from, so a sample of both sources merges some."""
        if options.files:
            mine = [Path(f) for f in options.files if self.owns(Path(f))]
            if not mine:
                return []
            missing = [p.name for p in mine if not (self.data_dir / p.name).exists()]
            if missing:
                raise FileNotFoundError(f"listing files not found in {self.data_dir}: {', '.join(missing)}")
            return [FileTask(self.data_dir / p.name, source=NAME) for p in mine]
        paths = self.paths()
        if not options.sample:
            return [FileTask(p, source=NAME) for p in paths]
        return sample_tasks(paths, options.sample, _count_lines, NAME)

    def known_variants(self) -> dict[str, tuple[str, ...]]:
        return {}  # listings carry no person entries

    def read_file(self, task: FileTask) -> FileResult:
        self.seen.clear()
        path = Path(task.path)
        result = FileResult(path.name, [], [], 0)
        try:
            with path.open("rb") as fh:
                raw_lines: Iterable[bytes] = fh.readlines()
        except OSError as exc:
            result.rejects.append(Reject("collection", path.name, None, f"unreadable file: {exc}"))
            return result
        day = listing_day(path)
        for number, raw in enumerate(raw_lines, start=1):
            if not raw.strip():
                continue
            if task.limit is not None and len(result.records) >= task.limit:
                break
            result.read += 1
            try:
                record, reject = self._line(raw, path.name, number, day)
            except Exception as exc:  # noqa: BLE001 - one odd line must not stop a run
                record, reject = None, Reject("work", path.name, None,
                                              f"line {number}: unexpected {type(exc).__name__}: {exc}")
            if reject is not None:
                result.rejects.append(reject)
            elif record is None:
                result.repeated += 1
            else:
                self.seen[record["arxiv_id"]] = path.name
                result.records.append(record)
        return result

    # -- one line

    def _line(self, raw: bytes, source: str, number: int, day: str | None
              ) -> tuple[dict[str, Any] | None, Reject | None]:
        """(record, None), (None, reject), or (None, None) for a repeated listing."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return None, Reject("work", source, None, f"line {number}: malformed line: not UTF-8 ({exc.reason})")
        except ValueError as exc:
            return None, Reject("work", source, None, f"line {number}: malformed line: {exc}")
        if not isinstance(data, dict):
            return None, Reject("work", source, None,
                                f"line {number}: malformed line: a JSON {type(data).__name__}, not an object")
        arxiv_id = parse_id(data.get("id")) or parse_id(data.get("abs"))
        if arxiv_id is None:
            given = data.get("id")
            why = "no id" if given in (None, "") else f"id {str(given)[:40]!r} is not an arXiv id"
            return None, Reject("work", source, None, f"line {number}: {why}")
        if arxiv_id in self.seen:
            return None, None
        title = _text(data.get("title"))
        if not title:
            return None, Reject("work", source, work_id(arxiv_id), f"line {number}: no title")
        names = author_names(data.get("authors"))
        if names is None:
            return None, Reject("work", source, work_id(arxiv_id),
                                f"line {number}: authors is not a list of names")
        year, month = id_date(arxiv_id)
        codes = categories(data.get("categories"))
        record = {
            "id": work_id(arxiv_id),
            "source": source,
            "collection_id": VENUE_ID,
            "volume_id": codes[0] if codes else VENUE_ID,  # the primary category
            "title": title,
            "abstract": _text(data.get("summary")),
            "year": year,
            "month": _MONTHS[month - 1] if 1 <= month <= 12 else None,
            "type": WORK_TYPE,
            "venue_ids": [VENUE_ID],
            "venue_names": [VENUE_NAME],
            "publisher": VENUE_NAME,
            "doi": DOI.format(arxiv_id),
            "url": ABS_URL.format(arxiv_id),
            "authors": [author_slot(n) for n in names],
            "arxiv_id": arxiv_id,
            "listed": day,
            "categories": codes,
            "category_labels": [arxiv_taxonomy.label(c) for c in codes],
            "comment": _text(data.get("comment")),
        }
        loaded, reject = validate_work(record, source)
        if reject is not None:
            return None, Reject(reject.entity, reject.source, reject.record_id,
                                f"line {number}: {reject.reason}")
        return loaded, None


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())
