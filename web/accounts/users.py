"""Sign-up, e-mail verification and sign-in: the rules, without HTTP."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.accounts import security
from web.accounts.errors import Conflict, Invalid
from web.accounts.models import NAME_MAX, User, utcnow


def by_email(session: Session, email: str) -> User | None:
    """The live account of `email` (a deleted account has no address any more)."""
    return session.scalar(select(User).where(User.email == security.normalise_email(email),
                                             User.deleted_at.is_(None)))


def check_signup(email: str, display_name: str, password: str) -> dict[str, str]:
    """Field problems, empty when the sign-up can go ahead."""
    problems = {}
    if not security.valid_email(security.normalise_email(email)):
        problems["email"] = "Enter an e-mail address like name@example.org."
    if not display_name.strip() or len(display_name.strip()) > NAME_MAX:
        problems["display_name"] = f"Enter a name of 1 to {NAME_MAX} characters."
    problem = password_problem(password, email)
    if problem:
        problems["password"] = problem
    return problems


def password_problem(password: str, email: str) -> str | None:
    if not security.PASSWORD_MIN <= len(password or "") <= security.PASSWORD_MAX:
        return (f"Use {security.PASSWORD_MIN} to {security.PASSWORD_MAX} characters; "
                "a few unrelated words make a good password.")
    if password.strip().lower() == security.normalise_email(email):
        return "Do not use your e-mail address as the password."
    return None


def sign_up(session: Session, email: str, display_name: str, password: str) -> tuple[User, bool]:
    """(user, created). An address already registered returns its user and False: the caller
    then mails that address instead of telling the visitor that it exists."""
    problems = check_signup(email, display_name, password)
    if problems:
        raise Invalid(" ".join(problems.values()))
    email = security.normalise_email(email)
    existing = by_email(session, email)
    if existing is not None:
        return existing, False
    user = User(email=email, display_name=display_name.strip(), password_hash=security.hash_password(password))
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # registered at the same moment by another request
        return by_email(session, email), False
    return user, True


def verify(session: Session, secret: str, token: str) -> User | None:
    """The user whose address the token proves; None for bad, expired or outdated tokens."""
    found = security.read_email_token(secret, token)
    if found is None:
        return None
    user = session.get(User, found[0])
    if user is None or user.deleted_at is not None or user.email != found[1]:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = by_email(session, email)
    if not security.check_password(user.password_hash if user else None, password):
        return None
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.last_login_at = utcnow()
    return user


# ---------------------------------------------------------------- password reset and change

def reset_link_for(session: Session, secret: str, email: str) -> tuple[User, str] | None:
    """(user, token) for a reset of `email`'s password; None for an unknown address (the
    caller says the same either way)."""
    user = by_email(session, email)
    if user is None:
        return None
    return user, security.reset_token(secret, user.id, user.password_hash)


def reset_user(session: Session, secret: str, token: str) -> User | None:
    """The user a reset token is for while it is valid: signed, younger than an hour, and
    issued for the password the account has now (a used or superseded token is not)."""
    found = security.read_reset_token(secret, token)
    if found is None:
        return None
    user = session.get(User, found[0])
    if user is None or user.deleted_at is not None or not security.reset_matches(found[1], user.password_hash):
        return None
    return user


def reset_password(session: Session, secret: str, token: str, password: str) -> User:
    user = reset_user(session, secret, token)
    if user is None:
        raise Invalid("This reset link is no longer valid (used, replaced or older than an hour). "
                      "Ask for a new one.")
    _set_password(user, password)
    # Opening the link proves the address as well as a confirmation link would.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def change_password(session: Session, user: User, current: str, password: str) -> User:
    if not security.check_password(user.password_hash, current):
        raise Invalid("Your current password is not right.")
    _set_password(user, password)
    return user


def _set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise Invalid(problem)
    user.password_hash = security.hash_password(password)  # ends other sessions and older reset links


# ---------------------------------------------------------------- change of address

def request_email_change(session: Session, user: User, password: str, new_email: str) -> str:
    """Record the new address as pending; returns it (normalised). The old one stays in use
    until the link sent to the new one is opened."""
    if not security.check_password(user.password_hash, password):
        raise Invalid("Your password is not right.")
    new_email = security.normalise_email(new_email)
    if not security.valid_email(new_email):
        raise Invalid("Enter an e-mail address like name@example.org.")
    if new_email == user.email:
        raise Invalid("That is already your address.")
    user.pending_email = new_email
    return new_email


def confirm_email_change(session: Session, secret: str, token: str) -> tuple[User, str]:
    """(user, old address) once the new address is proven; Invalid for a bad, expired or
    replaced link, Conflict when another account took the address meanwhile."""
    found = security.read_change_email_token(secret, token)
    user = session.get(User, found[0]) if found else None
    if user is None or user.deleted_at is not None or user.pending_email != found[1]:
        raise Invalid("This link is no longer valid (used, replaced or older than a day). "
                      "Ask for the change again on your account page.")
    if by_email(session, found[1]) is not None:
        raise Conflict("Another account uses that address now; your address was not changed.")
    old = user.email
    try:
        with session.begin_nested():
            user.email, user.pending_email, user.email_verified_at = found[1], None, utcnow()
    except IntegrityError:
        raise Conflict("Another account uses that address now; your address was not changed.") from None
    return user, old
