"""Employer forms: add/edit (SEVIS limits as field validators; the service checks the rest) and delete."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, StopValidation

from portal.models import employer as limits
from portal.models.enums import EmploymentType
from portal.services.labels import label
from portal.services.validation import US_STATES

STATE_CHOICES = [SelectChoice("", "- Select -")] + [
    SelectChoice(code, name) for code, name in sorted(US_STATES.items(), key=lambda item: item[1])
]


# SEVP's OPT policy guidance on what counts as OPT employment, one line each; STEM OPT allows only the first two.
EMPLOYMENT_TYPE_HINTS = {
    EmploymentType.PAID_EMPLOYEE: "The employer pays you a wage or salary (you get a W-2).",
    EmploymentType.SELF_EMPLOYED: "You run your own business in your field of study and have the licences it needs. "
    "Not allowed on STEM OPT.",
    EmploymentType.UNPAID: "At least 20 hours a week, in your field of study, without breaking labor laws. "
    "Not allowed on STEM OPT.",
    EmploymentType.AGENCY_OR_CONTRACT: "A staffing or consulting agency employs you, or you work on contract for a "
    "company. On STEM OPT, the agency must sign your Form I-983 and use E-Verify.",
    EmploymentType.SHORT_TERM: "Many short jobs in your field, for example as a performing artist. Keep a list of "
    "each job's dates and duties. Not allowed on STEM OPT.",
}
EMPLOYMENT_TYPE_MESSAGE = "Choose the kind of employment."


def _required(message: str):
    return DataRequired(message)


RELOAD_MESSAGE = "This form came back without the version of the record it was opened at. Reload the page and make your changes again."


class VersionPosted:
    """The record version an edit form was opened at must come back with it: without it no stale-edit check can run.

    ``allow_empty`` for a form that may create the record (an address not yet on file posts an empty version).
    """

    def __init__(self, *, allow_empty: bool = False) -> None:
        self.allow_empty = allow_empty

    def __call__(self, form, field) -> None:
        if not field.raw_data or (not self.allow_empty and not str(field.raw_data[0]).strip()):
            raise StopValidation(RELOAD_MESSAGE)


class EmployerForm(FlaskForm):
    """Every field of the SEVIS Employer type; the service re-checks each one."""

    name = StringField("Employer name", validators=[_required("Enter the employer name."), Length(max=limits.NAME_MAX)])
    address_line1 = StringField(
        "Street address", validators=[_required("Enter the street address."), Length(max=limits.ADDRESS_LINE_MAX)]
    )
    address_line2 = StringField("Street address line 2", validators=[Optional(), Length(max=limits.ADDRESS_LINE_MAX)])
    city = StringField("City", validators=[_required("Enter the city."), Length(max=limits.CITY_MAX)])
    state = SelectField(
        "State", choices=STATE_CHOICES, validators=[_required("Choose a state.")], validate_choice=False
    )
    postal_code = StringField("ZIP code", validators=[_required("Enter the ZIP code."), Length(max=10)])
    ein = StringField(
        "Employer Identification Number (EIN)",
        validators=[Optional(), Length(max=12)],
        description="9 digits, on your pay slip or W-2. Leave empty if you do not know it.",
    )
    employment_type = RadioField(
        "Kind of employment",
        choices=[SelectChoice(kind.value, label(kind)) for kind in EmploymentType],
        validators=[
            DataRequired(EMPLOYMENT_TYPE_MESSAGE),
            AnyOf([kind.value for kind in EmploymentType], message=EMPLOYMENT_TYPE_MESSAGE),
        ],
        validate_choice=False,
    )
    job_title = StringField("Your job title", validators=[Optional(), Length(max=limits.JOB_TITLE_MAX)])
    employment_time = RadioField(
        "Hours",
        choices=[
            SelectChoice("full_time", "Full time"),
            SelectChoice("part_time", "Part time (20 hours a week or more)"),
        ],
        validators=[DataRequired("Choose full time or part time.")],
        validate_choice=False,
    )
    start_date = DateField(
        "Start date",
        validators=[DataRequired("Enter the start date as a real date.")],
        description="Report a new job within 10 days of starting it.",
    )
    end_date = DateField("End date", validators=[Optional()], description="Leave empty while you still work there.")
    course_relevance = TextAreaField(
        "How does this job relate to your degree?",
        validators=[_required("Describe how the job relates to your degree."), Length(max=limits.COURSE_RELEVANCE_MAX)],
        description=f"Up to {limits.COURSE_RELEVANCE_MAX} characters.",
    )
    supervisor_first_name = StringField(
        "Supervisor's first name", validators=[Optional(), Length(max=limits.SUPERVISOR_FIRST_NAME_MAX)]
    )
    supervisor_last_name = StringField(
        "Supervisor's last name", validators=[Optional(), Length(max=limits.SUPERVISOR_LAST_NAME_MAX)]
    )
    supervisor_phone = StringField(
        "Supervisor's phone", validators=[Optional(), Length(max=20)], description="10 digits, like 617 555 0100."
    )
    supervisor_phone_ext = StringField("Extension", validators=[Optional(), Length(max=limits.PHONE_EXTENSION_MAX)])
    supervisor_email = StringField(
        "Supervisor's email", validators=[Optional(), Length(max=limits.SUPERVISOR_EMAIL_MAX)]
    )
    i983 = FileField(
        "Form I-983 (PDF, at most 10 MB)", description="STEM OPT: the training plan you signed with this employer."
    )
    same_job_confirmed = BooleanField("This is the same job; only the employer's name changed.")
    version = HiddenField()

    FIELDS = (
        "name",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "ein",
        "employment_type",
        "job_title",
        "employment_time",
        "start_date",
        "end_date",
        "course_relevance",
        "supervisor_first_name",
        "supervisor_last_name",
        "supervisor_phone",
        "supervisor_phone_ext",
        "supervisor_email",
    )

    def service_data(self) -> dict:
        """The values for the employers service (dates as dates, empty as None)."""
        data = {name: self[name].data for name in self.FIELDS}
        data["same_job_confirmed"] = self.same_job_confirmed.data
        return data


class EditEmployerForm(EmployerForm):
    """The employer form for a change to an existing employer: the version it was opened at is required."""

    version = HiddenField(validators=[VersionPosted()])


class DeleteEmployerForm(FlaskForm):
    never_worked = BooleanField("I have never worked for this employer")
