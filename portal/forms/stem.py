"""STEM OPT duties: confirm my details, upload a Form I-983 evaluation."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.services.stem_duties import CHANGES_MAX

EVALUATION_CHOICES = [
    SelectChoice("i983_evaluation", "12-month evaluation"),
    SelectChoice("i983_final_evaluation", "Final evaluation"),
]


class ConfirmDetailsForm(FlaskForm):
    details_correct = RadioField(
        "Are these details correct?",
        choices=[SelectChoice("yes", "Yes, they are all correct"), SelectChoice("no", "No, something changed")],
        validators=[DataRequired("Choose whether your details are correct.")],
        validate_choice=False,
    )
    changes = TextAreaField(
        "What changed?",
        validators=[Length(max=CHANGES_MAX)],
        description="Your new name, address, employer or employment status, and since when.",
    )


class EvaluationUploadForm(FlaskForm):
    evaluation = RadioField(
        "Which evaluation",
        choices=EVALUATION_CHOICES,
        validate_choice=False,
        validators=[DataRequired("Choose the 12-month or the final evaluation.")],
    )
    file = FileField(
        "Form I-983 evaluation (PDF, at most 10 MB)", description="The evaluation you and your employer signed."
    )

    def __init__(self, *args, **kwargs):
        # It shares the Documents page with the Form I-983 upload: prefixed names keep the ids apart.
        kwargs.setdefault("prefix", "evaluation")
        super().__init__(*args, **kwargs)


class ReviewEmployerForm(FlaskForm):
    """A DSO's decision on a STEM employer: the buttons carry Accept or Return; a return needs the note."""

    note = TextAreaField(
        "Note to the student",
        validators=[Length(max=1000)],
        description="Needed to return the employer: the student reads it on their employers page.",
    )
