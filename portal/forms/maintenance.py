"""The operator's maintenance window form (times in US Eastern)."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.validators import DataRequired, Length


class MaintenanceWindowForm(FlaskForm):
    starts_at = DateTimeLocalField(
        "Start (US Eastern)", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Enter the start date and time.")]
    )
    ends_at = DateTimeLocalField(
        "End (US Eastern)", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Enter the end date and time.")]
    )
    message = TextAreaField(
        "Message shown to users",
        validators=[Length(max=500)],
        description="Optional. Shown in the banner and on the maintenance page. At most 500 characters.",
    )


class CancelWindowForm(FlaskForm):
    """Only the CSRF token."""
