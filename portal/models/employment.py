"""students.employed_until, kept by the database: the last day the student has a live employer for (9999-12-31 for
an employment with no end date), NULL without one. Triggers on employers refresh it on every insert and delete and on
every change of an employer's student, end date or deletion, whatever writes the row (services, the data feed, bulk
loads), so the DSO alerts and filters find students without a current employer through one index on students instead
of reading every employer of the school. Same statements as migration 0009."""

from sqlalchemy import DDL, event

from portal.models.employer import Employer

SQLITE_TRIGGERS = [
    "CREATE TRIGGER employers_employed_until_insert AFTER INSERT ON employers BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = NEW.student_id AND deleted_at IS NULL) WHERE id = NEW.student_id; END",
    "CREATE TRIGGER employers_employed_until_update AFTER UPDATE OF student_id, end_date, deleted_at ON employers "
    "BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = OLD.student_id AND deleted_at IS NULL) WHERE id = OLD.student_id; "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = NEW.student_id AND deleted_at IS NULL) WHERE id = NEW.student_id; END",
    "CREATE TRIGGER employers_employed_until_delete AFTER DELETE ON employers BEGIN "
    "UPDATE students SET employed_until = (SELECT max(coalesce(end_date, '9999-12-31')) FROM employers "
    "WHERE student_id = OLD.student_id AND deleted_at IS NULL) WHERE id = OLD.student_id; END",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION students_refresh_employed_until(target integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    until date;
BEGIN
    -- Lock the student first: a concurrent change to the same student's employers then commits before the
    -- statement below takes its snapshot (READ COMMITTED), so neither change is lost.
    PERFORM 1 FROM students WHERE id = target FOR NO KEY UPDATE;
    SELECT max(coalesce(end_date, DATE '9999-12-31')) INTO until FROM employers
        WHERE student_id = target AND deleted_at IS NULL;
    UPDATE students SET employed_until = until WHERE id = target AND employed_until IS DISTINCT FROM until;
END;
$$""",
    """CREATE FUNCTION employers_refresh_employed_until() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE students SET employed_until = NULL WHERE employed_until IS NOT NULL;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM students_refresh_employed_until(OLD.student_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.student_id IS DISTINCT FROM OLD.student_id) THEN
        PERFORM students_refresh_employed_until(NEW.student_id);
    END IF;
    RETURN NULL;
END;
$$""",
    "CREATE TRIGGER employers_employed_until AFTER INSERT OR DELETE OR UPDATE OF student_id, end_date, deleted_at "
    "ON employers FOR EACH ROW EXECUTE FUNCTION employers_refresh_employed_until()",
    "CREATE TRIGGER employers_employed_until_truncate AFTER TRUNCATE ON employers "
    "FOR EACH STATEMENT EXECUTE FUNCTION employers_refresh_employed_until()",
]

# create_all() (tests, throwaway databases) gets the same triggers as the migration.
for _statement in SQLITE_TRIGGERS:
    event.listen(Employer.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(Employer.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(
    Employer.__table__,
    "before_drop",
    DDL("DROP FUNCTION IF EXISTS employers_refresh_employed_until() CASCADE").execute_if(dialect="postgresql"),
)
event.listen(
    Employer.__table__,
    "before_drop",
    DDL("DROP FUNCTION IF EXISTS students_refresh_employed_until(integer)").execute_if(dialect="postgresql"),
)
