"""Report a problem."""

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.services.problems import DESCRIPTION_MAX


class ProblemReportForm(FlaskForm):
    description = TextAreaField(
        "What went wrong?",
        validators=[DataRequired("Describe the problem."), Length(max=DESCRIPTION_MAX)],
        description="What you did, what you expected and what happened instead.",
    )
    screenshots = MultipleFileField(
        "Screenshots (optional)", description="Up to 3 PNG or JPEG images, at most 5 MB each."
    )
