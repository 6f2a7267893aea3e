"""The label table: every enum value, event type, field name, document kind and template reads as words."""

import re
from datetime import date
from enum import Enum
from pathlib import Path

import pytest

from portal.mail.catalog import CATALOG
from portal.models import Employer, enums
from portal.models.enums import DocumentKind, EmploymentTime
from portal.services import timeline
from portal.services.labels import (
    EVENT_LABELS,
    FIELD_LABELS,
    LABELS,
    document_label,
    event_label,
    field_label,
    label,
    template_title,
    value_words,
)

ROOT = Path(__file__).resolve().parents[2]


def _types_written_in_code() -> set[str]:
    """The literal event types in the code (record_event calls and the type variables that feed them)."""
    found = set()
    for path in [*ROOT.joinpath("portal").rglob("*.py"), *ROOT.joinpath("dso_admin").rglob("*.py")]:
        text = path.read_text()
        if "record_event" not in text or path.name == "labels.py":
            continue
        found.update(re.findall(r'record_event\(\s*\w+,\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', text))
        for pair in re.findall(r'event_type = "([a-z_]+\.[a-z_]+)" if .+ else "([a-z_]+\.[a-z_]+)"', text):
            found.update(pair)
    return found


def test_every_event_type_the_code_writes_has_a_label():
    written = _types_written_in_code()
    assert len(written) > 30  # the scan found the calls
    assert sorted(written - EVENT_LABELS.keys()) == []


def test_the_address_types_made_from_the_kind_have_labels():
    assert event_label("address.physical_changed") == "Physical address changed"
    assert event_label("address.mailing_changed") == "Mailing address changed"


@pytest.mark.parametrize(
    ("event_type", "label"),
    [
        ("employer.deleted", "Employer deleted"),
        ("opt.approved", "OPT approved"),
        ("account.locked", "Portal account locked"),
        ("widget.frobbed_twice", "Widget: frobbed twice"),
        ("widget", "Widget"),
        ("", "Event"),
        ("._", "Event"),
    ],
)
def test_known_types_read_as_their_label_and_unknown_ones_as_words(event_type, label):
    assert event_label(event_type) == label


def _enums_in(module) -> list[type[Enum]]:
    return [
        item
        for item in vars(module).values()
        if isinstance(item, type) and issubclass(item, Enum) and item.__module__ == module.__name__
    ]


@pytest.mark.parametrize(
    "enum", [*_enums_in(enums), timeline.OptState, timeline.EmploymentState], ids=lambda enum: enum.__name__
)
def test_every_member_of_every_enum_has_words_in_the_table(enum):
    assert enum in LABELS, f"{enum.__name__} has no labels"
    missing = [member for member in enum if member not in LABELS[enum]]
    assert missing == []
    assert all("_" not in label(member) for member in enum)


def test_every_field_an_event_records_has_a_label():
    written = set()
    for path in [*ROOT.joinpath("portal").rglob("*.py"), *ROOT.joinpath("dso_admin").rglob("*.py")]:
        text = path.read_text()
        for side in re.findall(r"(?:before|after)=\{([^}]*)\}", text):
            written.update(re.findall(r'"([a-z_0-9]+)":', side))
    written.update(Employer.SNAPSHOT_FIELDS)
    assert len(written) > 30  # the scan found the calls
    assert sorted(written - FIELD_LABELS.keys() - {"id"}) == []


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        (None, "city", ""),
        (True, "self_employed", "Yes"),
        (False, "self_employed", "No"),
        ("full_time", "employment_time", "Full time"),
        (EmploymentTime.PART_TIME, None, "Part time"),
        ("not_needed", "review_status", "Not needed"),
        ("principal_dso", "role", "Principal school official"),
        ("2027-09-07", "start_date", "September 7, 2027"),
        (date(2027, 9, 7), "start_date", "September 7, 2027"),
        ("2027-09-07T14:03:00+00:00", "link_expires_at", "September 7, 2027"),
        ("NH", "state", "New Hampshire"),
        ("6175550100", "phone", "(617) 555-0100"),
        ("report_receipt", "template", "Receipt for a report"),
        ("ead_card", "kind", "EAD card"),
        ("physical", "kind", "Physical address"),
        ("Acme", "name", "Acme"),
        (3, "size_bytes", "3"),
        ("no_such_value", "employment_time", "no_such_value"),  # kept as recorded, never an error
    ],
)
def test_values_read_as_words(value, field, words):
    assert value_words(value, field) == words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("line1", "Street address"),
        ("employment_time", "Full or part time"),
        ("self_employed", "Self-employed"),
        ("some_new_field", "Some new field"),
    ],
)
def test_field_names_read_as_words(name, words):
    assert field_label(name) == words


def test_document_kinds_and_email_templates_read_as_words():
    assert [document_label(kind) for kind in DocumentKind] == [LABELS[DocumentKind][kind] for kind in DocumentKind]
    assert document_label("nonsense") == "Document"
    assert all("_" not in template_title(name) for name in CATALOG)
