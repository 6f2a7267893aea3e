#!/usr/bin/env python3
"""Known-vulnerability audits of the locked dependencies: pip-audit on constraints.txt, npm audit on package-lock.json.

Each audit ends in one of three states, printed on one line:

  CLEAN       the vulnerability service answered and found nothing (beyond IGNORED below)
  VULNERABLE  it found something: the audit fails (exit 1)
  UNVERIFIED  the service could not be reached from this machine (no internet, a registry proxy
              that refuses the audit endpoint): nothing is claimed either way. This does not fail
              the run unless PORTAL_AUDIT_REQUIRED=1 (set it on a CI runner with internet access).

When pip-audit cannot reach its service (here the registry proxy answers 404 for PyPI's per-version JSON,
https://pypi.org/pypi/<name>/<version>/json, and OSV does not resolve), a fallback reads PyPI's project
JSON (https://pypi.org/pypi/<name>/json), whose `vulnerabilities` are those of the project's latest
release: a package pinned at its latest release is audited from that list; any other pin is named as
not audited, and the state stays UNVERIFIED for it.

Usage: python scripts/security_audit.py [pip|npm ...]
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Advisories we accept, each with the reason. Keep it empty unless a fix is impossible and the
# vulnerable code path is not used; name the advisory id (GHSA-/PYSEC-/CVE-) and why.
IGNORED: dict[str, str] = {}


def pip_audit() -> tuple[str, str]:
    """Audit exactly the pinned versions in constraints.txt (no resolution, no pip)."""
    command = [
        str(BIN / "pip-audit"),
        "--requirement",
        str(ROOT / "constraints.txt"),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        return "UNVERIFIED", "pip-audit is not installed (make install adds it)"
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies", [])
    if not dependencies or all(d.get("skip_reason") for d in dependencies):
        skipped = [d["skip_reason"] for d in dependencies if d.get("skip_reason")]
        reason = (skipped or result.stderr.strip().splitlines() or ["no output"])[-1]
        state, detail = pypi_latest_release_audit(locked_pins())
        return state, f"pip-audit could not reach its service ({reason[:120]}); fallback: {detail}"
    vulnerable = [(d["name"], d["version"], v["id"]) for d in dependencies for v in d.get("vulns", [])]
    if vulnerable:
        listed = ", ".join(f"{name} {version} ({advisory})" for name, version, advisory in vulnerable)
        return "VULNERABLE", f"known vulnerabilities in locked Python packages: {listed}"
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if len(skipped) == len(dependencies):
        sample = skipped[0]["skip_reason"]
        return "UNVERIFIED", (
            f"pip-audit could not audit any of the {len(dependencies)} locked packages: "
            f"the vulnerability service did not answer for them (e.g. {sample!r})"
        )
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        return (
            "UNVERIFIED",
            f"audited {len(dependencies) - len(skipped)} packages, none vulnerable; not audited: {names}",
        )
    return "CLEAN", f"no known vulnerabilities in {len(dependencies)} locked Python packages"


def locked_pins() -> dict[str, str]:
    """name -> version for every `name==version` line of constraints.txt."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


def _project_json(name: str) -> dict | None:
    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (a fixed https URL)
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
        return None


def why_not_latest(latest: str, requires_python: str | None) -> str:
    """Why a pin is behind: the latest release needs a newer Python only when its requires_python excludes this one."""
    running = platform.python_version()
    if requires_python and not _python_allowed(running, requires_python):
        return f"latest {latest} needs Python {requires_python}; this is Python {running}"
    return f"not the latest release, {latest}"


def _python_allowed(version: str, requires_python: str) -> bool:
    """Whether `version` satisfies a requires_python specifier; a specifier we cannot read excludes nothing."""
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # packaging comes with pip-audit; without it we cannot tell, so claim nothing
        return True
    try:
        return SpecifierSet(requires_python).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


def pypi_latest_release_audit(pins: dict[str, str]) -> tuple[str, str]:
    """Audit pins that are their project's latest release from PyPI's project JSON; name the others."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        projects = dict(zip(pins, pool.map(_project_json, pins), strict=True))
    unreachable = [name for name, project in projects.items() if project is None]
    if len(unreachable) == len(pins):
        return "UNVERIFIED", "PyPI's project JSON did not answer either"
    vulnerable, not_latest = [], []
    for name, project in projects.items():
        if project is None:
            continue
        latest = project["info"]["version"]
        if latest != pins[name]:
            not_latest.append(f"{name} {pins[name]} ({why_not_latest(latest, project['info'].get('requires_python'))})")
            continue
        for advisory in project.get("vulnerabilities", []):
            names = {advisory.get("id"), *advisory.get("aliases", [])}
            if not advisory.get("withdrawn") and not names & IGNORED.keys():
                vulnerable.append(f"{name} {pins[name]} ({advisory.get('id')}, fixed in {advisory.get('fixed_in')})")
    audited = len(pins) - len(unreachable) - len(not_latest)
    if vulnerable:
        return "VULNERABLE", f"known vulnerabilities in locked Python packages: {', '.join(vulnerable)}"
    unaudited = not_latest + [f"{name} (no answer)" for name in unreachable]
    if unaudited:
        return "UNVERIFIED", (
            f"{audited} of {len(pins)} locked packages are their latest release with no known "
            f"vulnerability; not audited: {'; '.join(unaudited)}"
        )
    return "CLEAN", f"all {len(pins)} locked packages are their latest release, with no known vulnerability"


def npm_freshness() -> str:
    """How many locked front-end packages are the newest release of their major line (a fact, not a claim of safety)."""
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = {path.split("node_modules/")[-1]: entry["version"] for path, entry in lock["packages"].items() if path}

    def newest_same_major(name: str) -> str | None:
        request = urllib.request.Request(
            f"https://registry.npmjs.org/{name}",  # abbreviated metadata
            headers={"Accept": "application/vnd.npm.install-v1+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (a fixed https URL)
                versions = json.load(response).get("versions", {})
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
            return None
        major = locked[name].split(".")[0]
        releases = [v for v in versions if v.split(".")[0] == major and "-" not in v]
        return max(releases, key=lambda v: tuple(int(part) for part in v.split(".")), default=None)

    with ThreadPoolExecutor(max_workers=8) as pool:
        newest = dict(zip(locked, pool.map(newest_same_major, locked), strict=True))
    behind = [
        f"{name} {version} (newest {newest[name]})" for name, version in locked.items() if newest[name] != version
    ]
    if not behind:
        return f"all {len(locked)} locked packages are the newest release of their major version"
    return (
        f"{len(locked) - len(behind)} of {len(locked)} locked packages are the newest release of their major "
        f"version; behind: {', '.join(behind)}"
    )


def npm_audit() -> tuple[str, str]:
    """npm audit of package-lock.json: the production front-end packages (the dev ones, Lighthouse, only run tests)."""
    npm = shutil.which("npm")
    if npm is None:
        return "UNVERIFIED", "npm is not installed"
    result = subprocess.run(
        [npm, "audit", "--json", "--package-lock-only", "--omit=dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    if "error" in report or "message" in report and "metadata" not in report:
        error = report.get("error") or {}
        message = report.get("message") or error.get("summary") or (result.stderr.strip().splitlines() or ["?"])[-1]
        return "UNVERIFIED", f"npm audit could not reach the advisory service: {message[:200]}; {npm_freshness()}"
    found = {
        name: advisory
        for name, advisory in report.get("vulnerabilities", {}).items()
        if not all(
            isinstance(v, dict) and str(v.get("url", "")).rsplit("/", 1)[-1] in IGNORED for v in advisory.get("via", [])
        )
    }
    if found:
        listed = ", ".join(f"{name} ({advisory.get('severity')})" for name, advisory in found.items())
        return "VULNERABLE", f"known vulnerabilities in front-end packages: {listed}"
    if "metadata" not in report:
        return "UNVERIFIED", f"npm audit gave no report (exit {result.returncode})"
    total = report["metadata"].get("dependencies", {}).get("total", "?")
    return "CLEAN", f"no known vulnerabilities in {total} front-end packages"


AUDITS = {"pip": pip_audit, "npm": npm_audit}


def main(argv: list[str]) -> int:
    required = os.environ.get("PORTAL_AUDIT_REQUIRED", "") in {"1", "true", "yes"}
    names = argv or list(AUDITS)
    failed = False
    for name in names:
        state, detail = AUDITS[name]()
        print(f"{name}-audit: {state}: {detail}", flush=True)
        if state == "VULNERABLE" or (state == "UNVERIFIED" and required):
            failed = True
        if state == "UNVERIFIED" and not required:
            print(
                f"{name}-audit: WARNING: no vulnerability claim is made for the packages not audited here; "
                "run `make security` where the service is reachable (PORTAL_AUDIT_REQUIRED=1 makes this fatal)."
            )
    for advisory, reason in IGNORED.items():
        print(f"ignored {advisory}: {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
