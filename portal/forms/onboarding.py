"""The bulk onboarding upload form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class OnboardingUploadForm(FlaskForm):
    file = FileField(
        "CSV file of students",
        validators=[FileRequired("Choose a CSV file.")],
        description="UTF-8 CSV, at most 2 MB and 5,000 students. First line: sevis_id, surname, given_name, "
        "email, education_level, program_start, program_end, major, opt_kind, opt_start, opt_end.",
    )


class OnboardingStepForm(FlaskForm):
    """Only the CSRF token."""
