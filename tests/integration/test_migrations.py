"""The migrations build the schema on an empty database, and agree with the models."""

import ast
import importlib.util
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Base
from portal.services.errors import SecretUnreadable
from portal.services.mfa import seal_secret, unseal_secret


def _app_at(database_url, revision="head"):
    """The app on ``database_url``, migrated to ``revision``, inside its app context."""

    class MigrationConfig(TestConfig):
        DATABASE_URL = database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade(revision=revision)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def migrated_app(fresh_database_url):
    yield from _app_at(fresh_database_url)


def test_upgrade_builds_every_table(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_agree(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrated_events_are_append_only(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO events (occurred_at, actor_kind, actor_label, event_type, reported_late) "
                    "VALUES (CURRENT_TIMESTAMP, 'system', 'test', 'test.event', false)"
                )
            )
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE events SET event_type = 'changed'"))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("DELETE FROM events"))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.execute(
                    text(
                        "INSERT OR REPLACE INTO events (id, occurred_at, actor_kind, actor_label, "
                        "event_type, reported_late) SELECT id, occurred_at, actor_kind, actor_label, "
                        "'changed', reported_late FROM events"
                    )
                )
            else:
                connection.execute(
                    text(
                        "INSERT INTO events (id, occurred_at, actor_kind, actor_label, event_type, "
                        "reported_late) SELECT id, occurred_at, actor_kind, actor_label, 'changed', "
                        "reported_late FROM events ON CONFLICT (id) DO UPDATE SET event_type = 'changed'"
                    )
                )
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT event_type FROM events")) == "test.event"
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(migrated_app):
    downgrade(revision="base")
    upgrade()


@pytest.fixture
def app_at_0006(fresh_database_url):
    yield from _app_at(fresh_database_url, "0006")


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _mfa_columns(engine) -> dict:
    with engine.connect() as connection:
        names = {column["name"] for column in inspect(connection).get_columns("users")}
        column = "mfa_secret_encrypted" if "mfa_secret_encrypted" in names else "mfa_secret"
        rows = connection.execute(text(f"SELECT email, {column} FROM users ORDER BY id")).all()
    return {"column": column, "values": dict(rows)}


def test_0007_encrypts_existing_mfa_secrets_and_downgrade_decrypts_them(app_at_0006, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, role, display_name, failed_sign_ins, lock_count, "
                    "created_at, mfa_secret) VALUES ('a@x.org', 'support', '', 0, 0, CURRENT_TIMESTAMP, "
                    ":secret), ('b@x.org', 'operator', '', 0, 0, CURRENT_TIMESTAMP, NULL)"
                ),
                {"secret": SECRET},
            )
            user_id = connection.execute(text("SELECT id FROM users WHERE email = 'a@x.org'")).scalar_one()
        upgrade(revision="0007")
        after = _mfa_columns(engine)
        assert after["column"] == "mfa_secret_encrypted" and after["values"]["b@x.org"] is None
        assert SECRET not in after["values"]["a@x.org"] and unseal_secret(user_id, after["values"]["a@x.org"]) == SECRET
        downgrade(revision="0006")
        assert _mfa_columns(engine) == {"column": "mfa_secret", "values": {"a@x.org": SECRET, "b@x.org": None}}
    finally:
        engine.dispose()


def test_0007_downgrade_stops_and_changes_nothing_when_a_secret_does_not_open(app_at_0006, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        upgrade(revision="0007")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, role, display_name, failed_sign_ins, lock_count, "
                    "created_at, mfa_secret_encrypted) VALUES ('a@x.org', 'support', '', 0, 0, "
                    "CURRENT_TIMESTAMP, 'not a token')"
                )
            )
        with pytest.raises(Exception, match="secret of user 1 cannot be read with the configured keys") as refused:
            downgrade(revision="0006")
        assert type(refused.value).__name__ == "SecretUnreadable"
        assert _mfa_columns(engine) == {"column": "mfa_secret_encrypted", "values": {"a@x.org": "not a token"}}
    finally:
        engine.dispose()


def _migration(name: str):
    """A migration module, loaded from its file as Alembic loads it."""
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
DERIVED = {"DATA_ENCRYPTION_KEY": "", "DATA_ENCRYPTION_OLD_KEYS": ""}


def _keys_app(keys: dict) -> Flask:
    """A bare app holding only the settings both the app's sealing and 0007's frozen copy read."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=TestConfig.SECRET_KEY, **keys)
    return app


@pytest.mark.parametrize(
    ("sealed_with", "opened_with"),
    [
        (DERIVED, DERIVED),
        ({"DATA_ENCRYPTION_KEY": KEY_A, "DATA_ENCRYPTION_OLD_KEYS": ""}, {"DATA_ENCRYPTION_KEY": KEY_A}),
        (DERIVED, {"DATA_ENCRYPTION_KEY": KEY_A, "DATA_ENCRYPTION_OLD_KEYS": ""}),
        (
            {"DATA_ENCRYPTION_KEY": KEY_B, "DATA_ENCRYPTION_OLD_KEYS": ""},
            {"DATA_ENCRYPTION_KEY": KEY_A, "DATA_ENCRYPTION_OLD_KEYS": f"{KEY_C}, {KEY_B}"},
        ),
    ],
    ids=["derived-key", "one-key", "derived-then-a-key", "an-old-key"],
)
def test_0007_frozen_sealing_and_the_apps_open_each_others_secrets(sealed_with, opened_with):
    """0007 carries a frozen copy of the app's sealing; if the app's format changes, this fails."""
    migration = _migration("0007_encrypt_mfa_secrets")
    sealing, opening = _keys_app(sealed_with), _keys_app(opened_with)
    with sealing.app_context():
        writer, _ = migration.keys(sealing.config)
        by_migration = migration.seal_secret(writer, 42, SECRET)
        by_app = seal_secret(42, SECRET)
    with opening.app_context():
        _, readers = migration.keys(opening.config)
        assert SECRET not in by_migration and unseal_secret(42, by_migration) == SECRET
        assert SECRET not in by_app and migration.unseal_secret(readers, 42, by_app) == SECRET
        # Both bind a secret to its row: neither opens a token copied onto another user.
        with pytest.raises(SecretUnreadable):
            unseal_secret(43, by_migration)
        with pytest.raises(migration.SecretUnreadable, match="user 43"):
            migration.unseal_secret(readers, 43, by_app)


def test_0007_imports_nothing_from_the_app():
    tree = ast.parse(Path(_migration("0007_encrypt_mfa_secrets").__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert imported and not [name for name in imported if name.split(".")[0] == "portal"]


def test_migration_0009_fills_employed_until_from_the_live_employers_then_triggers_keep_it(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    employer = (
        "INSERT INTO employers (student_id, name, address_line1, address_line2, city, state, postal_code, "
        "self_employed, course_relevance, employment_time, start_date, end_date, reported_late, review_status, "
        "created_at, updated_at, version, deleted_at) VALUES (:student, 'Co', '1 Main', '', 'Boston', 'MA', "
        "'02110', false, 'Relevant.', 'full_time', '2026-01-01', :end, false, 'not_needed', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP, 1, :deleted)"
    )
    try:
        with app.app_context():
            upgrade(revision="0006")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) "
                        "VALUES (1, 'U', 'TST214F00000001', CURRENT_TIMESTAMP)"
                    )
                )
                for number in (1, 2, 3, 4):
                    connection.execute(
                        text(
                            "INSERT INTO students (id, sevis_id, school_id, surname, given_name, email, created_at, "
                            "updated_at, version) VALUES (:id, :sevis, 1, 'S', 'G', :email, CURRENT_TIMESTAMP, "
                            "CURRENT_TIMESTAMP, 1)"
                        ),
                        {"id": number, "sevis": f"N{number:010d}", "email": f"s{number}@x.edu"},
                    )
                rows = [
                    (1, None, None),
                    (1, "2026-05-01", None),
                    (2, "2026-05-01", None),
                    (2, "2026-09-01", "2026-06-01"),
                    (3, None, "2026-06-01"),
                ]
                for student, end, deleted in rows:
                    connection.execute(text(employer), {"student": student, "end": end, "deleted": deleted})
            upgrade(revision="0009")
            with engine.begin() as connection:
                connection.execute(text(employer), {"student": 4, "end": "2026-07-01", "deleted": None})
                until = dict(connection.execute(text("SELECT id, employed_until FROM students")).all())
            downgrade(revision="0006")
            db.engine.dispose()
    finally:
        engine.dispose()
    assert {key: str(value) if value else None for key, value in until.items()} == {
        1: "9999-12-31",
        2: "2026-05-01",
        3: None,
        4: "2026-07-01",
    }


def test_migration_0011_records_requested_dates_as_actual_on_approved_opts_with_an_event_each(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    opt = (
        "INSERT INTO opt_authorizations (id, program_record_id, kind, status, start_date, end_date, created_at, "
        "version) VALUES (:id, 1, 'post_completion', :status, :start, :end, CURRENT_TIMESTAMP, 1)"
    )
    try:
        with app.app_context():
            upgrade(revision="0010")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) "
                        "VALUES (7, 'U', 'TST214F00000001', CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO students (id, sevis_id, school_id, surname, given_name, email, "
                        "created_at, updated_at, version) VALUES (3, 'N0000000003', 7, 'S', 'G', "
                        "'s3@x.edu', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO program_records (id, student_id, school_id, education_level, major, "
                        "status, start_date, end_date, created_at) VALUES (1, 3, 7, 'masters', '', "
                        "'active', '2024-01-01', '2025-12-31', CURRENT_TIMESTAMP)"
                    )
                )
                for number, status in ((1, "approved"), (2, "pending"), (3, "denied"), (4, "approved")):
                    connection.execute(
                        text(opt),
                        {"id": number, "status": status, "start": f"2026-0{number}-01", "end": f"2027-0{number}-01"},
                    )
            upgrade()
            with engine.begin() as connection:
                dates = connection.execute(
                    text("SELECT id, actual_start_date, actual_end_date FROM opt_authorizations ORDER BY id")
                ).all()
                events = connection.execute(
                    text(
                        "SELECT subject, student_id, school_id, actor_kind, actor_label, before, after, change_kind, changes "
                        "FROM events WHERE event_type = 'opt.actual_dates_recorded' ORDER BY subject"
                    )
                ).all()
                connection.execute(
                    text(
                        "INSERT INTO documents (student_id, kind, original_filename, stored_name, content_type, size_bytes, "
                        "sha256, uploaded_at) VALUES (3, 'ead_card', 'ead.pdf', 'x', 'application/pdf', 1, 'h', "
                        "CURRENT_TIMESTAMP)"
                    )
                )
            with pytest.raises(DBAPIError), engine.begin() as connection:
                connection.execute(text("UPDATE opt_authorizations SET actual_end_date = '2025-01-01' WHERE id = 1"))
            with pytest.raises(SystemExit):  # refused (Flask-Migrate exits): the uploaded EAD card would be lost
                downgrade(revision="0010")
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM documents"))
            downgrade(revision="0010")
            db.engine.dispose()
    finally:
        engine.dispose()
    assert [(row[0], str(row[1]) if row[1] else None, str(row[2]) if row[2] else None) for row in dates] == [
        (1, "2026-01-01", "2027-01-01"),
        (2, None, None),
        (3, None, None),
        (4, "2026-04-01", "2027-04-01"),
    ]
    decoded = [
        (subject, student, school, kind, label, _json(before), _json(after), change_kind, changes)
        for subject, student, school, kind, label, before, after, change_kind, changes in events
    ]
    source = "requested dates, set when actual dates were introduced"
    assert decoded == [
        (
            "opt:1",
            3,
            7,
            "system",
            "OPT Portal",
            {"actual_start_date": None, "actual_end_date": None},
            {"actual_start_date": "2026-01-01", "actual_end_date": "2027-01-01", "source": source},
            None,
            None,
        ),
        (
            "opt:4",
            3,
            7,
            "system",
            "OPT Portal",
            {"actual_start_date": None, "actual_end_date": None},
            {"actual_start_date": "2026-04-01", "actual_end_date": "2027-04-01", "source": source},
            None,
            None,
        ),
    ]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_0013_keeps_one_principal_per_school_and_lifts_the_cap_on_dsos(fresh_database_url):
    """A school with three active principals keeps the one appointed first; the others become DSOs, each with an
    event; a removed principal and another school's stay as they were; then the index holds and DSOs are uncapped."""

    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    user = (
        "INSERT INTO users (email, role, school_id, display_name, failed_sign_ins, lock_count, created_at, "
        "deactivated_at) VALUES (:email, :role, :school, '', 0, 0, :created, :deactivated)"
    )
    try:
        with app.app_context():
            upgrade(revision="0010")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) VALUES "
                        "(1, 'U', 'TST214F00000001', CURRENT_TIMESTAMP), "
                        "(2, 'V', 'TST214F00000002', CURRENT_TIMESTAMP)"
                    )
                )
                rows = [
                    ("later@u.edu", 1, "2026-03-01", None),
                    ("first@u.edu", 1, "2026-01-01", None),
                    ("latest@u.edu", 1, "2026-05-01", None),
                    ("gone@u.edu", 1, "2025-01-01", "2025-06-01"),
                    ("only@v.edu", 2, "2026-04-01", None),
                ]
                for email, school, created, deactivated in rows:
                    connection.execute(
                        text(user),
                        {
                            "email": email,
                            "role": "principal_dso",
                            "school": school,
                            "created": created,
                            "deactivated": deactivated,
                        },
                    )
            upgrade(revision="0013")
            with engine.begin() as connection:
                roles = dict(connection.execute(text("SELECT email, role FROM users ORDER BY id")).all())
                events = connection.execute(
                    text(
                        "SELECT u.email, e.event_type, e.actor_kind, e.school_id "
                        "FROM events e JOIN users u ON u.id = e.user_id "
                        "ORDER BY e.id"
                    )
                ).all()
                for number in range(11):
                    connection.execute(
                        text(user),
                        {
                            "email": f"dso{number}@u.edu",
                            "role": "dso",
                            "school": 1,
                            "created": "2026-06-01",
                            "deactivated": None,
                        },
                    )
            with pytest.raises(DBAPIError), engine.begin() as connection:
                connection.execute(
                    text(user),
                    {
                        "email": "second@v.edu",
                        "role": "principal_dso",
                        "school": 2,
                        "created": "2026-06-01",
                        "deactivated": None,
                    },
                )
            downgrade(revision="0010")
            db.engine.dispose()
    finally:
        engine.dispose()
    assert roles == {
        "later@u.edu": "dso",
        "first@u.edu": "principal_dso",
        "latest@u.edu": "dso",
        "gone@u.edu": "principal_dso",
        "only@v.edu": "principal_dso",
    }
    assert [tuple(row) for row in events] == [
        ("later@u.edu", "official.role_changed", "system", 1),
        ("latest@u.edu", "official.role_changed", "system", 1),
    ]


def test_0021_gives_existing_employers_a_type_from_their_self_employed_flag(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    employer = (
        "INSERT INTO employers (id, student_id, name, address_line1, address_line2, city, state, postal_code, "
        "self_employed, course_relevance, employment_time, start_date, reported_late, review_status, "
        "created_at, updated_at, version) VALUES (:id, 1, 'Co', '1 Main', '', 'Boston', 'MA', '02110', :self, "
        "'Relevant.', 'full_time', '2026-01-01', false, 'not_needed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
    )
    try:
        with app.app_context():
            upgrade(revision="0019")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) "
                        "VALUES (1, 'U', 'TST214F00000001', CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO students (id, sevis_id, school_id, surname, given_name, email, created_at, updated_at, "
                        "version) VALUES (1, 'N0000000001', 1, 'S', 'G', 's@x.edu', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                    )
                )
                connection.execute(text(employer), [{"id": 1, "self": False}, {"id": 2, "self": True}])
            upgrade(revision="0021")
            with engine.begin() as connection:
                types = connection.execute(text("SELECT id, employment_type FROM employers ORDER BY id")).all()
                with pytest.raises(DBAPIError):
                    with connection.begin_nested():
                        connection.execute(text("UPDATE employers SET employment_type = 'gig' WHERE id = 1"))
            downgrade(revision="0019")
            db.engine.dispose()
    finally:
        engine.dispose()
    assert [tuple(row) for row in types] == [(1, "paid_employee"), (2, "self_employed")]


def test_0022_drops_employed_until_and_its_triggers_and_downgrade_brings_them_back_filled(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    employer = (
        "INSERT INTO employers (id, student_id, name, address_line1, address_line2, city, state, postal_code, "
        "self_employed, course_relevance, employment_time, start_date, end_date, reported_late, review_status, "
        "created_at, updated_at, version) VALUES (:id, :student, 'Co', '1 Main', '', 'Boston', 'MA', '02110', "
        "false, 'Relevant.', 'full_time', '2026-01-01', :end, false, 'not_needed', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP, 1)"
    )

    def until(connection) -> dict:
        rows = connection.execute(text("SELECT id, employed_until FROM students ORDER BY id")).all()
        return {key: str(value) if value else None for key, value in rows}

    try:
        with app.app_context():
            upgrade(revision="0021")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) "
                        "VALUES (1, 'U', 'TST214F00000001', CURRENT_TIMESTAMP)"
                    )
                )
                for number in (1, 2, 3):
                    connection.execute(
                        text(
                            "INSERT INTO students (id, sevis_id, school_id, surname, given_name, email, created_at, "
                            "updated_at, version) VALUES (:id, :sevis, 1, 'S', 'G', :email, CURRENT_TIMESTAMP, "
                            "CURRENT_TIMESTAMP, 1)"
                        ),
                        {"id": number, "sevis": f"N{number:010d}", "email": f"s{number}@x.edu"},
                    )
                connection.execute(text(employer), {"id": 1, "student": 1, "end": None})
            upgrade(revision="0022")
            with engine.begin() as connection:
                columns = {column["name"] for column in inspect(connection).get_columns("students")}
                indexes = {index["name"] for index in inspect(connection).get_indexes("students")}
                # Employer writes go on without the triggers (a trigger left behind would fail on the missing column).
                connection.execute(text(employer), {"id": 2, "student": 2, "end": "2026-05-01"})
                connection.execute(text("UPDATE employers SET end_date = '2026-03-01' WHERE id = 1"))
                connection.execute(text(employer), {"id": 3, "student": 3, "end": None})
                connection.execute(text("DELETE FROM employers WHERE id = 3"))
            downgrade(revision="0021")
            with engine.begin() as connection:
                filled = until(connection)
                connection.execute(text(employer), {"id": 4, "student": 3, "end": None})
                connection.execute(text("UPDATE employers SET end_date = '2026-04-01' WHERE id = 2"))
                kept = until(connection)
            downgrade(revision="0019")
            db.engine.dispose()
    finally:
        engine.dispose()
    assert "employed_until" not in columns and "ix_students_school_employed_until" not in indexes
    assert filled == {1: "2026-03-01", 2: "2026-05-01", 3: None}
    assert kept == {1: "2026-03-01", 2: "2026-04-01", 3: "9999-12-31"}


def test_0012_marks_the_students_already_there(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    try:
        with app.app_context():
            upgrade(revision="0011")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO schools (id, name, code, created_at) "
                        "VALUES (1, 'U', 'TST214F00000001', CURRENT_TIMESTAMP)"
                    )
                )
                for number in (1, 2):
                    connection.execute(
                        text(
                            "INSERT INTO students (id, sevis_id, school_id, surname, given_name, email, created_at, "
                            "updated_at, version) VALUES (:id, :sevis, 1, 'S', 'G', :email, CURRENT_TIMESTAMP, "
                            "CURRENT_TIMESTAMP, 1)"
                        ),
                        {"id": number, "sevis": f"N{number:010d}", "email": f"s{number}@x.edu"},
                    )
                    connection.execute(
                        text(
                            "INSERT INTO program_records (id, student_id, school_id, education_level, major, status, "
                            "start_date, end_date, created_at) VALUES (:id, :id, 1, 'masters', '', 'active', '2024-01-01', "
                            "'2025-12-31', CURRENT_TIMESTAMP)"
                        ),
                        {"id": number},
                    )
                    connection.execute(
                        text(
                            "INSERT INTO opt_authorizations (id, program_record_id, kind, status, start_date, end_date, "
                            "created_at, version) VALUES (:id, :id, 'post_completion', 'approved', '2026-01-01', "
                            "'2026-12-31', '2025-11-01 15:00:00', 1)"
                        ),
                        {"id": number},
                    )
                connection.execute(
                    text(
                        "INSERT INTO employers (student_id, opt_authorization_id, name, address_line1, address_line2, city, "
                        "state, postal_code, self_employed, course_relevance, employment_time, start_date, reported_late, "
                        "review_status, created_at, updated_at, version) VALUES (2, 2, 'Co', '1 Main', '', 'Boston', 'MA', "
                        "'02110', false, 'Relevant.', 'full_time', '2026-01-01', false, 'not_needed', CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP, 1)"
                    )
                )
            upgrade(revision="0012")
            with engine.connect() as connection:
                marks = connection.execute(
                    text(
                        "SELECT student_id, school_id, kind, starts_on, ends_on, detail "
                        "FROM timeline_marks ORDER BY student_id, kind, starts_on, detail"
                    )
                ).all()
            downgrade(revision="0011")
            db.engine.dispose()
    finally:
        engine.dispose()
    ends = [
        ("access_closed", "2027-07-01", "2027-07-01", "2027-06-30"),
        ("access_ending", "2027-06-01", "2027-06-01", "2027-06-30"),
        ("account_due", "2026-01-01", "2026-01-01", ""),
        ("opt_ended", "2027-01-01", "2027-01-01", "2026-12-31"),
    ]
    unemployed = [
        ("nearing_limit", "2026-03-01", "2026-12-31", ""),
        ("unemployed", "2026-01-01", "2026-12-31", ""),
        ("unemployment_reached", "2026-03-01", "2026-03-01", "60"),
        ("unemployment_reached", "2026-03-21", "2026-03-21", "80"),
        ("unemployment_reached", "2026-03-31", "2026-03-31", "90"),
    ]
    assert [(row[0], row[1], row[2], str(row[3]), str(row[4]), row[5]) for row in marks] == sorted(
        [(1, 1, *mark) for mark in ends + unemployed] + [(2, 1, *mark) for mark in ends]
    )


def test_0023_records_that_rules_version_1_computed_the_marks_already_there(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    engine = create_engine(fresh_database_url)
    try:
        with app.app_context():
            upgrade(revision="0023")
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT id, version, refreshed_at FROM timeline_marks_version")).all()
            downgrade(revision="0022")
            tables = set(inspect(engine).get_table_names())
            db.engine.dispose()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(1, 1, None)]
    assert "timeline_marks_version" not in tables and "timeline_marks" in tables
