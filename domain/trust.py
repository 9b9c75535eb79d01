"""The researcher trust score: 0-100 from observable signals. Formula in docs/TRUST.md.

Pure and deterministic: the same inputs always give the same score, so a profile's score can
be explained signal by signal and recomputed by anyone from the public record.
"""
from __future__ import annotations

import math
from typing import Any

# Signal caps (sum = 100). Changing any of these changes docs/TRUST.md.
ORCID_POINTS = 15.0
SPAN_POINTS, SPAN_FULL_YEARS = 15.0, 10
WORKS_POINTS, WORKS_FULL = 20.0, 50
VENUES_POINTS, VENUES_FULL = 10.0, 5
COAUTHORS_POINTS, COAUTHORS_FULL = 15.0, 50
AFFILIATION_POINTS = 10.0
CLAIMED_POINTS = 15.0

# (lowest score, band); checked from the top. 70 is the most an unclaimed profile without
# ORCID can reach, so a prolific author is "Highly established" without linking anything.
BANDS = ((70, "Highly established"), (45, "Established"), (20, "Emerging"), (0, "New"))


def _log_share(count: int, full: int) -> float:
    """Diminishing returns: 0 at 0, 1 at `full` and beyond (log(1+n) / log(1+full))."""
    return min(1.0, math.log1p(max(count, 0)) / math.log1p(full))


def _signal(name: str, points: float, cap: float, detail: str) -> dict[str, Any]:
    return {"name": name, "points": round(points, 2), "max": cap, "detail": detail}


def band_for(score: int) -> str:
    return next(label for floor, label in BANDS if score >= floor)


def level_for(works_count: int, has_orcid: bool, claimed: bool) -> str:
    """L0 nothing known, L1 has works here, L2 plus a linked ORCID, L3 claimed and verified."""
    if claimed:
        return "L3"
    if works_count <= 0:
        return "L0"
    return "L2" if has_orcid else "L1"


def trust_score(*, orcid: str | None, first_year: int | None, last_year: int | None,
                works_count: int, venues_count: int, collaborators_count: int,
                affiliation: str | None, claimed: bool = False) -> dict[str, Any]:
    """Score a researcher; returns {score, band, level, claimed, signals[{name, points, max, detail}]}."""
    span = last_year - first_year + 1 if first_year and last_year and last_year >= first_year else 0
    signals = [
        _signal("orcid", ORCID_POINTS if orcid else 0.0, ORCID_POINTS,
                f"ORCID {orcid}" if orcid else "no ORCID linked"),
        _signal("publication_span", SPAN_POINTS * min(span, SPAN_FULL_YEARS) / SPAN_FULL_YEARS,
                SPAN_POINTS, _span_text(first_year, last_year, span)),
        _signal("works", WORKS_POINTS * _log_share(works_count, WORKS_FULL), WORKS_POINTS,
                _counted(works_count, "work")),
        _signal("venues", VENUES_POINTS * min(venues_count, VENUES_FULL) / VENUES_FULL,
                VENUES_POINTS, _counted(venues_count, "distinct venue")),
        _signal("coauthors", COAUTHORS_POINTS * _log_share(collaborators_count, COAUTHORS_FULL),
                COAUTHORS_POINTS, _counted(collaborators_count, "distinct co-author")),
        _signal("affiliation", AFFILIATION_POINTS if affiliation else 0.0, AFFILIATION_POINTS,
                affiliation or "no affiliation on record"),
        _signal("claimed", CLAIMED_POINTS if claimed else 0.0, CLAIMED_POINTS,
                "profile claimed and verified" if claimed else "not claimed"),
    ]
    # Sum the already-rounded points so the shown signals add up to the shown score.
    score = min(100, math.floor(round(sum(s["points"] for s in signals), 2) + 0.5))
    return {
        "score": score,
        "band": band_for(score),
        "level": level_for(works_count, bool(orcid), claimed),
        "claimed": claimed,
        "signals": signals,
    }


def _span_text(first_year: int | None, last_year: int | None, span: int) -> str:
    """"2019-2025 (7 years)", "2025 (1 year)"."""
    if not span:
        return "no dated works"
    return f"{first_year} (1 year)" if span == 1 else f"{first_year}-{last_year} ({span} years)"


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
