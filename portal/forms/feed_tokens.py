"""Forms for data feed tokens."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class NewFeedTokenForm(FlaskForm):
    name = StringField(
        "What uses the token",
        validators=[DataRequired("Name the token."), Length(max=100)],
        description="For example: Student information system, nightly export.",
    )
    school_code = StringField(
        "School code", validators=[Length(max=15)], description="Operators only: the school the token is for."
    )


class RevokeFeedTokenForm(FlaskForm):
    """Only the CSRF token."""
