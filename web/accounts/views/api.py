"""The accounts JSON API under /api/me (session cookie + X-CSRFToken header on writes).

Errors use the API's shape {"error": {"code", "message"}} with 401 when there is
no session, 403 when the session may not do this.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf

from web.accounts import claims, corrections, digests, follows, invitations, notify
from web.accounts import context as C
from web.accounts.errors import Invalid
from web.accounts.views.invitations import check_invite_limits, count_invite

bp = Blueprint("api", __name__, url_prefix="/api/me")


def _invitation(inv, user) -> dict:
    out = {"id": inv.id, "researcher_id": inv.researcher_id, "status": inv.status, "message": inv.message,
           "answer_note": inv.answer_note, "created_at": inv.created_at.isoformat() + "Z",
           "direction": "received" if inv.recipient_id == user.id else "sent",
           "from": inv.sender.display_name, "to": inv.recipient.display_name}
    if inv.status == "accepted":  # contact details only once both sides agreed
        out["contact"] = (inv.sender if inv.recipient_id == user.id else inv.recipient).email
    return out


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object.")
    return body


@bp.get("")
def me():
    user = C.require_user()
    return jsonify({"id": user.id, "display_name": user.display_name, "email": user.email,
                    "verified": user.verified, "admin": C.is_admin(user),
                    "owns": claims.owned_profiles(C.dbs(), user), "csrf_token": generate_csrf()})


@bp.get("/following")
def following():
    user = C.require_user()
    return jsonify({"researcher_ids": follows.following(C.dbs(), user)})


@bp.put("/following/<researcher_id>")
def follow(researcher_id: str):
    user = C.require_user(verified=True)
    C.researcher(researcher_id)
    s = C.services()
    C.commit_and_sync([digests.follow(C.dbs(), s.opensearch, s.settings, user, researcher_id)])
    return jsonify({"researcher_id": researcher_id, "following": True})


@bp.delete("/following/<researcher_id>")
def unfollow(researcher_id: str):
    user = C.require_user(verified=True)
    C.commit_and_sync([digests.unfollow(C.dbs(), user, researcher_id)])
    return jsonify({"researcher_id": researcher_id, "following": False})


@bp.post("/claims")
def claim():
    user = C.require_user(verified=True)
    body = _json()
    rid = str(body.get("researcher_id") or "")
    C.researcher(rid)
    row = claims.submit(C.dbs(), user, rid, str(body.get("evidence") or ""), body.get("orcid") or None)
    C.dbs().commit()
    return jsonify({"id": row.id, "researcher_id": rid, "status": row.status}), 201


@bp.post("/profiles/<researcher_id>/corrections")
def correct(researcher_id: str):
    """{"kind": "open_to_collaborate"|"affiliation"|"hide_work"|"attach_work", "value": ...}"""
    user = C.require_user(verified=True)
    body = _json()
    doc = C.researcher(researcher_id)
    claims.require_owner(C.dbs(), user, researcher_id)  # before reading anything else
    kind, value = body.get("kind"), body.get("value")
    if kind == "open_to_collaborate" and isinstance(value, bool):
        row, event = corrections.set_open(C.dbs(), user, doc, value)
    elif kind == "affiliation" and isinstance(value, str | None):
        row, event = corrections.set_affiliation(C.dbs(), user, doc, value or "")
    elif kind in ("hide_work", "attach_work") and isinstance(value, str):
        change = corrections.hide_work if kind == "hide_work" else corrections.attach_work
        row, event = change(C.dbs(), user, doc, C.work(value))
    else:
        raise Invalid("Give kind (open_to_collaborate, affiliation, hide_work, attach_work) and a fitting value.")
    C.commit_and_sync([event])
    return jsonify(corrections.describe(row) | {"at": row.created_at.isoformat() + "Z"}), 201


@bp.get("/profiles/<researcher_id>/corrections")
def history(researcher_id: str):
    user = C.require_user()
    claims.require_owner(C.dbs(), user, researcher_id)
    rows = corrections.history(C.dbs(), researcher_id, include_undone=True)
    for r in rows:
        r["at"] = r["at"].isoformat() + "Z"
        r["undone_at"] = r["undone_at"].isoformat() + "Z" if r["undone_at"] else None
    return jsonify({"researcher_id": researcher_id, "corrections": rows})


@bp.post("/corrections/<int:correction_id>/undo")
def undo(correction_id: int):
    user = C.require_user(verified=True)
    row, event = corrections.undo(C.dbs(), user, correction_id)
    C.commit_and_sync([event])
    return jsonify({"id": row.id, "undone": True})


@bp.get("/invitations")
def list_invitations():
    user = C.require_user()
    lists = invitations.listing(C.dbs(), user)
    return jsonify({k: [_invitation(i, user) for i in v] for k, v in lists.items()})


@bp.post("/invitations")
def send_invitation():
    user = C.require_user(verified=True)
    body = _json()
    rid = str(body.get("researcher_id") or "")
    C.researcher(rid)
    check_invite_limits(user.id)
    inv = invitations.send(C.dbs(), user, rid, str(body.get("message") or ""))
    C.dbs().commit()
    count_invite(user.id)
    notify.invitation_sent(C.settings(), C.dbs(), inv, C.site())
    return jsonify(_invitation(inv, user)), 201


@bp.get("/invitations/<int:invitation_id>")
def show_invitation(invitation_id: int):
    user = C.require_user()
    return jsonify(_invitation(invitations.get_for(C.dbs(), user, invitation_id), user))


@bp.post("/invitations/<int:invitation_id>/answer")
def answer_invitation(invitation_id: int):
    user = C.require_user(verified=True)
    body = _json()
    if body.get("decision") not in ("accept", "decline"):
        raise Invalid('Give "decision": "accept" or "decline".')
    inv = invitations.answer(C.dbs(), user, invitation_id, body["decision"] == "accept", str(body.get("note") or ""))
    C.dbs().commit()
    notify.invitation_answered(C.settings(), C.dbs(), inv, C.site())
    return jsonify(_invitation(inv, user))
