"""The mail people get about their account and what others do with it.

Each function writes one kind of message and sends it through the configured backend
(web/accounts/mail.py), when the person's settings allow that kind (preferences.py). Mail
about the account itself (reset, change of address) is always sent and its failure is the
caller's error; notices about others' actions are sent after the change is committed and a
failure to send them is logged, never undoing the change. `base` is the site's address for
links: PEERSCOPE_PUBLIC_URL, else the request's.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from peerscope.config import Settings
from web.accounts import claims, mail, preferences
from web.accounts.mail import MailError
from web.accounts.models import Claim, Invitation, User

log = logging.getLogger(__name__)
SIGNATURE = "\n-- \nPeerscope. Choose which mail you get: {base}/account/settings\n"


def base_url(settings: Settings, request_root: str | None = None) -> str:
    return settings.public_url or (request_root or "http://127.0.0.1:8000").rstrip("/")


def _notice(settings: Settings, to: User, subject: str, body: str, base: str) -> bool:
    """Send a notice; False (logged) when the backend could not take it."""
    try:
        mail.send(settings, to.email, subject, body + SIGNATURE.format(base=base))
    except MailError as exc:
        log.error("notice %r to user %s not sent: %s", subject, to.id, exc)
        return False
    return True


# ---------------------------------------------------------------- the account itself (always sent)

def password_reset(settings: Settings, user: User, link: str) -> None:
    mail.send(settings, user.email, "Reset your Peerscope password",
              f"Hello {user.display_name},\n\nsomeone (perhaps you) asked to reset the password of your Peerscope "
              f"account. Open this link to choose a new one:\n\n{link}\n\nThe link works once, for one hour, and "
              "stops working as soon as your password changes. If you did not ask, ignore this message: your "
              "password stays as it is.\n")


def email_change_requested(settings: Settings, user: User, new_email: str, link: str) -> None:
    mail.send(settings, new_email, "Confirm your new e-mail address for Peerscope",
              f"Hello {user.display_name},\n\nopen this link to make {new_email} the address of your Peerscope "
              f"account:\n\n{link}\n\nThe link works for one day. Until you open it, your account keeps its "
              f"present address. If you did not ask for this, ignore this message.\n")
    mail.send(settings, user.email, "A change of your Peerscope e-mail address was asked for",
              f"Hello {user.display_name},\n\nsomeone signed in to your Peerscope account asked to change its "
              f"address to {new_email}. This address keeps working until the new one is confirmed.\n\n"
              "If that was not you, change your password now (Account, then Password); that also ends "
              "every other session.\n")


def email_changed(settings: Settings, user: User, old_email: str) -> None:
    try:
        mail.send(settings, old_email, "Your Peerscope e-mail address was changed",
                  f"Hello {user.display_name},\n\nyour Peerscope account now uses {user.email}; mail no longer "
                  "comes to this address. If you did not do this, answer this message.\n")
    except MailError as exc:  # the change is made; telling the old address is best effort
        log.error("notice of a changed address to user %s not sent: %s", user.id, exc)


def account_deleted(settings: Settings, email: str, name: str) -> None:
    try:
        mail.send(settings, email, "Your Peerscope account was deleted",
                  f"Hello {name},\n\nyour Peerscope account and what it held were deleted, as you asked. "
                  "A profile you had claimed is unclaimed again; your edits of it stay in its history as "
                  "made by a deleted account.\n")
    except MailError as exc:
        log.error("notice of a deleted account not sent: %s", exc)


# ---------------------------------------------------------------- what others did (settings decide)

def claim_decided(settings: Settings, session: Session, claim: Claim, base: str) -> bool:
    """Tell the claimant (and, on an approval, those whose rival claims it declined); True when
    the claimant was mailed."""
    if claim.status == "approved":
        for rival in claims.rivals_of(session, claim):
            _claim_mail(settings, session, rival, base)
    return _claim_mail(settings, session, claim, base)


def _claim_mail(settings: Settings, session: Session, claim: Claim, base: str) -> bool:
    user = claim.user
    if not preferences.wants(session, user, "claim_decisions"):
        return False
    profile = f"{base}/researchers/{claim.researcher_id}"
    if claim.status == "approved":
        subject = f"Your claim of {claim.researcher_id} is approved"
        body = (f"Hello {user.display_name},\n\nyour claim of the profile {claim.researcher_id} is approved: it is "
                f"yours now. The public profile shows it as claimed within a minute.\n\n{profile}\n\n"
                f"Edit it from your account page: {base}/account\n")
        if claim.decision_note:
            body += f"\nThe reviewer's note: {claim.decision_note}\n"
    else:
        subject = f"Your claim of {claim.researcher_id} was declined"
        reason = claim.decision_note or "The reviewer gave no reason."
        body = (f"Hello {user.display_name},\n\nyour claim of the profile {claim.researcher_id} was declined.\n\n"
                f"The reviewer's reason: {reason}\n\nYou can claim it again with other evidence (for example a "
                f"page of your institution that lists these works): {profile}\n")
    return _notice(settings, user, subject, body, base)


def invitation_sent(settings: Settings, session: Session, inv: Invitation, base: str) -> None:
    link = f"{base}/me/invitations/{inv.id}"
    if preferences.wants(session, inv.recipient, "invitations"):
        _notice(settings, inv.recipient, f"{inv.sender.display_name} invites you to collaborate",
                f"Hello {inv.recipient.display_name},\n\n{inv.sender.display_name} wrote to you through your "
                f"profile {inv.researcher_id}:\n\n{_quote(inv.message)}\n\nAnswer (accept, decline or block "
                f"the sender) here: {link}\nYour address is shared only if you accept.\n", base)
    if preferences.wants(session, inv.sender, "invitations"):
        _notice(settings, inv.sender, f"Your invitation to {inv.recipient.display_name} was sent",
                f"Hello {inv.sender.display_name},\n\nyour invitation to {inv.recipient.display_name} "
                f"({inv.researcher_id}) was delivered:\n\n{_quote(inv.message)}\n\nYou will get their answer "
                f"by mail. {link}\n", base)


def invitation_answered(settings: Settings, session: Session, inv: Invitation, base: str) -> None:
    link = f"{base}/me/invitations/{inv.id}"
    note = f"\n\nTheir note:\n\n{_quote(inv.answer_note)}" if inv.answer_note else ""
    if preferences.wants(session, inv.sender, "invitation_answers"):
        contact = (f"\n\nYou can write to them at {inv.recipient.email}." if inv.status == "accepted" else "")
        _notice(settings, inv.sender, f"{inv.recipient.display_name} {inv.status} your invitation",
                f"Hello {inv.sender.display_name},\n\n{inv.recipient.display_name} {inv.status} your invitation "
                f"to collaborate.{note}{contact}\n\n{link}\n", base)
    if preferences.wants(session, inv.recipient, "invitation_answers"):
        contact = (f"\n\nYou can write to them at {inv.sender.email}." if inv.status == "accepted" else "")
        _notice(settings, inv.recipient, f"You {inv.status} the invitation from {inv.sender.display_name}",
                f"Hello {inv.recipient.display_name},\n\nyou {inv.status} the invitation from "
                f"{inv.sender.display_name}; they were told.{contact}\n\n{link}\n", base)


def digest(settings: Settings, user: User, works: list[dict], frequency: str, base: str) -> bool:
    """The digest of new works; `works` as search results (id, title, year, venue_names, authors)."""
    lines = []
    for w in works:
        authors = ", ".join(a.get("name") or "" for a in (w.get("authors") or [])[:6])
        venue = ", ".join(w.get("venue_names") or [])
        lines.append(f"- {w.get('title') or w['id']} ({w.get('year') or 'n.d.'}{'; ' + venue if venue else ''})\n"
                     f"  {authors}\n  {base}/works/{w['id']}")
    body = (f"Hello {user.display_name},\n\nyour {frequency} digest: {len(works)} new "
            f"work{'s' if len(works) != 1 else ''} on the profiles you follow since your last digest:\n\n" + "\n\n".join(lines) +
            f"\n\nYour feed: {base}/me/feed\nChange how often you get this (or stop it): {base}/account/settings\n")
    return _notice(settings, user, f"Peerscope: {len(works)} new work{'s' if len(works) != 1 else ''} by people "
                                   "you follow", body, base)


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in (text or "").splitlines())
