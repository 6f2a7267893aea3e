"""Student uploads: Form I-983 and the EAD card."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class I983UploadForm(FlaskForm):
    file = FileField("Form I-983 (PDF, at most 10 MB)", description="A PDF file. Scans are fine.")


class EadCardUploadForm(FlaskForm):
    ead_file = FileField(
        "EAD card (PDF up to 10 MB, or a photo up to 5 MB)",
        description="A PDF, or a PNG or JPEG photo, showing both sides of the card.",
    )
