"""Sign-up, e-mail verification and sign-in: the rules, without HTTP."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.accounts import security
from web.accounts.errors import Invalid
from web.accounts.models import NAME_MAX, User, utcnow


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == security.normalise_email(email)))


def check_signup(email: str, display_name: str, password: str) -> dict[str, str]:
    """Field problems, empty when the sign-up can go ahead."""
    problems = {}
    if not security.valid_email(security.normalise_email(email)):
        problems["email"] = "Enter an e-mail address like name@example.org."
    if not display_name.strip() or len(display_name.strip()) > NAME_MAX:
        problems["display_name"] = f"Enter a name of 1 to {NAME_MAX} characters."
    if not security.PASSWORD_MIN <= len(password) <= security.PASSWORD_MAX:
        problems["password"] = (f"Use {security.PASSWORD_MIN} to {security.PASSWORD_MAX} characters; "
                                "a few unrelated words make a good password.")
    elif password.strip().lower() == security.normalise_email(email):
        problems["password"] = "Do not use your e-mail address as the password."
    return problems


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
    if user is None or user.email != found[1]:
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
