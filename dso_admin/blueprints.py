"""The blueprints of the workspace: /admin for school officials, /support for support staff."""

from pathlib import Path

from flask import Blueprint

TEMPLATES = str(Path(__file__).resolve().parent / "templates")

admin = Blueprint("admin", __name__, url_prefix="/admin", template_folder=TEMPLATES)
support = Blueprint("support", __name__, url_prefix="/support", template_folder=TEMPLATES)
