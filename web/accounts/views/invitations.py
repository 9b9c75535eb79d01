"""Direct collaboration invitations: write one, read yours, answer, block."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from web.accounts import invitations, notify, ratelimit
from web.accounts import context as C
from web.accounts.errors import RateLimited
from web.accounts.forms import AnswerForm, ButtonForm, InviteForm

bp = Blueprint("invitations", __name__, url_prefix="/me")


def check_invite_limits(user_id: int) -> None:
    for limit in (ratelimit.INVITES_PER_HOUR, ratelimit.INVITES_PER_DAY):
        wait = ratelimit.blocked(limit, str(user_id))
        if wait:
            raise RateLimited(f"You have sent {limit.cap} invitations recently; you can send more in "
                              f"{max(wait // 60, 1)} minute(s).", retry_after=wait)


def count_invite(user_id: int) -> None:
    for limit in (ratelimit.INVITES_PER_HOUR, ratelimit.INVITES_PER_DAY):
        ratelimit.hit(limit, str(user_id))


@bp.route("/invite/<researcher_id>", methods=["GET", "POST"])
def invite(researcher_id: str):
    user = C.require_user(verified=True)
    doc = C.researcher(researcher_id)
    invitations.recipient_for(C.dbs(), user, researcher_id)  # 403 before any form is shown
    form = InviteForm()
    error = None
    if form.validate_on_submit():
        check_invite_limits(user.id)
        inv, error = C.attempt(invitations.send, C.dbs(), user, researcher_id, form.message.data)
        if error is None:
            C.dbs().commit()
            count_invite(user.id)
            notify.invitation_sent(C.settings(), C.dbs(), inv, C.site())
            flash(f"Your invitation to {doc.get('name') or researcher_id} was sent.")
            return redirect(url_for("accounts.invitations.show", invitation_id=inv.id))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/invite.html", r=doc, form=form, error=error), status


@bp.get("/invitations")
def inbox():
    user = C.require_user()
    return render_template("accounts/invitations.html", lists=invitations.listing(C.dbs(), user),
                           blocked=invitations.blocked_users(C.dbs(), user), button=ButtonForm())


@bp.get("/invitations/<int:invitation_id>")
def show(invitation_id: int):
    user = C.require_user()
    inv = invitations.get_for(C.dbs(), user, invitation_id)
    return render_template("accounts/invitation.html", inv=inv, received=inv.recipient_id == user.id,
                           form=AnswerForm(), button=ButtonForm())


@bp.post("/invitations/<int:invitation_id>/answer")
def answer(invitation_id: int):
    user = C.require_user(verified=True)
    form = AnswerForm()
    if form.decision.data not in ("accept", "decline"):
        inv = invitations.get_for(C.dbs(), user, invitation_id)
        return render_template("accounts/invitation.html", inv=inv, received=inv.recipient_id == user.id,
                               form=form, button=ButtonForm(), error="Choose accept or decline."), 400
    inv = invitations.answer(C.dbs(), user, invitation_id, form.decision.data == "accept", form.note.data or "")
    C.dbs().commit()
    notify.invitation_answered(C.settings(), C.dbs(), inv, C.site())
    flash(f"You {inv.status} the invitation from {inv.sender.display_name}.")
    return redirect(url_for("accounts.invitations.show", invitation_id=invitation_id))


@bp.post("/invitations/<int:invitation_id>/block")
def block(invitation_id: int):
    user = C.require_user(verified=True)
    inv = invitations.block(C.dbs(), user, invitation_id)
    C.dbs().commit()
    flash(f"{inv.sender.display_name} can no longer send you invitations.")
    return redirect(url_for("accounts.invitations.inbox"))


@bp.post("/blocks/<int:blocked_id>/remove")
def unblock(blocked_id: int):
    user = C.require_user(verified=True)
    invitations.unblock(C.dbs(), user, blocked_id)
    C.dbs().commit()
    flash("Unblocked.")
    return redirect(url_for("accounts.invitations.inbox"))
