"""Bulk onboarding: the CSV is read or refused on the file field, every row's problems are found without writing, the
job applies a chunk of rows per call (a refused row leaves nothing behind), and the report is safe to open."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.models import Event, Student
from portal.models.enums import EducationLevel, OptKind
from portal.services import onboarding
from portal.services.errors import InvalidValue, NotFound, RuleBroken
from portal.services.onboarding import (
    COLUMNS,
    CsvRow,
    apply_next_rows,
    check_rows,
    load_job,
    read_csv,
    report_csv,
    start_job,
)
from tests.support.onboarding import HEADER, good_row, line


def numbered(*rows: dict) -> list[CsvRow]:
    """Rows as read from a file with no blank line and no value over two lines: row n on line n + 1."""
    return [CsvRow(number, row) for number, row in enumerate(rows, start=2)]


# --- read_csv ---------------------------------------------------------------------------------------------------


def test_read_csv_gives_the_rows_with_header_names_and_values_trimmed_and_unknown_columns_dropped():
    text = (
        "\ufeff SEVIS_ID ,Surname,Email,Education_Level,Program_Start,Program_End,Notes\r\n"
        " N6600000001 , Li ,li@example.edu,masters,2024-08-20,2026-05-15,call her\r\n"
        "N6600000002,Ng,ng@example.edu,bachelors,2023-01-09,2026-12-18,\r\n"
    )
    assert read_csv(text.encode()) == numbered(
        {
            "sevis_id": "N6600000001",
            "surname": "Li",
            "email": "li@example.edu",
            "education_level": "masters",
            "program_start": "2024-08-20",
            "program_end": "2026-05-15",
        },
        {
            "sevis_id": "N6600000002",
            "surname": "Ng",
            "email": "ng@example.edu",
            "education_level": "bachelors",
            "program_start": "2023-01-09",
            "program_end": "2026-12-18",
        },
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x" * (2 * 1024 * 1024 + 1), "The file is larger than 2 MB; split it."),
        (b"\xff\xfe\x00bad", "The file is not UTF-8. In your spreadsheet choose Save As, CSV UTF-8."),
        (
            HEADER.encode() + b"\n\x00\n",
            "The file is not a CSV text file: line 2 holds a NUL character. "
            "In your spreadsheet choose Save As, CSV UTF-8.",
        ),
        (
            b"sevis_id,surname\nN6600000001,Li\n",
            'The first line must name the columns, typed as shown in quotes; missing: "email" (Email address), '
            '"education_level" (Education level), "program_start" (Program start date), "program_end" (Program end '
            'date). The columns are "sevis_id", "surname", "given_name", "email", "education_level", '
            '"program_start", "program_end", "major", "opt_kind", "opt_start", "opt_end".',
        ),
        (
            b"",
            'The first line must name the columns, typed as shown in quotes; missing: "sevis_id" (SEVIS ID), '
            '"surname" (Surname), "email" (Email address), ',
        ),
        (HEADER.encode() + b"\n", "The file has a header but no students."),
        (
            HEADER.encode() + b'\n"unterminated,row\n',
            'Line 2 of the file cannot be read: a quote (") opens a value there and is never closed. '
            "Close the quote or remove it.",
        ),
        (
            (HEADER + "\n" + "".join(line(good_row(n)) + "\n" for n in range(5001))).encode(),
            "At most 5000 students per file; split it.",
        ),
    ],
    ids=["too-large", "not-utf8", "nul-byte", "missing-columns", "empty", "no-rows", "malformed", "too-many-rows"],
)
def test_read_csv_refuses_a_file_it_cannot_use_with_a_message_on_the_file_field(data, message):
    with pytest.raises(InvalidValue) as refused:
        read_csv(data)
    assert refused.value.message.startswith(message)
    assert refused.value.field == "file"


GOOD = [line(good_row(n)) for n in range(1, 4)]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [HEADER, GOOD[0], GOOD[1], '"N6600000009,Li', GOOD[2], GOOD[2]],
            'Line 4 of the file cannot be read: a quote (") opens a value there and is never closed. '
            "Close the quote or remove it.",
        ),
        (
            [HEADER, GOOD[0], GOOD[1], '"N66"00000009,Li', GOOD[2]],
            'Line 4 of the file cannot be read: a value has text after its closing quote ("). '
            "Quote the whole value, or remove the quotes.",
        ),
        (
            [HEADER, GOOD[0], "", '"N66"00000009,Li', GOOD[2]],
            'Line 4 of the file cannot be read: a value has text after its closing quote ("). '
            "Quote the whole value, or remove the quotes.",
        ),
        (
            [HEADER, line(good_row(1, major='"Data\nScience"')), '"N6600000009,Li', GOOD[2]],
            'Line 4 of the file cannot be read: a quote (") opens a value there and is never closed. '
            "Close the quote or remove it.",
        ),
        (
            [HEADER, GOOD[0], GOOD[1], '"' + "x" * 140_000, GOOD[2]],
            'Line 4 of the file cannot be read: a value there is too long, usually because a quote (") is never '
            "closed.",
        ),
        (
            [HEADER, GOOD[0], GOOD[1], "N66\x0000000009,Li", GOOD[2]],
            "The file is not a CSV text file: line 4 holds a NUL character. "
            "In your spreadsheet choose Save As, CSV UTF-8.",
        ),
    ],
    ids=["quote-never-closed", "text-after-quote", "after-a-blank-line", "after-a-two-line-value", "too-long", "nul"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_csv_names_the_line_where_the_unreadable_row_starts_in_words(lines, message, newline):
    with pytest.raises(InvalidValue) as refused:
        read_csv(newline.join(lines).encode() + newline.encode())
    assert refused.value.message == message
    assert refused.value.field == "file"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_csv_skips_blank_lines_keeps_a_quoted_value_over_two_lines_and_notes_the_line_each_row_starts_on(
    newline,
):
    lines = [HEADER, line(good_row(1, major='"Data' + newline + 'Science"')), "", line(good_row(2)), line(good_row(3))]
    rows = read_csv((newline.join(lines) + newline).encode())
    assert [(row.line, row.values["sevis_id"], row.values["major"]) for row in rows] == [
        (2, "N6600000001", "Data" + newline + "Science"),  # lines 2 and 3
        (5, "N6600000002", "Data"),  # after the blank line 4
        (6, "N6600000003", "Data"),
    ]


def test_read_csv_takes_exactly_the_largest_allowed_file():
    rows = read_csv((HEADER + "\n" + "".join(line(good_row(n)) + "\n" for n in range(5000))).encode())
    assert len(rows) == 5000


# --- check_rows -------------------------------------------------------------------------------------------------

# What a DSO is told to type, in quotes, beside the words.
LEVELS = (
    'use one of "associate" (Associate\'s), "bachelors" (Bachelor\'s), "masters" (Master\'s), '
    '"doctorate" (Doctorate), "language" (Language training) or "other" (Other).'
)
KINDS = 'use "post_completion" (Post-completion OPT) or "stem" (STEM OPT).'


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({}, []),
        ({"opt_kind": "", "opt_start": "", "opt_end": ""}, []),
        ({"surname": ""}, ["Surname: required."]),
        ({"sevis_id": "", "email": ""}, ["SEVIS ID: required.", "Email address: required."]),
        (
            {"sevis_id": "X1"},
            ["SEVIS ID: A SEVIS ID is the letter N followed by 10 digits, for example N0012345678."],
        ),
        ({"email": "not-an-email"}, ["Email address: Enter an email address like name@example.edu."]),
        (
            {"given_name": "An\x01a"},
            ["A value is written over more than one line or holds a control character; keep each on one line."],
        ),
        ({"surname": "x" * 41}, ["Names are at most 40 characters."]),
        ({"given_name": "x" * 41}, ["Names are at most 40 characters."]),
        (
            {"education_level": "phd"},
            ["Education level: phd is not one of the choices; " + LEVELS],
        ),
        (
            {"education_level": "", "program_start": ""},
            [
                "Education level: required; " + LEVELS,
                "Program start date: required; use YYYY-MM-DD.",
            ],
        ),
        ({"program_start": "08/20/2024"}, ["Program start date: 08/20/2024 is not a date; use YYYY-MM-DD."]),
        ({"program_start": "2024-13-01"}, ["Program start date: 2024-13-01 is not a date; use YYYY-MM-DD."]),
        ({"program_end": "2026-02-30"}, ["Program end date: 2026-02-30 is not a date; use YYYY-MM-DD."]),
        ({"program_start": "20240820"}, ["Program start date: 20240820 is not a date; use YYYY-MM-DD."]),
        ({"opt_start": "2026-W23-1"}, ["OPT start date: 2026-W23-1 is not a date; use YYYY-MM-DD."]),
        ({"opt_end": "2027-05-31T00:00"}, ["OPT end date: 2027-05-31T00:00 is not a date; use YYYY-MM-DD."]),
        ({"program_end": "2024-08-19"}, ["Program end date: must be on or after the program start date."]),
        ({"program_end": "2024-08-20"}, []),
        ({"opt_kind": "other"}, ["OPT kind: other is not one of the choices; " + KINDS]),
        (
            {"opt_start": "", "opt_end": ""},
            ["OPT start date: required; use YYYY-MM-DD.", "OPT end date: required; use YYYY-MM-DD."],
        ),
        (
            {"opt_kind": "", "opt_end": ""},
            ["OPT kind: required; " + KINDS, "OPT end date: required; use YYYY-MM-DD."],
        ),
        ({"opt_end": "2026-05-31"}, ["OPT end date: must be on or after the OPT start date."]),
        ({"opt_kind": "stem"}, []),
    ],
)
def test_check_rows_names_every_problem_of_a_row(db_session, school, overrides, errors):
    [check] = check_rows(db_session, school, [CsvRow(7, good_row(1, **overrides))])
    assert check.errors == errors
    assert check.ok is (errors == [])
    assert check.line == 7


def test_check_rows_normalises_ids_and_emails_and_finds_repeats_in_the_file_and_students_on_file(
    db_session, school, factory
):
    factory.student(sevis_id="N6600000009")
    rows = [
        good_row(1, sevis_id=" n6600000001 ", email="S1@Example.EDU"),
        good_row(2),
        good_row(1, email="again@example.edu"),
        good_row(9),
        good_row(3, email="bad"),
        good_row(3),
    ]
    checks = check_rows(db_session, school, numbered(*rows))
    assert [(check.line, check.errors) for check in checks] == [
        (2, []),
        (3, []),
        (4, ["SEVIS ID: already on line 2 of the file."]),
        (5, ["SEVIS ID: a student with this SEVIS ID is already on file."]),
        (6, ["Email address: Enter an email address like name@example.edu."]),
        (7, []),  # the bad line 6 does not count as the first use of its SEVIS ID
    ]
    assert (checks[0].values["sevis_id"], checks[0].values["email"]) == ("N6600000001", "s1@example.edu")


def test_check_rows_writes_nothing(db_session, school):
    events = db_session.scalar(select(func.count()).select_from(Event))
    check_rows(db_session, school, numbered(good_row(1), good_row(2, email="bad")))
    assert db_session.scalar(select(func.count()).select_from(Student).where(Student.sevis_id.like("N66%"))) == 0
    assert db_session.scalar(select(func.count()).select_from(Event)) == events


# --- apply_next_rows --------------------------------------------------------------------------------------------


def _state(rows: list[dict], school) -> dict:
    """A job of ``rows`` as start_job saves them, row n on line n + 1."""
    kept = [{"line": row.line, "values": row.values} for row in numbered(*rows)]
    return {"school_id": school.id, "user_id": 1, "rows": kept, "position": 0, "results": []}


def _events_by_student(db_session) -> list[tuple[str, str]]:
    return list(
        db_session.execute(
            select(Student.sevis_id, Event.event_type)
            .join(Event, Event.student_id == Student.id)
            .where(Student.sevis_id.like("N66%"))
            .order_by(Student.sevis_id, Event.id)
        ).all()
    )


def test_apply_next_rows_creates_a_chunk_of_students_per_call_each_with_its_events(
    db_session, school, dso, monkeypatch
):
    monkeypatch.setattr(onboarding, "CHUNK", 2)
    state = _state([good_row(1), good_row(2, opt_kind="", opt_start="", opt_end=""), good_row(3)], school)
    state = apply_next_rows(db_session, state, school, actor=dso)
    assert state["position"] == 2
    assert [result["sevis_id"] for result in state["results"]] == ["N6600000001", "N6600000002"]
    state = apply_next_rows(db_session, state, school, actor=dso)
    assert state["position"] == 3
    assert state["results"] == [
        {"line": 2, "sevis_id": "N6600000001", "result": "created", "message": ""},
        {"line": 3, "sevis_id": "N6600000002", "result": "created", "message": ""},
        {"line": 4, "sevis_id": "N6600000003", "result": "created", "message": ""},
    ]
    assert apply_next_rows(db_session, state, school, actor=dso) == state  # past the end: nothing more
    students = db_session.scalars(select(Student).where(Student.sevis_id.like("N66%")).order_by(Student.sevis_id)).all()
    assert [(s.sevis_id, s.school_id, s.program_records[0].major) for s in students] == [
        ("N6600000001", school.id, "Data"),
        ("N6600000002", school.id, "Data"),
        ("N6600000003", school.id, "Data"),
    ]
    assert [len(s.program_records[0].opt_authorizations) for s in students] == [1, 0, 1]
    assert _events_by_student(db_session) == [
        ("N6600000001", "student.created"),
        ("N6600000001", "program.opened"),
        ("N6600000001", "opt.requested"),
        ("N6600000002", "student.created"),
        ("N6600000002", "program.opened"),
        ("N6600000003", "student.created"),
        ("N6600000003", "program.opened"),
        ("N6600000003", "opt.requested"),
    ]
    actors = db_session.scalars(
        select(Event.actor_user_id).join(Student, Event.student_id == Student.id).where(Student.sevis_id.like("N66%"))
    ).all()
    assert set(actors) == {dso.user_id}


def test_apply_next_rows_reports_a_refused_row_and_leaves_nothing_of_it_behind(
    db_session, school, factory, dso, monkeypatch
):
    factory.student(sevis_id="N6600000002")  # created by someone else after the dry run
    request_opt = onboarding.request_opt

    def refuse_the_third(session, actor, program, **values):
        if program.student.sevis_id == "N6600000003":
            raise RuleBroken("The OPT request is refused.")
        return request_opt(session, actor, program, **values)

    monkeypatch.setattr(onboarding, "request_opt", refuse_the_third)  # after the student and program exist
    rows = [
        good_row(1),
        good_row(2),
        good_row(3),
        good_row(4, program_start="2024-13-01"),
        good_row(5, opt_start="2027-06-01", opt_end="2026-05-31"),
        good_row(6),
    ]
    state = apply_next_rows(db_session, _state(rows, school), school, actor=dso)
    assert state["position"] == 6
    assert [(r["line"], r["sevis_id"], r["result"], r["message"]) for r in state["results"]] == [
        (2, "N6600000001", "created", ""),
        (3, "N6600000002", "not created", "A student with SEVIS ID N6600000002 already exists."),
        (4, "N6600000003", "not created", "The OPT request is refused."),
        (5, "N6600000004", "not created", "Program start date: 2024-13-01 is not a date; use YYYY-MM-DD."),
        (6, "N6600000005", "not created", "OPT end date: must be on or after the OPT start date."),
        (7, "N6600000006", "created", ""),
    ]
    on_file = db_session.scalars(
        select(Student.sevis_id).where(Student.sevis_id.like("N66%")).order_by(Student.sevis_id)
    )
    assert list(on_file) == ["N6600000001", "N6600000002", "N6600000006"]
    refused = ("N6600000003", "N6600000004", "N6600000005")
    assert [event for event in _events_by_student(db_session) if event[0] in refused] == []


def _python_says(row: dict) -> str:
    """What Python's own parsing of the row says (the text that must never reach a DSO)."""
    try:
        EducationLevel(row["education_level"])
        date.fromisoformat(row["program_start"])
        date.fromisoformat(row["program_end"])
        OptKind(row["opt_kind"])
        date.fromisoformat(row["opt_start"])
        date.fromisoformat(row["opt_end"])
    except (KeyError, ValueError) as error:
        return str(error)
    raise AssertionError("Python reads this row")


def _without(name: str) -> dict:
    row = good_row(1)
    del row[name]
    return row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (good_row(1, program_start="2024-13-01"), "Program start date: 2024-13-01 is not a date; use YYYY-MM-DD."),
        (good_row(1, program_end="2026-02-30"), "Program end date: 2026-02-30 is not a date; use YYYY-MM-DD."),
        (good_row(1, opt_start="2026-06-31"), "OPT start date: 2026-06-31 is not a date; use YYYY-MM-DD."),
        (good_row(1, opt_end="31/05/2027"), "OPT end date: 31/05/2027 is not a date; use YYYY-MM-DD."),
        (
            good_row(1, opt_start="", opt_end="2027-02-29"),
            "OPT start date: required; use YYYY-MM-DD. OPT end date: 2027-02-29 is not a date; use YYYY-MM-DD.",
        ),
        (_without("program_end"), "Program end date: required; use YYYY-MM-DD."),
        (good_row(1, education_level="phd"), "Education level: phd is not one of the choices; " + LEVELS),
        (good_row(1, opt_kind="other"), "OPT kind: other is not one of the choices; " + KINDS),
        (_without("education_level"), "Education level: required; " + LEVELS),
    ],
    ids=[
        "month-13",
        "february-30",
        "june-31",
        "day-first",
        "missing-and-not-a-leap-year",
        "no-column",
        "unknown-level",
        "unknown-kind",
        "no-level",
    ],
)
def test_apply_next_rows_refuses_a_value_python_cannot_read_in_words_never_in_pythons(
    db_session, school, dso, row, message
):
    state = apply_next_rows(db_session, _state([row], school), school, actor=dso)
    [result] = state["results"]
    assert (result["result"], result["message"]) == ("not created", message)
    assert _python_says(row) not in result["message"]
    assert db_session.scalar(select(func.count()).select_from(Student).where(Student.sevis_id.like("N66%"))) == 0


def test_apply_next_rows_refuses_a_row_without_its_names_in_words(db_session, school, dso):
    rows = [_without("surname"), good_row(2, sevis_id=""), _without("email")]
    state = apply_next_rows(db_session, _state(rows, school), school, actor=dso)
    assert [(r["result"], r["message"]) for r in state["results"]] == [
        ("not created", "Enter the student's surname."),
        ("not created", "A SEVIS ID is the letter N followed by 10 digits, for example N0012345678."),
        ("not created", "Enter an email address like name@example.edu."),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_row_is_named_by_the_line_of_the_file_it_starts_on_in_the_dry_run_and_the_report(
    db_session, school, factory, dso, tmp_path, newline
):
    lines = [
        HEADER,
        line(good_row(1, major='"Data' + newline + 'Science"')),  # lines 2 and 3
        "",  # line 4
        line(good_row(2, email="bad")),
        line(good_row(3)),
        line(good_row(4)),
        line(good_row(4, email="again@example.edu")),
        line(good_row(5, opt_kind="other")),
    ]
    checks = check_rows(db_session, school, read_csv((newline.join(lines) + newline).encode()))
    assert [(check.line, check.errors) for check in checks] == [
        (2, ["A value is written over more than one line or holds a control character; keep each on one line."]),
        (5, ["Email address: Enter an email address like name@example.edu."]),
        (6, []),
        (7, []),
        (8, ["SEVIS ID: already on line 7 of the file."]),
        (9, ["OPT kind: other is not one of the choices; " + KINDS]),
    ]
    job_id = start_job(str(tmp_path), school, [check for check in checks if check.ok], user_id=7)
    factory.student(sevis_id="N6600000003")  # created meanwhile by someone else
    state = apply_next_rows(db_session, load_job(str(tmp_path), job_id, school.id), school, actor=dso)
    assert report_csv(state).splitlines() == [
        "Line of the file,SEVIS ID,Result,Message",
        "6,N6600000003,not created,A student with SEVIS ID N6600000003 already exists.",
        "7,N6600000004,created,",
    ]


# Anything in quotes is a value to type; outside them, no code (opt_kind, post_completion) may show. The columns
# and values whose codes are one plain word (surname, masters, stem) read as the word.
_QUOTED = re.compile(r'"[^"]*"')
_CODE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _codes_outside_quotes(message: str) -> list[str]:
    return _CODE.findall(_QUOTED.sub("", message))


def test_no_message_names_a_column_or_a_value_by_its_code_except_in_quotes_as_the_value_to_type(
    db_session, school, factory, dso
):
    factory.student(sevis_id="N6600000009")
    rows = [
        {name: "" for name in COLUMNS},
        good_row(1, sevis_id="X1", email="bad", education_level="phd", program_start="2024-13-01"),
        good_row(2, program_end="2020-01-01", opt_kind="other", opt_start="2027-01-01", opt_end="2026-01-01"),
        good_row(3, opt_kind="", opt_start="", opt_end="2026-02-30"),
        good_row(4, surname="x" * 41, given_name="A\x01"),
        good_row(5, education_level="", program_end=""),
        good_row(6),
        good_row(6),
        good_row(9),
    ]
    messages = [error for check in check_rows(db_session, school, numbered(*rows)) for error in check.errors]
    state = apply_next_rows(db_session, _state(rows, school), school, actor=dso)
    messages += [result["message"] for result in state["results"] if result["message"]]
    with pytest.raises(InvalidValue) as refused:
        read_csv(b"sevis_id,given_name,opt_kind\nN6600000001,Li,stem\n")
    messages.append(refused.value.message)
    assert len(messages) > 25  # every kind of message was made
    assert [(message, codes) for message in messages if (codes := _codes_outside_quotes(message))] == []
    assert _codes_outside_quotes('OPT kind: use "post_completion" (Post-completion OPT).') == []
    assert _codes_outside_quotes("opt_kind: use post_completion.") == ["opt_kind", "post_completion"]
    assert all(_codes_outside_quotes(name) == [name] for name in COLUMNS if "_" in name)


def test_apply_next_rows_continues_a_job_saved_before_rows_kept_their_line(db_session, school, dso):
    state = _state([good_row(1), good_row(2, sevis_id="")], school) | {"rows": [good_row(1), good_row(2, sevis_id="")]}
    state = apply_next_rows(db_session, state, school, actor=dso)
    assert [(r["line"], r["result"]) for r in state["results"]] == [(2, "created"), (3, "not created")]


# --- Jobs -------------------------------------------------------------------------------------------------------


def test_a_job_is_found_only_by_its_id_and_only_for_its_school(tmp_path, school, factory):
    job_id = start_job(str(tmp_path), school, numbered(good_row(1)), user_id=7)
    assert load_job(str(tmp_path), job_id, school.id) == _state([good_row(1)], school) | {"user_id": 7}
    for unknown, school_id in (
        (job_id, factory.school().id),
        ("0" * 32, school.id),
        ("../" + job_id[3:], school.id),
        (job_id.upper(), school.id),
    ):
        with pytest.raises(NotFound, match="No such onboarding job."):
            load_job(str(tmp_path), unknown, school_id)


# --- report_csv -------------------------------------------------------------------------------------------------


def test_report_neutralises_spreadsheet_formulas():
    text = report_csv({"results": [{"line": 2, "sevis_id": "=HYPERLINK(1)", "result": "not created", "message": "x"}]})
    assert "'=HYPERLINK(1)" in text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("N6600000001", "N6600000001"),
        ("a=b", "a=b"),
    ],
)
def test_report_csv_writes_one_line_per_row_and_neutralises_every_formula_start(value, cell):
    state = {
        "results": [
            {"line": 2, "sevis_id": value, "result": "not created", "message": "refused"},
            {"line": 3, "sevis_id": "N6600000002", "result": "created", "message": None},
        ]
    }
    assert report_csv(state).splitlines() == [
        "Line of the file,SEVIS ID,Result,Message",
        f"2,{cell},not created,refused",
        "3,N6600000002,created,",
    ]
