"""Builders for data feed batches (JSON lines) and the dates the feed tests share."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from portal.models import Event

TODAY = date.today()
OPT_START, OPT_END = TODAY - timedelta(days=20), TODAY + timedelta(days=345)
EAD_START, EAD_END = OPT_START + timedelta(days=9), OPT_END + timedelta(days=9)


def jsonl(batch_id, *records, org_id=None) -> bytes:
    header = {"batch_id": batch_id, **({"org_id": org_id} if org_id else {})}
    return "\n".join(json.dumps(line) for line in (header, *records)).encode()


def opt_add_record(sevis_id, request_id="1", action="OPTEmployment.Add", **extra):
    return {
        "action": action,
        "sevis_id": sevis_id,
        "request_id": request_id,
        "data": {
            "start_date": OPT_START.isoformat(),
            "end_date": OPT_END.isoformat(),
            "ead_start_date": EAD_START.isoformat(),
            "ead_end_date": EAD_END.isoformat(),
            **extra,
        },
    }


def employer_values(name="Example Analytics LLC", start=None):
    return {
        "name": name,
        "address_line1": "1 Main Street",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "ein": "123456789",
        "course_relevance": "Applies my degree.",
        "employment_time": "full_time",
        "start_date": (start or EAD_START + timedelta(days=5)).isoformat(),
        "job_title": "Analyst",
    }


def events_of(db_session, student_id, event_type):
    return db_session.scalars(
        select(Event).where(Event.student_id == student_id, Event.event_type == event_type).order_by(Event.id)
    ).all()
