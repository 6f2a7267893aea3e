"""Forms for account creation, password reset and change, the attestation, two-step verification and upgrades."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

_CHOOSING_HINT = "12 to 128 characters. Any characters, including spaces. A few unrelated words work well."


def _new_password_fields():
    password = PasswordField(
        "New password",
        description=_CHOOSING_HINT,
        validators=[DataRequired("Enter a new password."), Length(max=128, message="Use at most 128 characters.")],
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Type the new password again."),
            Length(max=128, message="Use at most 128 characters."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )
    return password, confirm


class AccountCreationForm(FlaskForm):
    sevis_id = StringField(
        "Your SEVIS ID",
        description="N followed by 10 digits, as on your Form I-20.",
        validators=[
            DataRequired("Enter your SEVIS ID."),
            Length(max=20, message="A SEVIS ID is N followed by 10 digits."),
        ],
    )
    password, confirm = _new_password_fields()


class OfficialInvitationForm(FlaskForm):
    """An official's invitation: a password only (officials have no SEVIS ID; two-step verification follows)."""

    password, confirm = _new_password_fields()


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="The address your account uses.",
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[
            DataRequired("Enter your current password."),
            Length(max=128, message="Use at most 128 characters."),
        ],
    )
    password, confirm = _new_password_fields()


class AttestationForm(FlaskForm):
    accept = BooleanField(
        "I confirm that what I report in this portal is true and complete.",
        validators=[DataRequired("Tick the box to confirm, then continue.")],
    )


class MfaCodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter the code."),
            Length(max=20, message="The code has 6 digits, or 10 characters for a recovery code."),
        ],
    )


class TurnOffMfaForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[
            DataRequired("Enter your current password."),
            Length(max=128, message="Use at most 128 characters."),
        ],
    )
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[
            DataRequired("Enter the code."),
            Length(max=20, message="The code has 6 digits, or 10 characters for a recovery code."),
        ],
    )


class ConfirmForm(FlaskForm):
    """An action with nothing to type (sign out everywhere); the CSRF token is the point."""


class UpgradeForm(FlaskForm):
    note = StringField(
        "Note",
        description="Optional: what the upgrade was, in one line.",
        validators=[Length(max=300, message="Keep the note to 300 characters.")],
    )
    force_password_change = BooleanField("Make every student choose a new password at their next sign-in")
