"""Sign up, verify the e-mail address, sign in and out, the account page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from web.accounts import claims, corrections, jobs, mail, notify, ratelimit, users
from web.accounts import context as C
from web.accounts.errors import RateLimited
from web.accounts.forms import (ButtonForm, ChangePasswordForm, EmailChangeForm, ForgotForm, LoginForm,
                                NewPasswordForm, SignupForm)
from web.accounts.models import User
from web.accounts.security import change_email_token, email_token

bp = Blueprint("auth", __name__, url_prefix="/account")


def _link(endpoint: str, **values) -> str:
    base = C.settings().public_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_verification(user: User) -> None:
    s = C.settings()
    link = _link("accounts.auth.verify", token=email_token(s.secret_key, user.id, user.email))
    mail.send(s, user.email, "Confirm your e-mail address for Peerscope",
              f"Hello {user.display_name},\n\nopen this link to confirm your address and finish signing up:\n\n"
              f"{link}\n\nThe link works for three days. If you did not sign up, ignore this message.\n")


def _send_existing(user: User) -> None:
    mail.send(C.settings(), user.email, "Someone tried to sign up with your address on Peerscope",
              "Someone (perhaps you) tried to create a Peerscope account with this address, which already "
              f"has one.\n\nSign in here: {_link('accounts.auth.login')}\n\nIf it was not you, nothing changed.\n")


def _limit(limit, subject: str, what: str) -> None:
    wait = ratelimit.blocked(limit, subject)
    if wait:
        raise RateLimited(f"Too many {what}. Try again in {max(wait // 60, 1)} minute(s).", retry_after=wait)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        _limit(ratelimit.SIGNUP_PER_ADDRESS, C.client_address(), "sign-ups from your network")
        ratelimit.hit(ratelimit.SIGNUP_PER_ADDRESS, C.client_address())
        problems = users.check_signup(form.email.data, form.display_name.data, form.password.data)
        if not problems:
            user, created = users.sign_up(C.dbs(), form.email.data, form.display_name.data, form.password.data)
            C.dbs().commit()
            (send_verification if created else _send_existing)(user)
            if created:
                C.sign_in(user)
            return render_template("accounts/check_mail.html", email=user.email), 200
        for name, message in problems.items():
            getattr(form, name).errors.append(message)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form), status


@bp.get("/verify/<token>")
def verify(token: str):
    user = users.verify(C.dbs(), C.settings().secret_key, token[:500])
    if user is None:
        return render_template("accounts/verify_failed.html"), 400
    C.dbs().commit()
    C.sign_in(user)
    flash("Your e-mail address is confirmed. Welcome to Peerscope.")
    return redirect(url_for("accounts.auth.account"))


@bp.post("/verify/resend")
def resend():
    user = C.require_user()
    if user.verified:
        flash("Your address is already confirmed.")
        return redirect(url_for("accounts.auth.account"))
    _limit(ratelimit.MAIL_PER_ACCOUNT, str(user.id), "confirmation e-mails")
    ratelimit.hit(ratelimit.MAIL_PER_ACCOUNT, str(user.id))
    send_verification(user)
    flash(f"We sent a new link to {user.email}.")
    return redirect(url_for("accounts.auth.account"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        _limit(ratelimit.LOGIN_PER_ACCOUNT, email, "failed sign-ins for this account")
        _limit(ratelimit.LOGIN_PER_ADDRESS, C.client_address(), "failed sign-ins from your network")
        user = users.authenticate(C.dbs(), email, form.password.data)
        if user is not None:
            C.dbs().commit()
            ratelimit.reset(ratelimit.LOGIN_PER_ACCOUNT, email)
            C.sign_in(user)
            return redirect(C.safe_next(form.next.data, url_for("accounts.auth.account")))
        ratelimit.hit(ratelimit.LOGIN_PER_ACCOUNT, email)
        ratelimit.hit(ratelimit.LOGIN_PER_ADDRESS, C.client_address())
        form.password.errors.append("That e-mail address and password do not match an account.")
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    C.sign_out()
    flash("You are signed out.")
    return redirect(url_for("accounts.auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    """Mail a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        _limit(ratelimit.RESET_PER_ADDRESS, C.client_address(), "reset links asked for from your network")
        _limit(ratelimit.RESET_PER_ACCOUNT, email, "reset links for this address")
        ratelimit.hit(ratelimit.RESET_PER_ADDRESS, C.client_address())
        ratelimit.hit(ratelimit.RESET_PER_ACCOUNT, email)
        found = users.reset_link_for(C.dbs(), C.settings().secret_key, email)
        if found is not None:
            user, token = found
            notify.password_reset(C.settings(), user, _link("accounts.auth.reset", token=token))
        return render_template("accounts/check_mail.html", email=email, reset=True), 200
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    token = token[:500]
    form = NewPasswordForm()
    error = None
    if users.reset_user(C.dbs(), C.settings().secret_key, token) is None:
        return render_template("accounts/reset_failed.html"), 400
    if form.validate_on_submit():
        user, error = C.attempt(users.reset_password, C.dbs(), C.settings().secret_key, token, form.password.data)
        if error is None:
            C.dbs().commit()
            C.sign_in(user)
            flash("Your new password is set; you are signed in. Other sessions of your account have ended.")
            return redirect(url_for("accounts.auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset.html", form=form, error=error, token=token), status


@bp.route("/password", methods=["GET", "POST"])
def password():
    user = C.require_user()
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        _, error = C.attempt(users.change_password, C.dbs(), user, form.current.data, form.password.data)
        if error is None:
            C.dbs().commit()
            C.sign_in(user)  # this session goes on with the new password; the others end
            flash("Your password is changed. Other sessions of your account have ended.")
            return redirect(url_for("accounts.auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form, error=error), status


@bp.route("/email", methods=["GET", "POST"])
def email():
    user = C.require_user()
    form = EmailChangeForm()
    error = None
    if form.validate_on_submit():
        _limit(ratelimit.EMAIL_CHANGE_PER_ACCOUNT, str(user.id), "changes of address")
        new, error = C.attempt(users.request_email_change, C.dbs(), user, form.password.data, form.email.data)
        if error is None:
            ratelimit.hit(ratelimit.EMAIL_CHANGE_PER_ACCOUNT, str(user.id))
            C.dbs().commit()
            link = _link("accounts.auth.confirm_email", token=change_email_token(C.settings().secret_key, user.id, new))
            notify.email_change_requested(C.settings(), user, new, link)
            flash(f"We sent a link to {new}. Until you open it, mail keeps coming to {user.email}.")
            return redirect(url_for("accounts.auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/email.html", form=form, error=error, user=user), status


@bp.get("/email/confirm/<token>")
def confirm_email(token: str):
    user, old = users.confirm_email_change(C.dbs(), C.settings().secret_key, token[:500])
    C.dbs().commit()
    notify.email_changed(C.settings(), user, old)
    flash(f"Your address is now {user.email}.")
    return redirect(url_for("accounts.auth.account"))


@bp.get("")
def account():
    user = C.require_user()
    session = C.dbs()
    owned = claims.owned_profiles(session, user)
    return render_template("accounts/account.html", user=user, claims=claims.of_user(session, user), owned=owned,
                           syncing=jobs.waiting(session, owned),
                           admin=C.is_admin(user), button=ButtonForm(),
                           open_flags={rid: corrections.open_to_collaborate(session, rid) for rid in owned})
