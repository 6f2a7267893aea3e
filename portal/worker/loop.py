"""The `portal worker` loop: answer password-reset requests, deliver due email, create scheduled notices once a
minute, pause during maintenance."""

from __future__ import annotations

import logging
import signal
import time
from datetime import timedelta

from portal.extensions import db
from portal.models import utcnow
from portal.services.clock import today_eastern
from portal.services.feed.receiving import catch_up_after_maintenance
from portal.services.maintenance import active_window
from portal.services.reset_requests import answer_reset_requests
from portal.worker.delivery import deliver_due_emails, worker_name
from portal.worker.scheduled_notices import create_due_notices

log = logging.getLogger("portal.worker")


class _Stop:
    requested = False


def _request_stop(*_args) -> None:
    _Stop.requested = True


def run_worker(*, until_empty: bool = False, batch_size: int = 20, idle_seconds: float = 2.0) -> int:
    """Run until stopped (SIGTERM/SIGINT), or with ``until_empty`` until nothing is due; returns emails sent."""
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    _Stop.requested = False
    worker_id = worker_name()
    sent = 0
    next_schedule_at = utcnow()
    daily_done_on = None
    while not _Stop.requested:
        try:
            if active_window(db.session) is not None:  # rule 11: delivery pauses during a window
                db.session.rollback()
                if until_empty:
                    break
                time.sleep(idle_seconds)
                continue
            catch_up_after_maintenance(db.session)
            db.session.commit()
            if utcnow() >= next_schedule_at:
                today = today_eastern()
                create_due_notices(db.session, today, daily=daily_done_on != today)
                db.session.commit()
                daily_done_on = today
                next_schedule_at = utcnow() + timedelta(minutes=1)
            answered = answer_reset_requests(db.session, limit=batch_size)
            db.session.commit()
            report = deliver_due_emails(db.session, worker_id=worker_id, limit=batch_size)
            sent += report.sent
        except Exception:  # noqa: BLE001  (keep the worker alive; the row stays claimed or queued)
            log.exception("Worker iteration failed")
            db.session.rollback()
            if until_empty:
                raise
            time.sleep(idle_seconds)
            continue
        finally:
            db.session.remove()
        if report.handled == 0 and answered == 0:
            if until_empty:
                break
            time.sleep(idle_seconds)
    return sent
