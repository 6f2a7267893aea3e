"""A bulk onboarding CSV: its header and a good row, for the service tests and the page tests."""

HEADER = "sevis_id,surname,given_name,email,education_level,program_start,program_end,major,opt_kind,opt_start,opt_end"


def good_row(number: int, *, prefix: str = "N66", **overrides) -> dict:
    values = {
        "sevis_id": f"{prefix}{number:08d}",
        "surname": f"Student{number}",
        "given_name": "Ana",
        "email": f"s{number}@example.edu",
        "education_level": "masters",
        "program_start": "2024-08-20",
        "program_end": "2026-05-15",
        "major": "Data",
        "opt_kind": "post_completion",
        "opt_start": "2026-06-01",
        "opt_end": "2027-05-31",
    }
    values.update(overrides)
    return values


def line(row: dict) -> str:
    return ",".join(row.values())
