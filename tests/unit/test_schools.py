"""Reading a school by its SEVIS school code."""

from portal.services.schools import school_by_code


def test_a_school_is_found_by_its_exact_code_and_an_unknown_code_is_none(factory, db_session):
    school = factory.school(code="BOS214F00000001")
    factory.school(code="BOS214F00000002")
    assert school_by_code(db_session, "BOS214F00000001") is school
    assert school_by_code(db_session, "BOS214F0000000") is None and school_by_code(db_session, "") is None
