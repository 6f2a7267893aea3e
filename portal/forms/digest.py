"""The officials' email digest setting (issue 12)."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.models.enums import DigestCadence

DIGEST_CHOICES = [
    SelectChoice(DigestCadence.OFF.value, "Off: no digest"),
    SelectChoice(DigestCadence.DAILY.value, "Daily: each morning, when something changed"),
    SelectChoice(DigestCadence.WEEKLY.value, "Weekly: each Monday morning, when something changed"),
]


class DigestForm(FlaskForm):
    # validate_choice=False: the service refuses an unknown value with a message a person can act on, on this field.
    cadence = RadioField(
        "Email digest",
        choices=DIGEST_CHOICES,
        validate_choice=False,
        description="How many students changed what since your last change-list download, with a "
        "link to download it. Not sent when nothing is new.",
        validators=[DataRequired("Choose off, daily or weekly.")],
    )
