"""Claiming a profile (claimant side) and the admin review queue of claims and profile requests."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from web.accounts import claims, corrections, notify
from web.accounts import context as C
from web.accounts.errors import AccountError
from web.accounts.forms import ClaimForm, DecisionForm

bp = Blueprint("claims", __name__)


@bp.route("/account/claims/new/<researcher_id>", methods=["GET", "POST"])
def new(researcher_id: str):
    user = C.require_user(verified=True)
    doc = C.researcher(researcher_id)
    owner = claims.owner_claim(C.dbs(), researcher_id)
    form = ClaimForm()
    error = None
    if owner is None and form.validate_on_submit():
        _, error = C.attempt(claims.submit, C.dbs(), user, researcher_id, form.evidence.data, form.orcid.data)
        if error is None:
            C.dbs().commit()
            flash(f"Your claim of {doc.get('name') or researcher_id} is waiting for an admin's review.")
            return redirect(url_for("accounts.auth.account"))
    status = 400 if form.is_submitted() and (error or form.errors) else 200
    return render_template("accounts/claim.html", r=doc, form=form, error=error, owner=owner,
                           mine=owner is not None and owner.user_id == user.id), status


@bp.post("/account/claims/<int:claim_id>/withdraw")
def withdraw(claim_id: int):
    user = C.require_user()
    claims.withdraw(C.dbs(), user, claim_id)
    C.dbs().commit()
    flash("Your claim was withdrawn.")
    return redirect(url_for("accounts.auth.account"))


@bp.get("/admin/claims")
def queue():
    C.require_admin()
    session = C.dbs()
    pending = claims.pending(session)
    people = {}
    for claim in pending:
        try:
            people[claim.researcher_id] = C.researcher(claim.researcher_id)
        except AccountError:
            people[claim.researcher_id] = None  # gone from the index since the claim was made
    others = {c.id: [o for o in claims.of_user(session, c.user) if o.id != c.id] for c in pending}
    return render_template("accounts/admin_claims.html", pending=pending, people=people, others=others,
                           form=DecisionForm())


@bp.post("/admin/claims/<int:claim_id>/<any(approve, reject):decision>")
def decide(claim_id: int, decision: str):
    admin = C.require_admin()
    note = DecisionForm().note.data or ""
    if decision == "approve":
        claim, event = claims.approve(C.dbs(), claim_id, admin.email, note)
        C.commit_and_sync([event])
        mailed = notify.claim_decided(C.settings(), C.dbs(), claim, C.site())
        flash(f"Claim {claim.id} approved: {claim.user.display_name} now owns {claim.researcher_id}; "
              f"the profile updates within a minute.{_told(mailed)}")
    else:
        claim = claims.reject(C.dbs(), claim_id, admin.email, note)
        C.dbs().commit()
        mailed = notify.claim_decided(C.settings(), C.dbs(), claim, C.site())
        flash(f"Claim {claim.id} declined.{_told(mailed)}")
    return redirect(url_for("accounts.claims.queue"))


def _told(mailed: bool) -> str:
    return " The claimant was told by mail." if mailed else " (The claimant gets no mail about decisions.)"


@bp.get("/admin/requests")
def requests():
    C.require_admin()
    return render_template("accounts/admin_requests.html", rows=corrections.open_requests(C.dbs()),
                           form=DecisionForm())


@bp.post("/admin/requests/<int:request_id>/<any(resolved, rejected):status>")
def decide_request(request_id: int, status: str):
    admin = C.require_admin()
    note = DecisionForm().note.data or ""
    _, events = corrections.decide_request(C.dbs(), request_id, admin.email, status, note,
                                           find_work=C.work_or_none)
    C.commit_and_sync(events)
    flash(f"Request {request_id} marked {status}." + (" The index follows within a few seconds." if events else ""))
    return redirect(url_for("accounts.claims.requests"))
