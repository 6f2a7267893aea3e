"""docs/rules.md names the tests that pin each rule: every test it names must exist, so the document cannot drift."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)")


def test_every_test_the_rules_name_exists():
    text = (ROOT / "docs" / "rules.md").read_text()
    references = REFERENCE.findall(text)
    assert len(references) > 50
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (ROOT / path).is_file() or not re.search(rf"^(async )?def {name}\b", (ROOT / path).read_text(), re.M)
    ]
    assert missing == []


def test_every_numbered_rule_is_stated_once():
    headings = re.findall(r"^### (\d+)\. ", (ROOT / "docs" / "rules.md").read_text(), re.M)
    assert sorted(int(number) for number in headings) == list(range(1, 19))
