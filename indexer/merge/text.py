"""Comparable forms of titles and names, shared by work matching and person linking.

Titles: folded (accents, case), TeX already decoded by the readers, punctuation and spacing
ignored: `title_key("mHC: Manifold-Constrained Hyper-Connections")` == "mhcmanifoldconstrainedhyperconnections".
A system-paper prefix ("TeamX@Task25:", "XYZ at SemEval-2025 Task 3:") or a short name before a
colon ("mHC:") is split off as well, so a version that adds or drops it still meets the other
(`title_forms`). Numbers are kept apart (`title_numbers`): two titles whose numbers differ
(SemEval-2025 against SemEval-2026) are different papers whatever their words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from domain import names
from indexer.sources.tex import tex_to_text

_TOKEN = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d+")
# "TeamX@Task25:", "XYZ at SemEval-2025 Task 3:", "UoB at BioLaySumm 2025:", "NLP-Lab @ WMT25:"
_SYSTEM_PREFIX = re.compile(r"^\s*(?P<prefix>[^:]{1,80}?(?:@|\s+at\s+)[^:]{2,80}?)\s*:\s+(?P<body>\S.*)$",
                            re.IGNORECASE)
_COLON = re.compile(r"^\s*(?P<prefix>[^:]{1,60}?)\s*[:–—]\s+(?P<body>\S.*)$")
MIN_BODY_TOKENS = 4

STOPWORDS = frozenset(
    "a an the of for and or in on at to with from by via as is are be its into over under using "
    "towards toward through based than not do does can we our your their this that these those "
    "what when where which who how why".split())


def fold(text: str) -> str:
    """`domain.names.fold` ("Müller" -> "muller", "M²" -> "m2"), ASCII text taking a short cut."""
    return text.lower() if text.isascii() else names.fold(text)


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits), in order."""
    return _TOKEN.findall(fold(text))


def title_key(title: str) -> str:
    """The title with case, accents, spaces and punctuation ignored ("+" counts: LMOD+ is not LMOD)."""
    return "".join(tokens(title.replace("+", " plus ")))


# Common acronyms of the field, read as their words so that "LLMs" meets "Large Language Models".
ACRONYMS = {
    "llm": "large language model", "llms": "large language models", "lm": "language model",
    "lms": "language models", "plm": "pretrained language model", "plms": "pretrained language models",
    "mllm": "multimodal large language model", "mllms": "multimodal large language models",
    "vlm": "vision language model", "vlms": "vision language models",
    "lvlm": "large vision language model", "lvlms": "large vision language models",
    "lrm": "large reasoning model", "lrms": "large reasoning models", "nli": "natural language inference",
    "qa": "question answering", "mt": "machine translation", "nmt": "neural machine translation",
    "ner": "named entity recognition", "asr": "automatic speech recognition", "tts": "text to speech",
    "rag": "retrieval augmented generation", "kg": "knowledge graph", "kgs": "knowledge graphs",
    "rl": "reinforcement learning", "moe": "mixture of experts", "nlp": "natural language processing",
    "nlg": "natural language generation", "nlu": "natural language understanding",
    "cot": "chain of thought", "icl": "in context learning", "sft": "supervised fine tuning",
}
STEM = 6  # words compare by their first six letters: "finance" ~ "financial", "evaluating" ~ "evaluation"


def content_words(text: str) -> frozenset[str]:
    """Stemmed content words, acronyms spelled out: the words title similarity counts."""
    out = set()
    for t in tokens(text.replace("+", " plus ")):
        for w in ACRONYMS.get(t, t).split():
            if w not in STOPWORDS:
                out.add((w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)[:STEM])
    return frozenset(out)


def _number(text: str) -> int:
    n = int(text[-6:])  # long digit runs (ids, dates) compare by their tail
    return n - 2000 if 2000 <= n <= 2099 else n  # "WMT 2025" and "WMT25" agree


_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
             "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
_ORDINAL = re.compile(r"\b(?:" + "|".join(_ORDINALS) + r")\b")
# "the Fifth Shared Task", "Second BabyLM Challenge": an ordinal naming an edition
_EDITION = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(?:[^\W_]+\s+){0,3}?"
                      r"(?:shared|task|workshop|edition|challenge|competition|conference|international|annual|round)\b")


def title_numbers(title: str) -> frozenset[int]:
    """The numbers a title holds, 20xx read as xx, edition ordinals as numbers:
    "SemEval-2025 Task 3" -> {25, 3}; "Findings of the Fifth Shared Task" -> {5}."""
    folded = fold(title)
    found = {_number(d) for d in _DIGITS.findall(folded)}
    if _ORDINAL.search(folded):
        found.update(_ORDINALS.index(m.group(1)) + 1 for m in _EDITION.finditer(folded))
    return frozenset(found)


@dataclass(frozen=True)
class TitleForms:
    """A title's comparable forms: whole, its body without a leading prefix, and that prefix."""

    key: str
    body_key: str | None  # after "Prefix:" when that leaves a real title
    prefix: str | None  # the prefix as written
    system_prefix: bool  # "Team at Event:" (a shared-task system paper)
    head_key: str | None  # a short name before the colon ("mHC", "TimeR⁴"), not a system prefix
    main_key: str | None  # a title of its own before a subtitle ("Named Entity Recognition in Context: ...")
    words: frozenset[str]  # content words of the whole title
    body_words: frozenset[str]
    numbers: frozenset[int]


@lru_cache(maxsize=1 << 18)
def title_forms(title: str) -> TitleForms:
    title = tex_to_text(title)
    m = _SYSTEM_PREFIX.match(title)
    system = m is not None
    m = m or _COLON.match(title)
    body = m.group("body") if m else None
    if body is not None and len(tokens(body)) < MIN_BODY_TOKENS:
        body, m, system = None, None, False
    prefix = m.group("prefix").strip() if m else None
    all_words = content_words(title)
    short_head = prefix is not None and not system and len(tokens(prefix)) <= 3
    return TitleForms(
        key=title_key(title),
        body_key=title_key(body) if body else None,
        prefix=prefix,
        system_prefix=system,
        head_key=title_key(prefix) if short_head else None,
        main_key=title_key(prefix) if prefix and not system and len(content_words(prefix)) >= 4 else None,
        words=all_words,
        body_words=content_words(body) if body else all_words,
        numbers=title_numbers(title),
    )


# ------------------------------------------------------------------ names

_NAME_PARTS = re.compile(r"[\s\-.'’]+")


# Memoised: the linker asks for the key of each co-author's name once per other author of the
# paper, tens of millions of times for some hundreds of thousands of distinct names (bounded: the
# web app's corrections call it too, in a long-lived process).
NAME_CACHE = 1 << 19


@lru_cache(maxsize=NAME_CACHE)
def name_key(name: str) -> str:
    """A full name with case, accents, spaces, hyphens and dots ignored: "Chun-Han Yao" -> "chunhanyao"."""
    return "".join(name_words(name))


@lru_cache(maxsize=NAME_CACHE)
def name_words(name: str) -> tuple[str, ...]:
    return tuple(w for w in _NAME_PARTS.split(fold(name)) if w)


def last_initial(first: str, last: str) -> str:
    """"hu s" for Shengding Hu: the folded last name and the first initial."""
    first_words = name_words(first)
    return f"{name_key(last)} {first_words[0][0] if first_words else ''}".strip()
