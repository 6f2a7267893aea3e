"""What a school official records on an OPT: approval with the EAD card's dates, and corrections.

The fields are read as text and parsed by the route, so a date that is not a date gets a message on its field;
the services check the rest. The dialog that holds them writes the CSRF token (checked app-wide)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

EAD_FROM_HINT = "The first day the student may work, printed on the EAD card as “Valid From”."
EAD_TO_HINT = "The last day, printed on the card as “Card Expires”."


class ApproveOptForm(FlaskForm):
    class Meta:
        csrf = False

    actual_start_date = StringField("EAD valid from", description=EAD_FROM_HINT)
    actual_end_date = StringField("EAD valid to", description=EAD_TO_HINT)


class CorrectOptForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("pending", "Pending"),
            SelectChoice("approved", "Approved"),
            SelectChoice("denied", "Denied"),
        ],
        validate_choice=False,
    )
    start_date = StringField("Requested start", description="The start date the student asked for.")
    end_date = StringField("Requested end", description="The end date the student asked for.")
    actual_start_date = StringField("EAD valid from", description=EAD_FROM_HINT + " Only for an approved OPT.")
    actual_end_date = StringField("EAD valid to", description=EAD_TO_HINT + " Only for an approved OPT.")
