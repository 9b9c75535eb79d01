"""Forms (Flask-WTF): every form carries the CSRF token; lengths come from the domain rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from web.accounts import claims, corrections, invitations, preferences, security
from web.accounts.models import EMAIL_MAX, ID_MAX, NAME_MAX


class ButtonForm(FlaskForm):
    """A form that is only a button (follow, sign out, undo, block): the token is its content."""


class SignupForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    display_name = StringField("Your name, as others will see it", validators=[DataRequired(), Length(max=NAME_MAX)])
    password = PasswordField("Password", validators=[
        DataRequired(), Length(min=security.PASSWORD_MIN, max=security.PASSWORD_MAX)])


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=security.PASSWORD_MAX)])
    next = HiddenField()


class ClaimForm(FlaskForm):
    evidence = TextAreaField("Why this profile is yours", validators=[
        DataRequired(), Length(min=claims.EVIDENCE_MIN, max=claims.EVIDENCE_MAX)])
    orcid = StringField("ORCID iD (optional)", validators=[Optional(), Length(max=19)])


class DecisionForm(FlaskForm):
    note = TextAreaField("Note to the claimant (optional)", validators=[Optional(), Length(max=claims.NOTE_MAX)])


class OpenForm(FlaskForm):
    open = BooleanField("Open to collaborate")


class AffiliationForm(FlaskForm):
    affiliation = StringField("Current affiliation", validators=[
        Optional(), Length(max=corrections.AFFILIATION_MAX)])


class WorkForm(FlaskForm):
    work_id = StringField("Work id", validators=[DataRequired(), Length(max=ID_MAX)])


class ProfileRequestForm(FlaskForm):
    kind = RadioField("Request", choices=[("merge", "Merge another profile into this one"),
                                          ("split", "Split this profile (it mixes different people)")],
                      validators=[DataRequired()])
    other_id = StringField("Other profile id (for a merge), or the id of a work that is someone else's (for a split)",
                           validators=[Optional(), Length(max=ID_MAX)])
    detail = TextAreaField("What should change, and why", validators=[
        DataRequired(), Length(min=corrections.DETAIL_MIN, max=corrections.DETAIL_MAX)])


class InviteForm(FlaskForm):
    message = TextAreaField("Your message", validators=[
        DataRequired(), Length(min=invitations.MESSAGE_MIN, max=invitations.MESSAGE_MAX)])


class AnswerForm(FlaskForm):
    decision = RadioField("Answer", choices=[("accept", "Accept"), ("decline", "Decline")],
                          validators=[DataRequired()])
    note = TextAreaField("Note to the sender (optional)", validators=[
        Optional(), Length(max=invitations.NOTE_MAX)])


class ForgotForm(FlaskForm):
    email = EmailField("E-mail address of your account", validators=[DataRequired(), Length(max=EMAIL_MAX)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[
        DataRequired(), Length(min=security.PASSWORD_MIN, max=security.PASSWORD_MAX)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=security.PASSWORD_MAX)])
    password = PasswordField("New password", validators=[
        DataRequired(), Length(min=security.PASSWORD_MIN, max=security.PASSWORD_MAX)])


class EmailChangeForm(FlaskForm):
    email = EmailField("New e-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=security.PASSWORD_MAX)])


class SettingsForm(FlaskForm):
    claim_decisions = BooleanField(preferences.KINDS["claim_decisions"])
    invitations = BooleanField(preferences.KINDS["invitations"])
    invitation_answers = BooleanField(preferences.KINDS["invitation_answers"])
    digest = RadioField("Digest of new works by the people you follow",
                        choices=list(preferences.DIGESTS.items()), validators=[DataRequired()])


class DeleteForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=security.PASSWORD_MAX)])
    confirm = BooleanField("I understand that this cannot be undone", validators=[DataRequired()])
