"""The sign-in storm's pure parts (bench/storm.py): percentiles, the limit, one student's steps, the level's summary
and the table bench.report renders from it. The storm itself runs in `make bench` and `python -m bench.storm`."""

import json

import pytest
from _argon2_cffi_bindings import ffi, lib
from argon2 import PasswordHasher, low_level

from bench import report, storm
from bench.client import Response
from bench.seed import _opt_age_days, storm_emails, storm_indexes

CONFIGURED = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([7.0], 99, 7.0),
        ([3.0, 1.0, 2.0], 50, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),  # nearest rank: the smallest with half the values at or below it
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 100, 100),
        (list(range(1, 1001)), 99, 990),
        ([5.0, 900.0], 99, 900.0),  # two values: the slow one is the p99
    ],
)
def test_percentile_is_the_nearest_rank(values, q, expected):
    assert storm.percentile(values, q) == expected


def test_the_limit_is_hashes_per_second_over_the_hashes_one_student_needs():
    assert storm.storm_limit(110.0, 11) == 10.0
    assert storm.storm_limit(110.0, 5.5) == 20.0  # a shallower or cheaper history raises the limit
    with pytest.raises(ValueError, match="at least one hash"):
        storm.storm_limit(110.0, 0)


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "weight"),
    [(2, 19456, 1.0), (1, 19456, 0.5), (2, 4864, 0.25), (4, 19456, 2.0)],
)
def test_a_hash_weighs_its_passes_times_memory_beside_the_configured_one(time_cost, memory_cost, weight):
    assert storm.hash_weight(time_cost, memory_cost, CONFIGURED) == weight


def test_the_counting_library_weighs_every_argon2_call_and_still_hashes():
    """What _count wraps around argon2's C library: a verify with cheaper parameters counts for less."""
    counting = storm._CountingLib(lib, ffi, CONFIGURED)
    cheap = PasswordHasher(time_cost=1, memory_cost=19456, parallelism=1).hash("an old password")
    low_level.lib = counting
    try:
        full = PasswordHasher(**CONFIGURED).hash("a new password")
        assert PasswordHasher(**CONFIGURED).verify(full, "a new password")
        assert PasswordHasher(**CONFIGURED).verify(cheap, "an old password")
    finally:
        low_level.lib = counting._lib
    assert counting.calls == [("hash", 1.0), ("verify", 1.0), ("verify", 0.5)]


class FakeServer:
    """Answers the storm's four requests from a script of statuses, keyed by step; records every request."""

    def __init__(self, script: dict[tuple[str, str], list]) -> None:
        self.script = {key: list(answers) for key, answers in script.items()}
        self.seen: list[tuple[str, str, dict | None]] = []

    def request(self, method, path, data=None, *, timeout):
        self.seen.append((method, path, data))
        answers = self.script.get((method, path), [])
        answer = answers.pop(0) if len(answers) > 1 else (answers[0] if answers else 200)
        if isinstance(answer, BaseException):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        body = b'<meta name="csrf-token" content="tok-' + path.encode() + b'">'
        return Response(status, path, headers, body)


def test_a_student_signs_in_and_changes_the_password_through_four_requests_with_their_csrf_tokens():
    server = FakeServer({("POST", "/"): [302], ("POST", "/password/change"): [303]})

    outcome = storm.storm_student(server, "s@bench.example.edu", "old pass", new_password="new pass", sleep=None)

    assert outcome.completed and outcome.ended_by == ""
    assert [(method, path) for method, path, _data in server.seen] == [
        ("GET", "/"),
        ("POST", "/"),
        ("GET", "/password/change"),
        ("POST", "/password/change"),
    ]
    assert server.seen[1][2] == {"email": "s@bench.example.edu", "password": "old pass", "csrf_token": "tok-/"}
    assert server.seen[3][2] == {
        "current_password": "old pass",
        "password": "new pass",
        "confirm": "new pass",
        "csrf_token": "tok-/password/change",
    }
    assert [(step, status) for step, _ms, status in outcome.requests] == [
        ("GET sign-in", "200"),
        ("POST sign-in", "302"),
        ("GET change form", "200"),
        ("POST new password", "303"),
    ]


def test_a_refused_student_waits_what_retry_after_says_and_tries_the_same_step_again():
    waits = []
    refused = (503, {"retry-after": "4"})
    server = FakeServer({("POST", "/"): [refused, refused, 302], ("POST", "/password/change"): [302]})

    outcome = storm.storm_student(server, "s@x", "old", sleep=waits.append)

    assert outcome.completed
    assert waits == [4.0, 4.0]
    assert [status for step, _ms, status in outcome.requests if step == "POST sign-in"] == [
        "503 Retry-After",
        "503 Retry-After",
        "302",
    ]


@pytest.mark.parametrize(
    ("answer", "ended_by", "status"),
    [
        (503, "POST new password: HTTP 503", "503"),  # a 503 without Retry-After is not retried
        (500, "POST new password: HTTP 500", "500"),
        (422, "POST new password: HTTP 422", "422"),
        (TimeoutError("timed out"), "timeout", "timeout"),
        (ConnectionResetError(), "connection: ConnectionResetError", "connection: ConnectionResetError"),
    ],
)
def test_a_failed_step_ends_the_student_and_says_how(answer, ended_by, status):
    server = FakeServer({("POST", "/"): [302], ("POST", "/password/change"): [answer]})

    outcome = storm.storm_student(server, "s@x", "old", sleep=None)

    assert not outcome.completed
    assert outcome.ended_by == ended_by
    assert outcome.requests[-1][0] == "POST new password" and outcome.requests[-1][2] == status


def test_a_student_refused_too_often_gives_up():
    server = FakeServer({("POST", "/"): [(503, {"Retry-After": "1"})]})

    outcome = storm.storm_student(server, "s@x", "old", sleep=lambda _seconds: None)

    assert not outcome.completed and outcome.ended_by == "gave up after 503s"
    assert len(outcome.requests) == 1 + storm.MOST_REFUSALS + 1


def _outcome(*requests, completed=True, ended_by=""):
    return storm.Outcome("s@x", list(requests), completed=completed, ended_by=ended_by)


def test_a_level_counts_completed_changes_per_second_and_errors_by_kind():
    outcomes = [
        _outcome(("GET sign-in", 10.0, "200"), ("POST sign-in", 40.0, "302"), ("POST new password", 200.0, "303")),
        _outcome(
            ("GET sign-in", 30.0, "200"),
            ("POST sign-in", 1.0, "503 Retry-After"),
            ("POST sign-in", 60.0, "302"),
            ("POST new password", 400.0, "302"),
        ),
        _outcome(("GET sign-in", 20.0, "200"), ("POST sign-in", 5.0, "503"), completed=False, ended_by="x"),
        _outcome(("GET sign-in", 30000.0, "timeout"), completed=False, ended_by="timeout"),
        _outcome(("GET sign-in", 9.0, "200"), ("POST sign-in", 50.0, "403"), completed=False, ended_by="x"),
        _outcome(("GET sign-in", 9.0, "connection: ConnectionResetError"), completed=False, ended_by="x"),
    ]

    level = storm.summarize_level(outcomes, seconds=4.0, clients=8)

    assert (level["students"], level["completed"], level["changes_per_second"]) == (6, 2, 0.5)
    assert level["errors"] == {
        "refused_503_retry_after": 1,
        "refused_503_without_retry_after": 1,
        "timeouts": 1,
        "other": {"POST sign-in: HTTP 403": 1, "connection: ConnectionResetError": 1},
    }
    # Percentiles over served answers only: the refusal's 1 ms and the timeout's 30 s are counted, not timed.
    assert level["steps"]["GET sign-in"]["p99_ms"] == 30.0
    assert level["steps"]["POST sign-in"] == {
        "requests": 5,
        "p50_ms": 50.0,
        "p99_ms": 60.0,
        "statuses": {"302": 2, "403": 1, "503": 1, "503 Retry-After": 1},
    }
    assert level["steps"]["GET change form"]["p50_ms"] is None


def at_4x(no_timeouts: bool, no_half_done: bool, refused_only_with_503_retry_after: bool) -> dict:
    return {
        "no_timeouts": no_timeouts,
        "no_half_done": no_half_done,
        "refused_only_with_503_retry_after": refused_only_with_503_retry_after,
    }


@pytest.mark.parametrize(
    ("multiple", "share", "errors", "half", "expected"),
    [
        (1, 0.8, {}, 0, {"share_of_limit": True}),
        (2, 0.79, {}, 0, {"share_of_limit": False}),
        (4, 0.1, {"refused_503_retry_after": 40}, 0, at_4x(True, True, True)),
        (4, 0.9, {"timeouts": 1}, 0, at_4x(False, True, True)),
        (4, 0.9, {}, 1, at_4x(True, False, True)),
        (4, 0.9, {"refused_503_without_retry_after": 1}, 0, at_4x(True, True, False)),
        (4, 0.9, {"other": {"POST sign-in: HTTP 502": 1}}, 0, at_4x(True, True, False)),
    ],
)
def test_the_budget_is_the_share_of_the_limit_below_4x_and_no_collapse_at_4x(multiple, share, errors, half, expected):
    no_errors = {"refused_503_retry_after": 0, "refused_503_without_retry_after": 0, "timeouts": 0, "other": {}}
    level = {
        "share_of_limit": share,
        "errors": {**no_errors, **errors},
        "half_done": {"changed_without_session": 0, "session_without_change": half},
    }
    assert storm.level_budget(multiple, level) == expected


def test_storm_students_are_distinct_and_their_opt_still_runs():
    emails = storm_emails(600)
    assert len(set(emails)) == 600 and "student1@bench.example.edu" not in emails
    assert all(_opt_age_days(index + 1) < 364 for index in storm_indexes(600))


def _storm_result():
    step = {"requests": 40, "p50_ms": 12.3, "p99_ms": 456.7, "statuses": {"200": 40}}
    empty = {"requests": 0, "p50_ms": None, "p99_ms": None, "statuses": {}}
    no_errors = {"refused_503_retry_after": 0, "refused_503_without_retry_after": 0, "timeouts": 0, "other": {}}
    levels = [
        {
            "multiple": 1,
            "clients": 8,
            "changes_per_second": 8.5,
            "share_of_limit": 0.85,
            "steps": dict.fromkeys(storm.STEPS, step),
            "errors": no_errors,
            "half_done": {"changed_without_session": 0, "session_without_change": 0},
            "within_budget": {"share_of_limit": True},
        },
        {
            "multiple": 4,
            "clients": 32,
            "changes_per_second": 7.25,
            "share_of_limit": 0.725,
            "steps": {**dict.fromkeys(storm.STEPS, step), "GET change form": empty},
            "errors": {
                "refused_503_retry_after": 17,
                "refused_503_without_retry_after": 2,
                "timeouts": 3,
                "other": {"POST sign-in: HTTP 502": 1},
            },
            "half_done": {"changed_without_session": 0, "session_without_change": 4},
            "within_budget": {"no_timeouts": False, "no_half_done": False, "refused_only_with_503_retry_after": False},
        },
    ]
    return {
        "capacity": 8,
        "cores": 2,
        "students_per_level": 40,
        "argon2": CONFIGURED,
        "hashes_per_student": 11.0,
        "argon2_hashes_per_second": 110.0,
        "limit_changes_per_second": 10.0,
        "budgets": {"share_of_limit_min": 0.8, "request_timeout_s": 30.0},
        "levels": levels,
    }


def test_the_storm_table_shows_each_level_against_the_limit_and_names_what_went_wrong():
    lines = report.storm_table(_storm_result())
    text = "\n".join(lines)

    assert "110 argon2 hashes/s on 2 cores (t=2, m=19456 KiB) / 11 hashes per student = 10 changes/s" in text
    assert "1x = 8 clients; 40 fresh students per level" in text
    one, four = (line for line in lines if line.startswith(("| 1x", "| 4x")))
    assert [cell.strip() for cell in one.strip("|").split("|")] == [
        "1x (8)",
        "8.50",
        "85%",
        *["12 / 457"] * 4,
        "0",
        "0",
        "0",
        "0",
        "ok",
    ]
    assert [cell.strip() for cell in four.strip("|").split("|")] == [
        "4x (32)",
        "7.25",
        "72%",
        "12 / 457",
        "12 / 457",
        "-",
        "12 / 457",
        "17",
        "3",
        "3",
        "4",
        "MISS no_timeouts,no_half_done,refused_only_with_503_retry_after",
    ]
    assert "4x: 503 without Retry-After x2; POST sign-in: HTTP 502 x1; session without change x4" in lines


def test_a_storm_results_file_renders_alone_and_inside_make_bench_s_table():
    alone = {
        "database": "postgresql",
        "gunicorn": {"workers": 2, "worker_class": "gthread", "threads": 4},
        "machine": {"cpus": 2},
        "command": "python -m bench.storm --students 40",
        "generated_at": "2025-01-01T00:00:00+00:00",
        "git_commit": "abc1234",
        "storm": _storm_result(),
    }
    rendered = report.markdown(alone)
    assert rendered.startswith("OPT Portal sign-in storm · postgresql · gunicorn 2 workers (gthread x4) · 2 CPUs\n")
    assert "| 4x (32)" in rendered and "(commit abc1234)" in rendered

    with_storm = {**json.loads(report.LATEST.read_text()), "storm": _storm_result()}
    assert "\n".join(report.storm_table(_storm_result())) in report.table(with_storm)
