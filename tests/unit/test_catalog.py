"""Every email is a named template with a subject, a plain-text and a phone-friendly HTML body, and its reference code (rule 10)."""

import re

import pytest

from portal.mail.catalog import CATALOG, SAMPLE_REFERENCE_CODE, render, render_sample
from portal.services.errors import InvalidValue
from portal.services.labels import template_title

ISSUE_6_TEMPLATES = [
    "email_changed",
    "report_receipt",
    "unemployment_warning",
    "stem_validation_due",
    "reporting_not_recorded",
    "opt_ended",
    "access_ending",
    "access_ended",
    "problem_received",
    "problem_answered",
]


@pytest.mark.parametrize("name", ISSUE_6_TEMPLATES)
def test_issue_6_template_is_registered(name):
    assert name in CATALOG


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_template_renders_subject_text_and_html_with_its_reference_code(app, name):
    with app.test_request_context():
        subject, text, html = render_sample(name)
    assert subject and "\n" not in subject and "{{" not in subject
    assert SAMPLE_REFERENCE_CODE in text and SAMPLE_REFERENCE_CODE in html
    assert 'name="viewport"' in html  # reads well on a phone
    assert CATALOG[name].when_sent


def test_html_body_escapes_student_values(app):
    with app.test_request_context():
        _subject, _text, html = render(
            "problem_received",
            {
                "student_name": "<script>x</script>",
                "reported_on": "today",
                "summary": "<b>hi</b>",
                "reference_code": "OPT-AAAA-BBBB",
            },
        )
    assert "<script>x" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("days_used", "subject_part"),
    [
        (60, "Your unemployment days have reached 60 of 90"),
        (80, "Your unemployment days have reached 80 of 90"),
        (90, "You have reached the limit of unemployment days"),
    ],
)
def test_unemployment_warning_subject_names_the_threshold(app, days_used, subject_part):
    with app.test_request_context():
        subject, text, _html = render(
            "unemployment_warning",
            {
                "student_name": "A",
                "days_used": days_used,
                "days_allowed": 90,
                "reached_on": "March 4, 2026",
                "reference_code": "OPT-X",
            },
        )
    assert subject == subject_part


def test_email_changed_tells_the_old_address_what_to_do_if_it_was_not_them(app):
    values = {
        "student_name": "A",
        "old_email": "a@old.example",
        "new_email": "a@new.example",
        "changed_on": "today",
        "reference_code": "OPT-X",
    }
    with app.test_request_context():
        _s, to_old, _h = render("email_changed", {**values, "to_old_address": True})
        _s, to_new, _h = render("email_changed", {**values, "to_old_address": False})
    assert "did not make this change" in to_old
    assert "did not make this change" not in to_new


def test_unknown_template_is_refused(app):
    with app.test_request_context(), pytest.raises(InvalidValue):
        render("no_such_template", {})


def test_no_stored_sample_ever_holds_a_raw_template_marker(app):
    with app.test_request_context():
        for name in CATALOG:
            for part in render_sample(name):
                assert not re.search(r"\{\{|\{%", part), name


def test_every_template_has_a_distinct_name_a_person_reads():
    titles = [template_title(name) for name in CATALOG]
    assert all(CATALOG[name].title for name in CATALOG), [name for name in CATALOG if not CATALOG[name].title]
    assert len(set(titles)) == len(titles) and not any("_" in title for title in titles)
    assert template_title("reporting_not_recorded") == "Reporting not yet recorded by the school"
    assert template_title("official_appointed") == "Official appointed"  # a retired name still reads as words
