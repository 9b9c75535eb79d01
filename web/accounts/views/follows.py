"""Follow and unfollow researchers; the personal feed of new works by the people followed."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from search import results as R
from search.queries.works import LIST_SOURCE, visible
from web.accounts import follows
from web.accounts import context as C
from web.accounts.forms import ButtonForm

bp = Blueprint("follows", __name__, url_prefix="/me")

FEED_PAGE, MAX_PAGE = 20, 50
NEWEST = [{"year": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]


def feed_body(researcher_ids: list[str], page: int = 1, size: int = FEED_PAGE) -> dict:
    """Visible works by any of `researcher_ids`, newest first (pure: unit-tested)."""
    return {"from": (page - 1) * size, "size": size, "_source": LIST_SOURCE, "sort": NEWEST,
            "track_total_hits": True, "query": visible([{"terms": {"author_ids": researcher_ids}}])}


def _back(researcher_id: str) -> str:
    return C.safe_next(request.form.get("next"), url_for("pages.researchers.profile", researcher_id=researcher_id))


@bp.post("/follow/<researcher_id>")
def follow(researcher_id: str):
    user = C.require_user(verified=True)
    C.researcher(researcher_id)
    C.commit_and_sync([follows.follow(C.dbs(), user, researcher_id)])
    return redirect(_back(researcher_id))


@bp.post("/unfollow/<researcher_id>")
def unfollow(researcher_id: str):
    user = C.require_user(verified=True)
    C.commit_and_sync([follows.unfollow(C.dbs(), user, researcher_id)])
    return redirect(_back(researcher_id))


@bp.get("/following")
def following():
    user = C.require_user()
    ids = follows.following(C.dbs(), user)
    people = []
    if ids:
        s = C.services()
        found = s.opensearch.mget(index=s.settings.alias("researchers"), body={"ids": ids},
                                  _source_includes=["id", "name", "current_affiliation", "works_count"])
        people = [{"id": d["_id"], **(d.get("_source") or {})} for d in found["docs"]]
    return render_template("accounts/following.html", people=people, button=ButtonForm())


@bp.get("/feed")
def feed():
    user = C.require_user()
    ids = follows.following(C.dbs(), user)
    try:
        page = min(max(int(request.args.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    works, total = [], 0
    if ids:
        s = C.services()
        resp = s.opensearch.search(index=s.settings.alias("works"), body=feed_body(ids, page),
                                   request_timeout=s.settings.request_timeout)
        works, total = [R.to_result(h) for h in R.hits(resp)], R.total(resp)
    more = page * FEED_PAGE < total and page < MAX_PAGE
    return render_template("accounts/feed.html", works=works, total=total, page=page, following=len(ids),
                           next_page=page + 1 if more else None, followed=set(ids))
