"""Small builders for SEVIS batch XML (SEVISBatchCreateUpdateStudent) used by the feed tests."""

from __future__ import annotations

from xml.sax.saxutils import escape


def employer_xml(name="Example Analytics LLC", start="2026-02-01", tag="Employer", title="Data Analyst") -> str:
    return (
        f"<{tag}><EmployerName>{escape(name)}</EmployerName><EmployerAddress><Address1>1 Main Street</Address1>"
        "<City>Boston</City><State>MA</State><PostalCode>02110</PostalCode></EmployerAddress>"
        "<EmployerEIN>123456789</EmployerEIN><CourseRelevance>Applies my degree in data science.</CourseRelevance>"
        f"<FullPartTimeIndicator>01</FullPartTimeIndicator><StartDate>{start}</StartDate>"
        f"<StudentsJobTitle>{escape(title)}</StudentsJobTitle></{tag}>"
    )


def opt_add(sevis_id, request_id, start="2026-01-15", end="2027-01-14", employers="", verb="Add") -> str:
    extra = "<AcademicYearMet>true</AcademicYearMet>" if verb == "Add" else ""
    return (
        f'<Student sevisID="{sevis_id}" requestID="{request_id}" userID="FEEDUSER01" statusCode="ACTIVE">'
        f'<OPTEmployment><{verb} printForm="false"><StartDate>{start}</StartDate><EndDate>{end}</EndDate>'
        f"<FullPartTimeIndicator>01</FullPartTimeIndicator>{extra}{employers}</{verb}></OPTEmployment></Student>"
    )


def email_update(sevis_id, request_id, email) -> str:
    return (
        f'<Student sevisID="{sevis_id}" requestID="{request_id}" userID="FEEDUSER01" statusCode="ACTIVE">'
        f'<PersonalInfo printForm="false"><Email>{escape(email)}</Email></PersonalInfo></Student>'
    )


def employer_edit(sevis_id, request_id, name, start, opt_start, opt_end, new_title) -> str:
    return (
        f'<Student sevisID="{sevis_id}" requestID="{request_id}" userID="FEEDUSER01" statusCode="ACTIVE">'
        f'<OPTEmployer><Edit printForm="false"><EmploymentIdentifier><StartDate>{opt_start}</StartDate>'
        f"<EndDate>{opt_end}</EndDate></EmploymentIdentifier><EmployerIdentifier><EmployerName>{escape(name)}</EmployerName>"
        f"<StartDate>{start}</StartDate></EmployerIdentifier><Employer><StudentsJobTitle>{escape(new_title)}</StudentsJobTitle>"
        "</Employer></Edit></OPTEmployer></Student>"
    )


def batch(org_id: str, batch_id: str, updates: str = "", creates: str = "") -> bytes:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><SEVISBatchCreateUpdateStudent userID="FEEDUSER01">'
        f"<BatchHeader><BatchID>{batch_id}</BatchID><OrgID>{org_id}</OrgID></BatchHeader>"
    )
    if creates:
        body += f"<CreateStudent>{creates}</CreateStudent>"
    if updates:
        body += f"<UpdateStudent>{updates}</UpdateStudent>"
    return (body + "</SEVISBatchCreateUpdateStudent>").encode()
