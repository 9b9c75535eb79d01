"""The owner's page of a claimed profile: edits, their history with undo, split/merge requests."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from web.accounts import claims, corrections
from web.accounts import context as C
from web.accounts.errors import AccountError
from web.accounts.forms import AffiliationForm, ButtonForm, OpenForm, ProfileRequestForm, WorkForm

bp = Blueprint("owner", __name__, url_prefix="/me")


def _owned(researcher_id: str, admin_too: bool = False):
    """(user, researcher) for the profile's owner (or, with `admin_too`, an admin)."""
    user = C.require_user(verified=True)
    doc = C.researcher(researcher_id)
    if not (admin_too and C.is_admin(user)):
        claims.require_owner(C.dbs(), user, researcher_id)
    return user, doc


def _page(doc: dict, status: int = 200, error: str | None = None, **forms):
    session = C.dbs()
    user = C.current_user()
    forms = {"open_form": OpenForm(), "affiliation_form": AffiliationForm(), "hide_form": WorkForm(prefix="hide"),
             "attach_form": WorkForm(prefix="attach"), "request_form": ProfileRequestForm(), **forms}
    forms["hide_form"].work_id.label.text = "Id of a work to hide"
    forms["attach_form"].work_id.label.text = "Id of a work to add"
    if request.method == "GET":
        rows = corrections.active(session, doc["id"], "affiliation")
        forms["affiliation_form"].affiliation.data = rows[-1].value if rows else doc.get("current_affiliation")
    return render_template(
        "accounts/owner.html", r=doc, error=error, button=ButtonForm(),
        open_now=corrections.open_to_collaborate(session, doc["id"]),
        history=corrections.history(session, doc["id"], include_undone=True),
        requests=corrections.requests_of(session, user, doc["id"]), **forms), status


@bp.get("/profiles/<researcher_id>")
def edit(researcher_id: str):
    _, doc = _owned(researcher_id, admin_too=True)
    return _page(doc)


def _apply(doc: dict, change, success: str, **forms):
    """Run one edit; a refused edit shows the page again with the reason and its status."""
    try:
        _, event = change()
    except AccountError as exc:
        if exc.status not in (400, 409):
            raise
        return _page(doc, exc.status, exc.message, **forms)
    C.commit_and_sync([event])
    flash(success + " The public profile shows it within a minute.")
    return redirect(url_for("accounts.owner.edit", researcher_id=doc["id"]))


@bp.post("/profiles/<researcher_id>/open")
def set_open(researcher_id: str):
    user, doc = _owned(researcher_id)
    value = OpenForm().open.data
    return _apply(doc, lambda: corrections.set_open(C.dbs(), user, doc, bool(value)),
                  "Marked open to collaborate." if value else "No longer marked open to collaborate.")


@bp.post("/profiles/<researcher_id>/affiliation")
def set_affiliation(researcher_id: str):
    user, doc = _owned(researcher_id)
    form = AffiliationForm()
    return _apply(doc, lambda: corrections.set_affiliation(C.dbs(), user, doc, form.affiliation.data or ""),
                  "Affiliation updated.", affiliation_form=form)


@bp.post("/profiles/<researcher_id>/<any(hide, attach):action>")
def change_work(researcher_id: str, action: str):
    """Hide a work from the profile or attach one to it: the owner's, or an admin's for a link
    the resolver got wrong or missed."""
    user, doc = _owned(researcher_id, admin_too=True)
    form = WorkForm(prefix=action)
    work_id = (form.work_id.data or "").strip()
    try:
        work = C.work(work_id)
    except AccountError as exc:
        return _page(doc, exc.status, exc.message, **{f"{action}_form": form})
    change = corrections.hide_work if action == "hide" else corrections.attach_work
    title = work.get("title") or work_id
    return _apply(doc, lambda: change(C.dbs(), user, doc, work, admin=C.is_admin(user)),
                  f"“{title}” {'hidden from' if action == 'hide' else 'added to'} your profile.",
                  **{f"{action}_form": form})


@bp.post("/corrections/<int:correction_id>/undo")
def undo(correction_id: int):
    user = C.require_user(verified=True)
    row, event = corrections.undo(C.dbs(), user, correction_id, admin=C.is_admin(user))
    C.commit_and_sync([event])
    flash("Correction undone.")
    return redirect(url_for("accounts.owner.edit", researcher_id=row.researcher_id))


@bp.post("/profiles/<researcher_id>/requests")
def profile_request(researcher_id: str):
    user, doc = _owned(researcher_id)
    form = ProfileRequestForm()
    other = (form.other_id.data or "").strip()
    if other:
        try:
            (C.researcher if form.kind.data == "merge" else C.work)(other)
        except AccountError:
            what = "profile" if form.kind.data == "merge" else "work"
            return _page(doc, 400, f"There is no {what} {other[:64]!r} to {form.kind.data}.", request_form=form)
    _, error = C.attempt(corrections.request_change, C.dbs(), user, researcher_id, form.kind.data or "", other,
                         form.detail.data or "")
    if error is not None:
        return _page(doc, 400, error, request_form=form)
    C.dbs().commit()
    flash("Your request is recorded; an admin will review it.")
    return redirect(url_for("accounts.owner.edit", researcher_id=researcher_id))
