"""Event labels: every event type the code writes has words; an unknown type still reads as words."""

import re
from pathlib import Path

import pytest

from portal.services.labels import EVENT_LABELS, event_label

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


@pytest.mark.parametrize(("event_type", "label"), [
    ("employer.deleted", "Employer deleted"),
    ("opt.approved", "OPT approved"),
    ("account.locked", "Portal account locked"),
    ("widget.frobbed_twice", "Widget: frobbed twice"),
    ("widget", "Widget"),
    ("", "Event"),
    ("._", "Event"),
])  # fmt: skip
def test_known_types_read_as_their_label_and_unknown_ones_as_words(event_type, label):
    assert event_label(event_type) == label
