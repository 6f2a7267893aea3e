"""The Student Information page: own school only, account actions with confirmation and reason, restore, history."""

import io
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.models import Event, OutboxEmail, utcnow
from portal.models.enums import Role
from portal.services import mfa
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.documents import upload_ead_card
from portal.services.events import record_event
from tests.support.factories import PASSWORD
from tests.support.files import pdf
from tests.web.conftest import HX


def _page(client, student, **args):
    return client.get(f"/admin/students/{student.sevis_id}", query_string=args)


def test_another_schools_sevis_id_is_a_404(client, factory, dso):
    other = factory.student()
    assert _page(client, other).status_code == 404
    assert client.post(f"/admin/students/{other.sevis_id}/account/reset").status_code == 404


@pytest.mark.parametrize("sevis_id", ["N123", "<script>", "N0000000000%00", "x" * 500])
def test_a_malformed_sevis_id_is_a_404(client, dso, sevis_id):
    assert client.get(f"/admin/students/{sevis_id}").status_code == 404


def test_the_page_shows_identity_records_employers_and_history(client, factory, school, dso):
    student = factory.student(school=school, surname="Okafor")
    factory.employer(student, name="Globex")
    body = _page(client, student).get_data(as_text=True)
    for expected in (
        "Okafor",
        student.sevis_id,
        "Globex",
        "Post-completion OPT",
        "Event history",
        "Student record created",
    ):
        assert expected in body


def test_identity_reads_as_the_same_facts_block_as_the_student_dashboard(client, factory, school, dso):
    student = factory.student(school=school, given_name="")
    body = _page(client, student).get_data(as_text=True)
    identity = body.split('id="identity"')[1].split("</section>")[0]
    assert '<dl class="portal-facts">' in identity
    assert (
        f"<dt>Email of record</dt><dd>{student.email}</dd>" in identity and "<dt>Given name</dt><dd>—</dd>" in identity
    )
    assert "<dt>Requested email</dt>" not in identity  # an empty row is left out
    assert ".portal-facts {" in client.get("/static/css/portal.css").get_data(as_text=True)  # styled on every page


def test_account_actions_are_disabled_with_the_reason_when_unavailable(client, factory, school, dso):
    student = factory.student(school=school, opt="pending")
    body = _page(client, student).get_data(as_text=True)
    assert "No approved OPT yet" in body
    assert "disabled" in body and "Reset Portal Account" in body


def test_reset_needs_a_confirmation_then_writes_an_event(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    factory.user(role=Role.STUDENT, student=student)
    confirm = client.get(f"/admin/students/{student.sevis_id}/account/reset", headers={"HX-Request": "true"})
    assert confirm.status_code == 200 and "data-confirm-dialog" in confirm.get_data(as_text=True)
    assert 'href="/admin/students/' in confirm.get_data(as_text=True)  # Cancel is a real link
    response = client.post(f"/admin/students/{student.sevis_id}/account/reset")
    assert response.status_code == 303
    assert db_session.scalar(select(Event).where(Event.student_id == student.id, Event.event_type == "account.reset"))


def test_unlock_of_a_locked_account_writes_an_event(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    user = factory.user(role=Role.STUDENT, student=student)
    user.locked_until = utcnow() + timedelta(minutes=20)
    db_session.flush()
    assert client.post(f"/admin/students/{student.sevis_id}/account/unlock").status_code == 303
    assert db_session.scalar(
        select(Event).where(Event.student_id == student.id, Event.event_type == "account.unlocked")
    )


def test_unlock_of_an_unlocked_account_gets_the_reason_not_an_event(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    factory.user(role=Role.STUDENT, student=student)
    response = client.post(f"/admin/students/{student.sevis_id}/account/unlock")
    assert response.status_code == 409 and "not locked" in response.get_data(as_text=True)


def test_restore_a_deleted_employer_and_a_second_restore_gets_a_clear_message(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    employer = factory.employer(student, name="Deleted Co", deleted_at=utcnow())
    body = _page(client, student).get_data(as_text=True)
    assert "Restore Deleted Co" in body
    url = f"/admin/students/{student.sevis_id}/employers/{employer.id}/restore"
    assert client.post(url).status_code == 303
    db_session.refresh(employer)
    assert employer.deleted_at is None
    follow = client.post(url, follow_redirects=True)
    assert follow.status_code == 200 and "not deleted" in follow.get_data(as_text=True)


def test_restoring_another_students_employer_is_a_404(client, factory, school, dso):
    mine = factory.student(school=school)
    foreign = factory.employer(factory.student(), deleted_at=utcnow())
    assert client.post(f"/admin/students/{mine.sevis_id}/employers/{foreign.id}/restore").status_code == 404


def test_history_filters_by_actor_kind_and_rows_expand_to_before_and_after(client, factory, school, dso):
    student = factory.student(school=school)
    body = _page(client, student, actor_kind="school_official").get_data(as_text=True)
    assert "student.created" not in body.split('id="event-history"')[1]
    body = _page(client, student, actor_kind="system").get_data(as_text=True)
    history = body.split('id="event-history"')[1]
    assert "student.created" in history and "<details>" in history and "After" in history


def test_history_rows_read_as_words_and_keep_the_raw_type_for_support(client, factory, school, dso):
    student = factory.student(school=school)
    history = _page(client, student).get_data(as_text=True).split('id="event-history"')[1]
    assert '<strong title="student.created">Student record created</strong>' in history
    assert "<code" not in history  # the raw type is a tooltip, never text on the page
    options = _page(client, student).get_data(as_text=True).split('id="event_type"')[1].split("</select>")[0]
    assert '<option value="program.opened">Program record opened</option>' in options


def test_an_inverted_history_range_gets_a_message(client, factory, school, dso):
    student = factory.student(school=school)
    response = _page(client, student, since="2026-05-01", until="2026-04-01")
    assert response.status_code == 422 and "swap them" in response.get_data(as_text=True)


def test_approve_a_pending_opt_from_the_page_with_the_ead_dates(client, factory, school, dso, db_session):
    student = factory.student(school=school, opt="pending")
    opt = student.program_records[-1].opt_authorizations[0]
    url = f"/admin/students/{student.sevis_id}/opts/{opt.id}/approve"
    page = _page(client, student).get_data(as_text=True)
    assert f'href="{url}" hx-get="{url}" hx-target="#modal-root"' in page and "Not yet: recorded at approval" in page
    form = client.get(url).get_data(as_text=True)
    assert "EAD valid from" in form and "EAD valid to" in form and 'type="date"' in form
    ead = {
        "actual_start_date": (opt.start_date + timedelta(days=20)).isoformat(),
        "actual_end_date": (opt.end_date + timedelta(days=20)).isoformat(),
    }
    assert client.post(url, data=ead).status_code == 303
    db_session.refresh(opt)
    assert opt.status.value == "approved" and opt.actual_start_date == opt.start_date + timedelta(days=20)
    shown = _page(client, student).get_data(as_text=True)
    assert "Requested" in shown and "EAD validity" in shown
    assert f"{opt.actual_start_date:%m/%d/%Y}–{opt.actual_end_date:%m/%d/%Y}" in shown
    again = client.post(url, data=ead, follow_redirects=True)
    assert "already approved" in again.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"actual_start_date": "2026-05-01", "actual_end_date": "2026-04-01"}, "actual_end_date", "cannot end"),
        (
            {"actual_start_date": "2026-02-30", "actual_end_date": "2027-01-01"},
            "actual_start_date",
            "Enter a real date",
        ),
        ({"actual_start_date": "", "actual_end_date": "2027-01-01"}, "actual_start_date", "valid from"),
    ],
)
def test_bad_ead_dates_on_the_approve_form_are_a_422_with_the_message_on_the_field(
    client, factory, school, dso, db_session, headers, data, field, message
):
    student = factory.student(school=school, opt="pending")
    opt = student.program_records[-1].opt_authorizations[0]
    response = client.post(f"/admin/students/{student.sevis_id}/opts/{opt.id}/approve", data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = body.split(f'id="{field}-error"')[1].split("</span>")[0]
    assert message in error and f'aria-describedby="{field}-hint {field}-error"' in body
    assert f'value="{data[field]}"' in body  # what the official typed stays in the field
    db_session.refresh(opt)
    assert opt.status.value == "pending"


def test_a_document_the_student_uploaded_opens_from_the_page(client, factory, school, dso, db_session, app):
    student = factory.student(school=school)
    user = factory.user(role=Role.STUDENT, student=student)
    document = upload_ead_card(
        db_session,
        student,
        io.BytesIO(pdf()),
        "my ead.pdf",
        actor=Actor.for_user(user),
        upload_dir=app.config["UPLOAD_DIR"],
    )
    url = f"/admin/students/{student.sevis_id}/documents/{document.id}"
    page = _page(client, student).get_data(as_text=True)
    assert f'EAD card: <a class="usa-link" href="{url}">my_ead.pdf</a>' in page
    response = client.get(url)
    assert response.status_code == 200 and response.data == pdf()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    other = factory.student()
    assert client.get(f"/admin/students/{other.sevis_id}/documents/{document.id}").status_code == 404


def test_the_page_issues_the_same_number_of_statements_whatever_the_record_holds(
    client, factory, school, dso, count_queries
):
    small = factory.student(school=school)
    big = factory.student(school=school)
    for number in range(30):
        factory.employer(big, name=f"Employer {number}", deleted_at=utcnow() if number % 2 else None)
    with count_queries() as first:
        _page(client, small)
    with count_queries() as second:
        _page(client, big)
    assert first["count"] == second["count"]


def test_employers_are_paged_fifty_at_a_time_current_ones_first(client, factory, school, dso, count_queries):
    student = factory.student(school=school)
    start = student.program_records[-1].opt_authorizations[0].start_date
    for number in range(120):
        factory.employer(student, name=f"Employer {number:03d}", start_date=start + timedelta(days=number))
    deleted = factory.employer(student, name="Deleted Employer LLC", start_date=start + timedelta(days=500))
    deleted.deleted_at = deleted.created_at

    first = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert first.count("Edit Employer ") == 50 and "Employer 119" in first and "Deleted Employer LLC" not in first
    assert "Employers 1 to 50 of 121" in first and "More employers" in first and "Previous employers" not in first

    last = client.get(f"/admin/students/{student.sevis_id}?employers_page=3").get_data(as_text=True)
    assert last.count("Edit Employer ") == 20 and "Restore Deleted Employer LLC" in last
    assert "Employers 101 to 121 of 121" in last and "More employers" not in last

    with count_queries() as few:
        client.get(f"/admin/students/{student.sevis_id}?employers_page=2")
    with count_queries() as many:
        client.get(f"/admin/students/{student.sevis_id}?employers_page=-4")
    assert few["count"] == many["count"]


def test_history_counts_what_the_filter_keeps_pages_it_and_offers_every_kind_the_student_has(
    client, factory, school, dso, db_session
):
    student = factory.student(school=school)
    for _number in range(55):
        record_event(db_session, Actor.for_user(dso), "contact.phone_changed", student=student)
    db_session.flush()

    def history(**args):
        body = _page(client, student, **args).get_data(as_text=True)
        kinds = body.split('id="event_type"')[1].split("</select>")[0]
        return body.split('id="event-history"')[1], kinds

    first, kinds = history(actor_kind="school_official")
    assert "55 events, showing page 1." in first and first.count("<details>") == 50 and "Older events" in first
    assert all(f'value="{kind}"' in kinds for kind in ("contact.phone_changed", "program.opened", "student.created"))
    second, _kinds = history(actor_kind="school_official", page=2)
    assert "55 events, showing page 2." in second and second.count("<details>") == 5 and "Older events" not in second
    only, same_kinds = history(event_type="student.created")
    assert "1 event." in only and only.count("<details>") == 1 and same_kinds.replace(" selected", "") == kinds
    none, _kinds = history(actor_kind="data_feed")
    assert "0 events." in none and "No events match." in none


# --- Turn off two-step verification for a student who lost the phone and the recovery codes -------------------


def _student_with_mfa(factory, db_session, school):
    student = factory.student(school=school)
    user = factory.user(role=Role.STUDENT, student=student)
    mfa.confirm_enrolment(db_session, user, pyotp.TOTP(mfa.start_enrolment(db_session, user)).now())
    return student, user


def _turn_off_url(student):
    return f"/admin/students/{student.sevis_id}/account/clear_mfa"


def test_turn_off_two_step_verification_sits_with_the_other_account_actions(client, factory, school, dso, db_session):
    student, _ = _student_with_mfa(factory, db_session, school)
    body = _page(client, student).get_data(as_text=True)
    actions = body.split("<h2>Portal account</h2>")[1].split("</ul>")[0]
    assert f'href="{_turn_off_url(student)}"' in actions and f'hx-get="{_turn_off_url(student)}"' in actions
    assert ">Turn off two-step verification</a>" in actions and "Reset Portal Account" in actions


def test_turn_off_needs_a_confirmation_then_signs_the_student_out_and_tells_them(
    app, client, factory, school, dso, db_session
):
    student, user = _student_with_mfa(factory, db_session, school)
    phone = app.test_client()  # the student's own session, with the authenticator they still had then
    phone.post("/", data={"email": user.email, "password": PASSWORD})
    user.mfa_last_step = None  # enrolment spent this 30-second code
    phone.post("/mfa/verify", data={"code": pyotp.TOTP(mfa.secret_of(user)).now()})
    phone.post("/attestation", data={"accept": "y"})
    assert phone.get("/account/security").status_code == 200
    dialog = client.get(_turn_off_url(student), headers=HX).get_data(as_text=True)
    assert (
        "data-confirm-dialog" in dialog
        and "<html" not in dialog
        and "Check first that it is the student asking" in dialog
    )
    assert "Yes, turn off two-step verification" in dialog and f'href="/admin/students/{student.sevis_id}"' in dialog
    page = client.get(_turn_off_url(student))
    assert page.status_code == 200 and b"<html" in page.data  # without JavaScript, the confirmation is a page

    done = client.post(_turn_off_url(student))

    assert done.status_code == 303 and done.headers["Location"] == f"/admin/students/{student.sevis_id}"
    assert not mfa.mfa_enabled(user) and mfa.recovery_codes_left(db_session, user) == 0
    signed_out = phone.get("/account/security")
    assert signed_out.status_code == 302 and signed_out.headers["Location"].startswith("/?next=")
    event = db_session.scalar(select(Event).where(Event.user_id == user.id, Event.event_type == "mfa.cleared"))
    assert event is not None and event.actor_user_id == dso.id
    templates = db_session.scalars(
        select(OutboxEmail.template).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()
    assert templates[-1] == "mfa_turned_off_by_school"
    after = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert "Turn off two-step verification: done." in after and 'aria-describedby="why-clear_mfa"' in after


def test_turn_off_when_it_is_off_is_disabled_with_the_reason_and_refused(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    user = factory.user(role=Role.STUDENT, student=student)
    body = _page(client, student).get_data(as_text=True)
    assert 'disabled aria-describedby="why-clear_mfa"' in body and "Two-step verification is not turned on." in body
    refused = client.post(_turn_off_url(student))
    assert refused.status_code == 409 and "not turned on" in refused.get_data(as_text=True)
    assert db_session.scalar(select(Event).where(Event.user_id == user.id, Event.event_type == "mfa.cleared")) is None


@pytest.mark.parametrize(
    "role, school_of_student, answer",
    [
        (Role.DSO, True, 303),
        (Role.PRINCIPAL_DSO, True, 303),
        (Role.DSO, False, 404),
        (Role.PRINCIPAL_DSO, False, 404),  # another school's student does not exist for them
        (Role.SUPPORT, None, 403),
        (Role.OPERATOR, None, 403),  # they handle staff, never a student's record
        (Role.STUDENT, None, 403),  # the student turns it off with password and code on their own security page
    ],
)
def test_only_officials_of_the_students_school_can_turn_it_off(
    client, factory, db_session, sign_in, role, school_of_student, answer
):
    school = factory.school()
    student, user = _student_with_mfa(factory, db_session, school)
    if role is Role.STUDENT:
        who = user
    elif school_of_student is not None:
        who = factory.user(role=role, school=school if school_of_student else factory.school())
    else:
        who = factory.user(role=role)
    sign_in(who)
    assert client.get(_turn_off_url(student)).status_code == (200 if answer == 303 else answer)
    assert client.post(_turn_off_url(student)).status_code == answer
    assert mfa.mfa_enabled(user) is (answer != 303)


def _counter(body: str) -> dict:
    block = body.split('id="unemployment-counter"')[1].split("</dl>")[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", block))


def test_the_counter_shows_allowed_used_and_remaining_days_and_the_run_out_date(client, factory, school, dso):
    today = today_eastern()
    student = factory.student(school=school, opt_start=today - timedelta(days=39), today=today)  # 40 days in
    factory.employer(student, start_date=today - timedelta(days=29), end_date=today - timedelta(days=20))  # 10 worked
    counter = _counter(_page(client, student).get_data(as_text=True))
    assert counter == {
        "Allowed": "90",
        "Used": "30",
        "Remaining": "60",
        "Runs out on": f"{today + timedelta(days=60):%m/%d/%Y}",
    }


def test_the_counter_says_when_the_allowance_was_used_up_and_when_nothing_counts(client, factory, school, dso):
    today = today_eastern()
    idle = factory.student(school=school, opt_start=today - timedelta(days=99), today=today)
    assert _counter(_page(client, idle).get_data(as_text=True)) == {
        "Allowed": "90",
        "Used": "100",
        "Remaining": "0",
        "Used up on": f"{today - timedelta(days=10):%m/%d/%Y}",
    }
    pending = factory.student(school=school, opt="pending")
    body = _page(client, pending).get_data(as_text=True)
    assert 'id="unemployment-counter"' not in body and "no unemployment days are counted" in body
