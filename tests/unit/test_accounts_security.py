"""Passwords, e-mail tokens, input rules, safe redirects, mail outbox: no services."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from flask import Flask

from peerscope.config import Settings
from web.accounts import mail, security
from web.accounts.context import safe_next

pytestmark = pytest.mark.unit


def test_passwords_are_argon2id_and_checked():
    stored = security.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert security.check_password(stored, "correct horse battery staple")
    assert not security.check_password(stored, "Correct horse battery staple")
    assert not security.check_password(None, "anything")  # unknown account: same work, no match
    assert not security.check_password("not a hash", "anything")
    assert not security.needs_rehash(stored)


@pytest.mark.parametrize("orcid, ok", [
    ("0000-0002-1825-0097", True), ("0000-0001-5109-3700", True), ("0000-0002-1694-233X", True),
    ("0000-0002-1825-0098", False), ("0000-0002-1825-009", False), ("https://orcid.org/0000-0002-1825-0097", False),
])
def test_an_orcid_is_the_bare_form_with_a_valid_check_digit(orcid, ok):
    assert security.valid_orcid(orcid) is ok


@pytest.mark.parametrize("email, ok", [
    ("ana@example.org", True), ("a.b+tag@sub.example.co.uk", True), ("no-at-sign", False),
    ("a@b", False), ("a b@example.org", False), ("<a>@example.org", False), ("a@-bad.org", False),
])
def test_an_email_address_needs_one_local_part_and_a_dotted_domain(email, ok):
    assert security.valid_email(email) is ok


def test_email_tokens_are_signed_bound_and_expire():
    token = security.email_token("secret", 7, "ana@example.org")
    assert security.read_email_token("secret", token) == (7, "ana@example.org")
    assert security.read_email_token("other secret", token) is None
    assert security.read_email_token("secret", token[:-2] + "xx") is None
    time.sleep(1.1)
    assert security.read_email_token("secret", token, max_age=0) is None


@pytest.mark.parametrize("target, ok", [
    ("/me/feed", True), ("/researchers/x?y=1", True), ("//evil.example", False), ("https://evil.example", False),
    ("/\\evil.example", False), ("/\t/evil.example", False), ("", False), (None, False), ("me/feed", False),
])
def test_only_same_site_paths_after_sign_in(target, ok):
    assert (safe_next(target, "/account") == target) is ok


def test_outbox_writes_and_reads_messages(tmp_path):
    settings = replace(Settings(), state_dir=tmp_path)
    mail.send(settings, "ana@example.org", "Hello", "Open http://x/account/verify/abc\nthanks")
    mail.send(settings, "bo@example.org", "Second", "body")
    messages = mail.outbox(settings)
    assert [m["to"] for m in messages] == ["ana@example.org", "bo@example.org"]
    assert messages[0]["subject"] == "Hello" and "verify/abc" in messages[0]["body"]
    assert not list(tmp_path.glob("outbox/*.tmp"))


def test_smtp_failures_become_mail_errors(tmp_path):
    settings = replace(Settings(), mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=1, smtp_security="none")
    with pytest.raises(mail.MailError):
        mail.send(settings, "ana@example.org", "Hello", "body")
    with pytest.raises(mail.MailError):
        mail.send(replace(settings, mail_backend="pigeon"), "ana@example.org", "Hello", "body")


def test_the_feed_query_is_newest_first_and_hides_hidden_works():
    from search.queries.listings import works_by_authors

    body = works_by_authors(["a", "b"], ["id"], size=10, from_=10)
    assert body["from"] == 10 and body["size"] == 10
    assert body["sort"][0] == {"year": {"order": "desc", "missing": "_last"}}
    assert body["query"]["bool"]["filter"] == [{"terms": {"author_ids": ["a", "b"]}}]
    assert {"term": {"hidden": True}} in body["query"]["bool"]["must_not"]


def test_session_cookie_is_http_only_and_same_site():
    from web.accounts.app import init_app

    app = Flask(__name__)

    class Services:
        settings = replace(Settings(), session_cookie_secure=True)

    app.extensions["peerscope"] = Services()
    init_app(app)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False  # checked by the accounts blueprint itself


def test_reset_tokens_are_bound_to_the_password_and_expire():
    old = security.hash_password("correct horse battery staple")
    token = security.reset_token("s3cret", 7, old)
    uid, fingerprint = security.read_reset_token("s3cret", token)
    assert uid == 7 and security.reset_matches(fingerprint, old)
    new = security.hash_password("another long passphrase")
    assert not security.reset_matches(fingerprint, new)  # the next change ends it (and using it is one)
    assert security.read_reset_token("other secret", token) is None
    assert security.read_reset_token("s3cret", token[:-2] + "xx") is None
    time.sleep(1.1)
    assert security.read_reset_token("s3cret", token, max_age=0) is None  # older than allowed
    # a reset token is no confirmation or address-change token, and the other way round
    assert security.read_email_token("s3cret", token) is None
    assert security.read_reset_token("s3cret", security.email_token("s3cret", 7, "a@example.org")) is None
    change = security.change_email_token("s3cret", 7, "new@example.org")
    assert security.read_change_email_token("s3cret", change) == (7, "new@example.org")
    assert security.read_email_token("s3cret", change) is None
