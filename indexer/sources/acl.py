"""Reader for the ACL Anthology's own data layout (`xml/*.xml` + `yaml/`).

`AnthologySource(data_dir)` points at a folder holding `xml/` and `yaml/` (our shared copy, or
the `data/` folder of an acl-org/acl-anthology checkout). `read_collection(path)` turns one
collection file into validated work records plus rejects; it never raises on bad input.
It is the "acl" source of a build (indexer/sources/base.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from domain.names import full_name, slugify
from indexer.records import Reject, validate_work
from indexer.sources.base import FileResult, FileTask, Options, sample_tasks

try:  # the C loader is ~10x faster on the 3.7k-entry name file
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _YamlLoader

ANTHOLOGY_URL = "https://aclanthology.org/{}/"
_OLDSTYLE_COLLECTION = re.compile(r"^[A-Z]\d\d$")  # e.g. P05, W09
_ORCID_IN = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])")
# A sample starts from these collections: main conferences, 2025 first (the year whose papers
# the arXiv listings hold preprints of, so that a sample of both sources merges some), then
# the years with the fullest records.
MAIN_VENUES = ("acl", "emnlp", "naacl", "findings", "eacl", "coling", "tacl", "cl", "aacl", "conll")
SAMPLE_YEARS = (2025, 2022, 2023, 2024, 2021, 2020, 2019, 2018)
_PAPER = re.compile(rb"<paper\s")


def normalise_space(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def element_text(el: Any) -> str | None:
    """Full text of an element including inline markup (<fixed-case>, <i>, <tex-math>...)."""
    if el is None:
        return None
    # lxml's itertext skips comments and processing instructions, and the element's own tail.
    text = el.text if len(el) == 0 else "".join(el.itertext())
    return normalise_space(text) or None


def _children(el: Any) -> dict[str, Any]:
    """First child element per tag, in one pass (much cheaper than repeated find())."""
    found: dict[str, Any] = {}
    for child in el:
        if isinstance(child.tag, str):  # skip comments / processing instructions
            found.setdefault(child.tag, child)
    return found


def anthology_id(collection_id: str, volume_id: str, paper_id: str) -> str:
    """Upstream's id scheme: 2022.acl-long.158, P05-1001, W09-0101 (two-digit volumes)."""
    if not _OLDSTYLE_COLLECTION.match(collection_id):
        return f"{collection_id}-{volume_id}.{paper_id}"
    vol, num = int(volume_id), int(paper_id)
    if collection_id[0] == "W" or collection_id == "C69" or (collection_id == "D19" and vol >= 5):
        return f"{collection_id}-{vol:02d}{num:02d}"
    return f"{collection_id}-{vol}{num:03d}"


def clean_affiliation(text: str | None) -> str | None:
    """Whitespace-normalised, with repeated comma-separated parts dropped: upstream has
    ~770 slots like "Tsinghua University, Tsinghua University" that would split one
    institution into two."""
    parts = [p for p in (normalise_space(p) for p in (text or "").split(",")) if p]
    unique = {p.casefold(): p for p in reversed(parts)}  # first spelling of each part wins
    return ", ".join(unique[k] for k in dict.fromkeys(p.casefold() for p in parts)) or None


def _yaml_text(value: Any) -> str:
    """YAML may hand back numbers or booleans for bare scalars; names are text."""
    return "" if value is None else normalise_space(str(value))


def _clean_orcid(value: Any) -> str | None:
    match = _ORCID_IN.search(str(value or ""))
    return match.group(1).upper() if match else None


# ------------------------------------------------------------------ people


@dataclass(frozen=True)
class Person:
    """A name_variants.yaml entry: canonical name, id, and what else upstream records."""

    id: str
    first: str
    last: str
    orcid: str | None = None
    institution: str | None = None
    variants: tuple[str, ...] = ()  # full-name spellings, canonical first

    @property
    def name(self) -> str:
        return full_name(self.first, self.last)


class PersonIndex:
    """Resolves (first, last) spellings and explicit ids to `Person` entries."""

    def __init__(self, entries: Iterable[dict[str, Any]] = ()) -> None:
        self.by_id: dict[str, Person] = {}
        self._by_name: dict[tuple[str, str], set[str]] = {}
        for entry in entries:
            self._add(entry)

    @classmethod
    def from_yaml(cls, path: Path) -> PersonIndex:
        if not path.is_file():
            return cls()
        with path.open(encoding="utf-8") as fh:
            return cls(yaml.load(fh, Loader=_YamlLoader) or [])

    def _add(self, entry: Any) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("canonical"), dict):
            return  # not a person entry; nothing to resolve against
        names = [entry["canonical"], *(n for n in entry.get("variants") or [] if isinstance(n, dict))]
        keys = [(_yaml_text(n.get("first")), _yaml_text(n.get("last"))) for n in names]
        first, last = keys[0]
        pid = _yaml_text(entry.get("id")) or slugify(full_name(first, last))
        if not pid:
            return
        spellings = tuple(dict.fromkeys(full_name(f, la) for f, la in keys))
        self.by_id[pid] = Person(pid, first, last, _clean_orcid(entry.get("orcid")),
                                 _yaml_text(entry.get("institution")) or None, spellings)
        for key in keys:
            self._by_name.setdefault(key, set()).add(pid)

    def resolve(self, first: str, last: str, explicit_id: str | None) -> tuple[str, Person | None]:
        """Identity rule: explicit id, else the unique yaml entry for this spelling, else slug.

        A spelling shared by several entries (homonyms such as wei-ai / wei-ai-umich) is
        ambiguous, so it gets the plain slug, which is also what upstream assigns.
        """
        if explicit_id:
            return explicit_id, self.by_id.get(explicit_id)
        ids = self._by_name.get((first, last))
        if ids and len(ids) == 1:
            pid = next(iter(ids))
            return pid, self.by_id[pid]
        pid = slugify(full_name(first, last))
        return pid, self.by_id.get(pid)

    def known_variants(self) -> dict[str, tuple[str, ...]]:
        """Person id -> all yaml spellings, for researcher documents."""
        return {pid: p.variants for pid, p in self.by_id.items()}


# ------------------------------------------------------------------ venues & work types


@dataclass(frozen=True)
class Venue:
    id: str
    name: str
    acronym: str
    is_journal: bool = False
    is_toplevel: bool = False


def load_venues(folder: Path) -> dict[str, Venue]:
    venues: dict[str, Venue] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader) or {}
        except (yaml.YAMLError, OSError, UnicodeError):
            continue  # an unreadable venue file only costs us its display name
        if not isinstance(data, dict):
            continue
        venues[path.stem] = Venue(path.stem, str(data.get("name") or path.stem),
                                  str(data.get("acronym") or path.stem),
                                  data.get("type") == "journal", bool(data.get("is_toplevel")))
    return venues


# Checked in order against the volume id and booktitle (lowercased); first hit wins.
# "student research workshop" must precede the generic workshop rule.
_TYPE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), t) for p, t in (
        (r"\bsrw\b|student research workshop|student session", "student research workshop"),
        (r"\btutorials?\b|\btutoriel", "tutorial"),
        (r"\bdemos?\b|demonstration|system demo", "demo"),
        (r"\bindustry\b", "industry paper"),
        (r"\bshort\b|short papers", "short paper"),
        (r"\blong\b|long papers", "long paper"),
        (r"\bworkshop\b|\bws\b", "workshop paper"),
    )
)


def work_type(collection_id: str, volume_id: str, volume_type: str | None,
              booktitle: str | None, venues: list[Venue]) -> str:
    """A human label for the kind of paper, from cheap volume-level evidence only.

    journal (volume type or venue type) > findings > keywords in volume id / booktitle >
    old-style W collections and non-top-level venues as workshops > "proceedings paper".
    """
    if volume_type == "journal" or any(v.is_journal for v in venues):
        return "journal article"
    if any(v.id == "findings" for v in venues) or ".findings" in collection_id:
        return "findings"
    haystack = f"{volume_id} | {booktitle or ''}".lower()
    for pattern, label in _TYPE_RULES:
        if pattern.search(haystack):
            return label
    if collection_id.startswith("W") or (venues and not any(v.is_toplevel for v in venues)):
        return "workshop paper"
    return "proceedings paper"


# ------------------------------------------------------------------ reading


@dataclass
class CollectionResult:
    """What one collection file yielded: accepted records, rejects, and papers seen."""

    path: Path
    collection_id: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    papers_seen: int = 0


class AnthologySource:
    """The Anthology data folder: collection files, people and venues.

    Tracks every accepted paper id, so a duplicate anywhere in the corpus is rejected; use
    one instance per indexing run (`read_file` reads each file on its own instead).
    `require_url=False` accepts papers without a <url> (no PDF upstream, 577 in the 2025-11
    snapshot) under their derived Anthology id.
    """

    name = "acl"

    def __init__(self, data_dir: str | Path, *, require_url: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.require_url = require_url
        self.seen_ids: dict[str, str] = {}  # paper id -> file it was first read from
        self._people: PersonIndex | None = None
        self._venues: dict[str, Venue] | None = None

    @property
    def people(self) -> PersonIndex:
        if self._people is None:
            self._people = PersonIndex.from_yaml(self.data_dir / "yaml" / "name_variants.yaml")
        return self._people

    @property
    def venues(self) -> dict[str, Venue]:
        if self._venues is None:
            self._venues = load_venues(self.data_dir / "yaml" / "venues")
        return self._venues

    # ---- the build's interface (indexer/sources/base.py)

    def plan(self, options: Options) -> list[FileTask]:
        if options.files:
            mine = tuple(f for f in options.files if self.owns(Path(f)))
            if not mine:
                return []
            options = replace(options, files=mine)
        return plan_collections(self.data_dir, options)

    def owns(self, path: Path) -> bool:
        return path.suffix == ".xml"

    def read_file(self, task: FileTask) -> FileResult:
        """One collection file on its own: duplicates across files are for the build to find."""
        self.seen_ids.clear()
        result = self.read_collection(task.path)
        return FileResult(task.path.name, result.records, result.rejects, read=result.papers_seen)

    def known_variants(self) -> dict[str, tuple[str, ...]]:
        return self.people.known_variants()

    # ----

    def collection_paths(self) -> list[Path]:
        return sorted((self.data_dir / "xml").glob("*.xml"))

    def iter_collections(self, paths: Iterable[Path] | None = None) -> Iterator[CollectionResult]:
        for path in self.collection_paths() if paths is None else paths:
            yield self.read_collection(path)

    def read_collection(self, path: str | Path) -> CollectionResult:
        path = Path(path)
        result = CollectionResult(path)
        try:
            # No entity expansion or network: the files are data, never instructions.
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            root = etree.parse(str(path), parser).getroot()
        except (etree.LxmlError, OSError, ValueError) as exc:
            result.rejects.append(Reject("collection", path.name, None, f"unreadable XML: {exc}"))
            return result
        collection_id = normalise_space(root.get("id")) if root.tag == "collection" else ""
        if not collection_id:
            result.rejects.append(Reject("collection", path.name, None,
                                         "root element is not <collection id=...>"))
            return result
        result.collection_id = collection_id
        try:
            self._read_volumes(root, collection_id, path.name, result)
        except Exception as exc:  # noqa: BLE001 - a malformed volume costs its file, not the run
            result.rejects.append(Reject("collection", path.name, None,
                                         f"unexpected {type(exc).__name__}: {exc}"))
        return result

    def _read_volumes(self, root: Any, collection_id: str, source: str,
                      result: CollectionResult) -> None:
        for volume in root.iterfind("volume"):
            meta = self._volume_meta(collection_id, volume)
            for paper in volume.iterfind("paper"):  # <frontmatter> is not a paper
                result.papers_seen += 1
                try:
                    record, reject = self._paper(source, meta, paper)
                except Exception as exc:  # noqa: BLE001 - one odd paper must not stop a run
                    record, reject = None, Reject("work", source, None,
                                                  f"unexpected {type(exc).__name__}: {exc}")
                if reject is not None:
                    result.rejects.append(reject)
                else:
                    self.seen_ids[record["id"]] = source
                    result.records.append(record)

    def _volume_meta(self, collection_id: str, volume: Any) -> dict[str, Any]:
        meta = volume.find("meta")
        meta = meta if meta is not None else etree.Element("meta")
        kids = _children(meta)
        venue_ids = [v for v in (element_text(e) for e in meta.iterfind("venue")) if v]
        venues = [self.venues[v] for v in venue_ids if v in self.venues]
        volume_id = normalise_space(volume.get("id"))
        booktitle = element_text(kids.get("booktitle"))
        return {
            "collection_id": collection_id,
            "volume_id": volume_id,
            "year": element_text(kids.get("year")),
            "month": element_text(kids.get("month")),
            "booktitle": booktitle,
            "publisher": element_text(kids.get("publisher")),
            "address": element_text(kids.get("address")),
            "venue_ids": venue_ids,
            "venue_names": [v.name for v in venues],
            "type": work_type(collection_id, volume_id, volume.get("type"), booktitle, venues),
        }

    def _paper(self, source: str, meta: dict[str, Any], paper: Any) -> tuple[dict | None, Reject | None]:
        kids = _children(paper)
        paper_no = normalise_space(paper.get("id"))
        url = element_text(kids.get("url"))
        derived = _derived_id(meta, paper_no)
        if url is None and (self.require_url or derived is None):
            where = f"volume {meta['volume_id'] or '?'}, paper {paper_no or '?'}"
            return None, Reject("work", source, None, f"missing <url> ({where})")
        # <url> holds the Anthology id, except for papers hosted elsewhere (e.g. LREC PDFs).
        external = url is not None and url.lower().startswith(("http://", "https://"))
        pid = derived if url is None or external else url
        if pid is None:
            return None, Reject("work", source, None, "paper hosted elsewhere has no id attribute")
        if pid in self.seen_ids:
            return None, Reject("work", source, pid,
                                f"duplicate paper id {pid} (first seen in {self.seen_ids[pid]})")
        record = {
            **meta,
            "id": pid,
            "source": source,
            "url": url if external else ANTHOLOGY_URL.format(pid),
            "authors": [self._author(a) for a in paper if a.tag == "author"],
            "hidden": "removed" in kids or "retracted" in kids,
        }
        if record["year"] is None:
            del record["year"]  # let the schema report the missing field
        title = element_text(kids.get("title"))
        if title is not None:
            record["title"] = title
        for tag in ("abstract", "doi", "pages", "bibkey"):
            record[tag] = element_text(kids.get(tag))
        return validate_work(record, source)

    def _author(self, el: Any) -> dict[str, Any]:
        # Direct children only: <variant> (e.g. Chinese script) nests its own <first>/<last>.
        kids = _children(el)
        first = element_text(kids.get("first")) or ""
        last = element_text(kids.get("last")) or ""
        pid, person = self.people.resolve(first, last, normalise_space(el.get("id")) or None)
        shown_first, shown_last = (person.first, person.last) if person else (first, last)
        return {
            "id": pid,
            "name": full_name(shown_first, shown_last),
            "first": shown_first,
            "last": shown_last,
            "as_written": full_name(first, last),
            "orcid": _clean_orcid(el.get("orcid")) or (person.orcid if person else None),
            "affiliation": clean_affiliation(element_text(kids.get("affiliation"))),
        }


def _derived_id(meta: dict[str, Any], paper_no: str) -> str | None:
    try:
        return anthology_id(meta["collection_id"], meta["volume_id"], paper_no) if paper_no else None
    except ValueError:  # old-style collection with a non-numeric volume or paper number
        return None


# ------------------------------------------------------------------ planning


def count_papers(path: Path) -> int:
    return len(_PAPER.findall(path.read_bytes()))


def sample_order(paths: list[Path]) -> list[Path]:
    by_name = {p.name: p for p in paths}
    first = [by_name[f"{y}.{v}.xml"] for y in SAMPLE_YEARS for v in MAIN_VENUES if f"{y}.{v}.xml" in by_name]
    chosen = set(first)
    return first + sorted((p for p in paths if p not in chosen), key=lambda p: p.name, reverse=True)


def plan_collections(data_dir: Path, options: Options) -> list[FileTask]:
    """The collection files a build reads: those named, a sample (whole collections, main
    conferences of 2025 first, so that a demo keeps real co-author graphs and volumes; of the
    named files, in their order, when files are named too), or all."""
    xml = data_dir / "xml"
    if not xml.is_dir():
        raise FileNotFoundError(f"no xml/ folder in {data_dir}; point PEERSCOPE_DATA_DIR at the Anthology's data/")
    if options.files:
        missing = [f for f in options.files if not (xml / Path(f).name).exists()]
        if missing:
            raise FileNotFoundError(f"collection files not found in {xml}: {', '.join(missing)}")
        paths = [xml / Path(f).name for f in options.files]
    else:
        paths = sorted(xml.glob("*.xml"))
        paths = sample_order(paths) if options.sample else paths
    if not options.sample:
        return [FileTask(p) for p in paths]
    return sample_tasks(paths, options.sample, count_papers, "acl")
