"""The dependency audit's fallback (scripts/security_audit.py): PyPI's project JSON lists the vulnerabilities
of the latest release only, so only pins at their latest release may be called audited."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "security_audit.py"
RUNNING = sys.version_info
NEXT_PYTHON = f">={RUNNING[0]}.{RUNNING[1] + 1}"  # a requires_python that excludes the Python running the tests


@pytest.fixture()
def audit(monkeypatch):
    spec = importlib.util.spec_from_file_location("security_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project(version: str, *vulnerabilities: dict, requires_python: str | None = None) -> dict:
    return {"info": {"version": version, "requires_python": requires_python}, "vulnerabilities": list(vulnerabilities)}


def advisory(identifier: str, *aliases: str, withdrawn: str | None = None) -> dict:
    return {"id": identifier, "aliases": list(aliases), "fixed_in": ["9.9"], "withdrawn": withdrawn}


def answer(monkeypatch, audit, projects: dict) -> None:
    monkeypatch.setattr(audit, "_project_json", lambda name: projects.get(name))


def test_pins_at_their_latest_release_without_advisories_are_clean(monkeypatch, audit):
    answer(monkeypatch, audit, {"flask": project("3.1.3"), "jinja2": project("3.1.6")})

    state, detail = audit.pypi_latest_release_audit({"flask": "3.1.3", "jinja2": "3.1.6"})

    assert state == "CLEAN"
    assert "all 2 locked packages" in detail


def test_an_advisory_on_the_pinned_latest_release_fails_the_audit(monkeypatch, audit):
    answer(monkeypatch, audit, {"ecdsa": project("0.19.2", advisory("GHSA-wj6h-64fc-37mp", "CVE-2024-23342"))})

    state, detail = audit.pypi_latest_release_audit({"ecdsa": "0.19.2"})

    assert state == "VULNERABLE"
    assert "ecdsa 0.19.2 (GHSA-wj6h-64fc-37mp" in detail


def test_withdrawn_and_ignored_advisories_do_not_count(monkeypatch, audit):
    answer(
        monkeypatch,
        audit,
        {
            "a": project("1.0", advisory("GHSA-x", withdrawn="2026-01-01")),
            "b": project("2.0", advisory("PYSEC-1", "CVE-1")),
        },
    )
    monkeypatch.setitem(audit.IGNORED, "CVE-1", "not reachable from our code")

    state, _detail = audit.pypi_latest_release_audit({"a": "1.0", "b": "2.0"})

    assert state == "CLEAN"


def test_an_older_pin_is_named_unaudited_even_when_the_latest_release_is_clean(monkeypatch, audit):
    answer(monkeypatch, audit, {"deprecated": project("3.0.1", requires_python=NEXT_PYTHON), "flask": project("3.1.3")})

    state, detail = audit.pypi_latest_release_audit({"deprecated": "1.3.1", "flask": "3.1.3"})

    assert state == "UNVERIFIED"
    assert "1 of 2 locked packages" in detail
    assert "Deprecated 1.3.1".lower() in detail.lower() and f"needs Python {NEXT_PYTHON}" in detail


@pytest.mark.parametrize("requires_python", [None, "", ">=3.7", f">={RUNNING[0]}.{RUNNING[1]}", "not a specifier"])
def test_an_older_pin_whose_latest_release_runs_here_is_only_called_not_the_latest(monkeypatch, audit, requires_python):
    answer(monkeypatch, audit, {"alembic": project("1.18.0", requires_python=requires_python)})

    state, detail = audit.pypi_latest_release_audit({"alembic": "1.17.2"})

    assert state == "UNVERIFIED"
    assert "alembic 1.17.2 (not the latest release, 1.18.0)" in detail
    assert "needs Python" not in detail


def test_no_answer_at_all_claims_nothing(monkeypatch, audit):
    answer(monkeypatch, audit, {})

    state, _detail = audit.pypi_latest_release_audit({"flask": "3.1.3"})

    assert state == "UNVERIFIED"


def test_locked_pins_read_every_pinned_line_of_constraints(audit):
    pins = audit.locked_pins()

    assert pins["Flask"].count(".") >= 1
    assert all(version and " " not in version for version in pins.values())
