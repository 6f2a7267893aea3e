"""Form I-983 upload."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class I983UploadForm(FlaskForm):
    file = FileField("Form I-983 (PDF, at most 10 MB)", description="A PDF file. Scans are fine.")
