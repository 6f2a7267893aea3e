"""Contact forms: phone, an address (physical or mailing), an email change request."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms.employers import STATE_CHOICES, VersionPosted


class PhoneForm(FlaskForm):
    phone = StringField(
        "Phone number",
        validators=[DataRequired("Enter your phone number."), Length(max=25)],
        description="A US number like 617 555 0100, or + and the country code.",
    )
    version = HiddenField(validators=[VersionPosted()])


class AddressForm(FlaskForm):
    line1 = StringField("Street address", validators=[DataRequired("Enter the street address."), Length(max=64)])
    line2 = StringField("Street address line 2", validators=[Optional(), Length(max=64)])
    city = StringField("City", validators=[DataRequired("Enter the city."), Length(max=60)])
    state = SelectField(
        "State", choices=STATE_CHOICES, validators=[DataRequired("Choose a state.")], validate_choice=False
    )
    postal_code = StringField("ZIP code", validators=[DataRequired("Enter the ZIP code."), Length(max=10)])
    version = HiddenField(validators=[VersionPosted(allow_empty=True)])  # empty: no address on file yet

    def service_data(self) -> dict:
        return {name: self[name].data for name in ("line1", "line2", "city", "state", "postal_code")}


class EmailChangeForm(FlaskForm):
    email = StringField("New email address", validators=[DataRequired("Enter the new email address."), Length(max=254)])
