"""Name forms shared by the indexer, search, the web side and evaluation: folding, slugs, full names,
initials, splitting printed and typed names.

Pure functions of their arguments. Person ids are slugs of full names (`slugify`), which is
also how the Anthology assigns ids to people it has no entry for.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_WORD = re.compile(r"[\W_]+")
_NAME_PARTS = re.compile(r"[\s\-]+")
# "S." / "S" / "S.D." / "S.-D." are initials, not names
_INITIALS = re.compile(r"^(?:[^\W\d_]\.?-?)+$")
_TOKEN = re.compile(r"[^\s,]+")
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ten", "ter"}
# Letters NFKD cannot decompose; folded the way the Anthology's own ids spell them.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                       "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ł": "l",
                       "Ł": "L", "ı": "i"})


def _bare(text: str) -> str:
    """`text` decomposed (NFKD) without its combining marks: accents dropped, letters kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def strip_accents(text: str) -> str:
    """"Anders Søgaard" -> "Anders Sogaard", "Jörg" -> "Jorg": the name as typed without diacritics."""
    return unicodedata.normalize("NFC", _bare(text.translate(_FOLD)))


def fold(text: str) -> str:
    """Lowercase without accents ("Müller" -> "muller"): two spellings that fold alike are one name."""
    return strip_accents(text).casefold()


def slugify(text: str) -> str:
    """Strip accents, lowercase, non-[a-z0-9] -> '-': "Shengding Hu" -> "shengding-hu".

    Names with no Latin letters at all (some CCL authors are listed only in Chinese script)
    would fold to nothing; they keep their own letters instead: "国江 周" -> "国江-周".
    """
    # Drop accents only; other symbols (’, CJK...) separate words like any punctuation.
    slug = _NON_ALNUM.sub("-", _bare(text.translate(_FOLD).lower())).strip("-")
    return slug or _NON_WORD.sub("-", text.casefold()).strip("-")


ID_SLUG_MAX = 100  # ids must stay well under the engine's 512 bytes, whatever a source calls a name


def id_slug(text: str) -> str:
    """`slugify` for an id: a slug longer than ID_SLUG_MAX characters (a listing that glues
    dozens of names into one "author") is cut and given a hash of the whole, so it stays stable
    and distinct."""
    slug = slugify(text)
    if len(slug) <= ID_SLUG_MAX:
        return slug
    digest = hashlib.sha1(slug.encode("utf-8")).hexdigest()[:10]
    return f"{slug[:ID_SLUG_MAX - 11].rstrip('-')}-{digest}"


def full_name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def variants(spellings: Iterable[str]) -> list[str]:
    """The distinct non-empty spellings of a name, first seen first."""
    return list(dict.fromkeys(s for s in spellings if s))


def initials(first: str, last: str) -> list[str]:
    """Citation-style forms: "S. Hu", "S Hu", "Hu S" (and "M. T. Pilehvar", "M. Pilehvar")."""
    letters = [p[0] for p in _NAME_PARTS.split(first) if p]
    return citation_forms(letters, last) if letters and last else []


def split_name(name: str) -> tuple[str, str]:
    """("Noah A.", "Smith"); ("Ludwig", "van Beethoven"); a single word is a family name."""
    words = name.split()
    if len(words) <= 1:
        return "", name.strip()
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def name_tokens(q: str) -> list[str]:
    """The words of a typed name: split on spaces and commas ("Hu, S." -> ["Hu", "S."])."""
    return _TOKEN.findall(q)


def split_initials(q: str) -> tuple[list[str], list[str]]:
    """Split a name query into (initial letters, other tokens).

    "S. Hu" -> (["s"], ["Hu"]); "S.D. Hu" -> (["s", "d"], ["Hu"]).
    A token counts as initials only when it has at most one letter per dot.
    """
    letters: list[str] = []
    words: list[str] = []
    for tok in name_tokens(q):
        core = tok.replace(".", "").replace("-", "")
        if _INITIALS.match(tok) and (len(core) == 1 or tok.count(".") >= len(core)):
            letters.extend(c.lower() for c in core)
        else:
            words.append(tok)
    return letters, words


def citation_forms(letters: list[str], last: str) -> list[str]:
    """The citation forms of initial `letters` and a last name ("S. Hu", "S Hu", "Hu S"; with
    several initials also the first alone): what a researcher document stores in `initials`,
    and what a typed "S. Hu" is matched against exactly (the engine's keyword normalizer
    lowercases and folds both sides)."""
    forms: list[str] = []
    for use in ((letters, letters[:1]) if len(letters) > 1 else (letters,)):
        forms += [" ".join(f"{c}." for c in use) + f" {last}", " ".join(use) + f" {last}",
                  f"{last} {''.join(use)}"]
    return list(dict.fromkeys(forms))
