"""Sign-up with e-mail verification, sign-in with rate limits, sessions and CSRF, against the
real stores: a migrated SQLite file, the real Redis and the real OpenSearch."""
from __future__ import annotations

import pytest

from web.accounts import db, mail
from web.accounts.models import User

pytestmark = pytest.mark.integration


def _user(app_settings, email):
    with db.session_for(app_settings.accounts_database_url) as s:
        return s.query(User).filter_by(email=email).one_or_none()


def test_sign_up_sends_a_link_that_verifies_the_address(app_settings, new_browser, new_email):
    b = new_browser()
    email = new_email()
    b.sign_up(email, verify=False)
    user = _user(app_settings, email)
    assert user.password_hash.startswith("$argon2id$") and b.password not in user.password_hash
    assert not user.verified
    page = b.http.get("/account").get_data(as_text=True)
    assert "Address not confirmed yet" in page
    assert b.http.post("/me/follow/shengding-hu", data={"csrf_token": b.token()}).status_code == 403
    messages = [m for m in mail.outbox(app_settings) if m["to"] == email]
    assert len(messages) == 1 and "/account/verify/" in messages[0]["body"]
    path = messages[0]["body"].split("http://localhost", 1)[1].split()[0]
    assert b.http.get(path).status_code == 302
    assert _user(app_settings, email).verified
    assert "Address confirmed" in b.http.get("/account").get_data(as_text=True)


def test_sign_up_with_a_known_address_reveals_nothing(app_settings, new_browser, new_email):
    email = new_email()
    new_browser().sign_up(email)
    again = new_browser()
    resp = again.post("/account/signup", {"email": email.upper(), "display_name": "Someone",
                                          "password": "another long password"})
    assert resp.status_code == 200 and "Check your e-mail" in resp.get_data(as_text=True)
    assert again.http.get("/api/me").status_code == 401  # not signed in as the owner of the address
    subjects = [m["subject"] for m in mail.outbox(app_settings) if m["to"] == email]
    assert subjects[-1].startswith("Someone tried to sign up")


def test_bad_sign_up_fields_are_explained(new_browser):
    b = new_browser()
    resp = b.post("/account/signup", {"email": "not-an-address", "display_name": "X", "password": "short"})
    assert resp.status_code == 400
    assert "Field must be between 10 and 200 characters long." in resp.get_data(as_text=True)


def test_forged_or_mangled_verification_links_fail(new_browser):
    b = new_browser()
    assert b.http.get("/account/verify/not-a-token").status_code == 400
    from web.accounts.security import email_token

    forged = email_token("another secret", 1, "x@example.org")
    assert b.http.get(f"/account/verify/{forged}").status_code == 400


def test_signing_in_opens_a_session_and_signing_out_ends_it(new_browser, new_email):
    email = new_email()
    new_browser().sign_up(email)
    b = new_browser()
    assert b.http.get("/account").status_code == 401
    resp = b.sign_in(email)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    assert b.http.get("/api/me").get_json()["email"] == email
    assert b.post("/account/logout").status_code == 302
    assert b.http.get("/account").status_code == 401
    body = b.http.get("/api/me").get_json()
    assert body["error"]["code"] == "not_signed_in"


def test_wrong_passwords_are_rate_limited_per_account(new_browser, new_email):
    email = new_email()
    new_browser().sign_up(email)
    b = new_browser()
    for _ in range(5):
        assert b.sign_in(email, "wrong password!").status_code == 400
    resp = b.sign_in(email)  # even the right password waits now
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in resp.get_data(as_text=True)


def test_after_sign_in_only_same_site_paths(new_browser, new_email):
    email = new_email()
    new_browser().sign_up(email)
    b = new_browser()
    for target in ("//evil.example/", "https://evil.example/", "/\t/evil.example"):
        resp = b.post("/account/login", {"email": email, "password": b.password, "next": target})
        assert resp.headers["Location"].endswith("/account"), target
    resp = b.post("/account/login", {"email": email, "password": b.password, "next": "/me/feed"})
    assert resp.headers["Location"].endswith("/me/feed")


def test_writes_need_the_csrf_token(new_browser, new_email):
    email = new_email()
    b = new_browser()
    b.sign_up(email)
    assert b.http.post("/me/follow/shengding-hu").status_code == 400
    resp = b.http.put("/api/me/following/shengding-hu")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_request"
    assert b.post("/me/follow/shengding-hu").status_code == 302
    assert b.api("PUT", "/api/me/following/shengding-hu").status_code == 200


def test_a_password_change_ends_other_sessions(app_settings, new_browser, new_email):
    email = new_email()
    b = new_browser()
    b.sign_up(email)
    from web.accounts.security import hash_password

    with db.transaction(app_settings.accounts_database_url) as s:
        s.query(User).filter_by(email=email).one().password_hash = hash_password("a new long password")
    assert b.http.get("/api/me").status_code == 401


def test_accounts_pages_escape_what_people_type(new_browser, new_email):
    b = new_browser()
    b.sign_up(new_email(), name='<script>alert("x")</script>')
    page = b.http.get("/account").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
