"""The database's own guard for 22 CFR 62.72 (seed 002): at most ten alternate officials per school
besides the principal. The officials service checks first with a readable message; this is the
backstop against a race or a direct insert. Same statements as migration dso_1."""

from sqlalchemy import DDL, event

from portal.models.account import User

MAX_ALTERNATES = 10
LIMIT_MESSAGE = "at most ten alternate officials per school"

_SQLITE_CHECK = (  # constants only, no input
    f"SELECT RAISE(ABORT, '{LIMIT_MESSAGE}') WHERE (SELECT count(*) FROM users WHERE school_id = NEW.school_id "  # noqa: S608
    f"AND role = 'dso' AND deactivated_at IS NULL) > {MAX_ALTERNATES};"
)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER users_alternates_limit_insert AFTER INSERT ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_SQLITE_CHECK} END",
    "CREATE TRIGGER users_alternates_limit_update AFTER UPDATE OF role, school_id, deactivated_at ON users "
    f"WHEN NEW.role = 'dso' AND NEW.deactivated_at IS NULL BEGIN {_SQLITE_CHECK} END",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION users_alternates_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role = 'dso' AND NEW.deactivated_at IS NULL AND NEW.school_id IS NOT NULL THEN
        -- One appointment per school at a time, so two concurrent ones cannot both see room.
        PERFORM pg_advisory_xact_lock(6272, NEW.school_id);
        IF (SELECT count(*) FROM users WHERE school_id = NEW.school_id AND role = 'dso'
                AND deactivated_at IS NULL AND id <> NEW.id) >= 10 THEN
            RAISE EXCEPTION 'at most ten alternate officials per school' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$""",
    "CREATE TRIGGER users_alternates_limit BEFORE INSERT OR UPDATE OF role, school_id, deactivated_at ON users "
    "FOR EACH ROW EXECUTE FUNCTION users_alternates_limit()",
]

for _statement in SQLITE_TRIGGERS:
    event.listen(User.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(User.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(
    User.__table__,
    "before_drop",
    DDL("DROP FUNCTION IF EXISTS users_alternates_limit() CASCADE").execute_if(dialect="postgresql"),
)
