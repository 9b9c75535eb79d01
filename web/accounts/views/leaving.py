"""The person's own settings (which mail, how often a digest), the download of their data,
and deleting the account."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from web.accounts import context as C
from web.accounts import leaving, notify, preferences
from web.accounts.forms import DeleteForm, SettingsForm

bp = Blueprint("leaving", __name__, url_prefix="/account")


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    user = C.require_user()
    current = preferences.of(C.dbs(), user)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        preferences.update(C.dbs(), user, {k: getattr(form, k).data for k in preferences.KINDS}, form.digest.data)
        C.dbs().commit()
        flash("Your mail settings are saved." + (
            f" A {form.digest.data} digest comes whenever the profiles you follow have new works (checked every hour)."
            if form.digest.data != "none" else ""))
        return redirect(url_for("accounts.leaving.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/settings.html", form=form, prefs=current), status


@bp.get("/export")
def export():
    user = C.require_user()
    body = json.dumps(leaving.export(C.dbs(), user), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="peerscope-account-{user.id}.json"',
        "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
def delete():
    user = C.require_user()
    form = DeleteForm()
    error = None
    if form.validate_on_submit():
        email, name = user.email, user.display_name
        events, error = C.attempt(leaving.delete_account, C.dbs(), user, form.password.data)
        if error is None:
            released = any(e.reason == "owner-left" for e in events)
            C.commit_and_sync(events)
            C.sign_out()
            notify.account_deleted(C.settings(), email, name)
            return render_template("accounts/deleted.html", released=released)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/delete.html", form=form, error=error, user=user), status
