"""The international office's contact details, kept by the principal DSO (issue 13)."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

# No validators here: the service cleans each value and puts its message on the field (one rule, one place).


class OfficeContactForm(FlaskForm):
    office_name = StringField("Office name", description="Like International Student Office.")
    office_email = StringField("Email address", description="Where students write, like iso@example.edu.")
    office_phone = StringField("Phone number", description="Like 617 555 0100, or + and the country code.")
    office_hours = StringField("Hours", description="Like Monday to Friday, 9 AM to 5 PM Eastern.")
    office_address = TextAreaField("Address", description="Where students can visit the office.")
