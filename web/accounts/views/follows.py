"""Follow and unfollow researchers; the personal feed of new works by the people followed."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from search import documents, works
from search.params import FEED_MAX_PAGE
from web.accounts import digests, follows, preferences
from web.accounts import context as C
from web.accounts.forms import ButtonForm

bp = Blueprint("follows", __name__, url_prefix="/me")


def _back(researcher_id: str) -> str:
    return C.safe_next(request.form.get("next"), url_for("pages.researchers.profile", researcher_id=researcher_id))


@bp.post("/follow/<researcher_id>")
def follow(researcher_id: str):
    user = C.require_user(verified=True)
    doc = C.researcher(researcher_id)
    s = C.services()
    event = digests.follow(C.dbs(), s.opensearch, s.settings, user, researcher_id)
    C.commit_and_sync([event])
    if event is not None:
        flash(f"You follow {doc.get('name') or researcher_id}: their new works come to your feed"
              f"{' and digest' if preferences.of(C.dbs(), user).digest != 'none' else ''}. "
              "The follower count on the profile updates within a minute.")
    return redirect(_back(researcher_id))


@bp.post("/unfollow/<researcher_id>")
def unfollow(researcher_id: str):
    user = C.require_user(verified=True)
    event = digests.unfollow(C.dbs(), user, researcher_id)
    C.commit_and_sync([event])
    if event is not None:
        flash("You no longer follow this profile: its works leave your feed and digests now; the follower "
              "count updates within a minute.")
    return redirect(_back(researcher_id))


@bp.get("/following")
def following():
    user = C.require_user()
    ids = follows.following(C.dbs(), user)
    s = C.services()
    people = documents.researcher_cards(s.opensearch, s.settings, ids)
    return render_template("accounts/following.html", people=people, button=ButtonForm())


@bp.get("/feed")
def feed():
    user = C.require_user()
    ids = follows.following(C.dbs(), user)
    try:
        page = min(max(int(request.args.get("page", "1")), 1), FEED_MAX_PAGE)
    except ValueError:
        page = 1
    s = C.services()
    found = works.works_by_authors(s.opensearch, s.settings, ids, page)
    fresh, fresh_total = digests.new_works(C.dbs(), s.opensearch, s.settings, user) if page == 1 else ([], 0)
    return render_template("accounts/feed.html", works=found.results, total=found.total, page=page,
                           following=len(ids), next_page=found.next["page"] if found.next else None,
                           followed=set(ids), fresh=fresh, fresh_total=fresh_total,
                           prefs=preferences.of(C.dbs(), user))
