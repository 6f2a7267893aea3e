"""The school's overview: alerts, and charts of obligations due and portal changes per week (with tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import official_required
from portal.extensions import db
from portal.services.clock import today_eastern
from portal.services.school_overview import changes_by_week, obligations_due_by_week
from portal.services.student_alerts import school_alerts
from portal.web import render_page_or_partial

WEEKS = 8


@dataclass
class Bar:
    label: str
    value: int
    x: float = 0
    y: float = 0
    height: float = 0


@dataclass
class Chart:
    title: str
    description: str
    bars: list[Bar]
    width: int = 640
    height: int = 240
    bottom: int = 40
    top: int = 20

    @property
    def maximum(self) -> int:
        return max([bar.value for bar in self.bars] + [1])

    def layout(self) -> Chart:
        """Place the bars: plot area between ``top`` and ``height - bottom``."""
        slot = self.width / len(self.bars)
        plot = self.height - self.bottom - self.top
        for index, bar in enumerate(self.bars):
            bar.height = round(plot * bar.value / self.maximum, 1)
            bar.x = round(index * slot + slot * 0.15, 1)
            bar.y = round(self.top + plot - bar.height, 1)
        self.bar_width = round(slot * 0.7, 1)
        return self


def obligations_chart(school_id: int, today: date) -> Chart:
    """Open obligations due in each of the next eight weeks (overdue ones counted in the first)."""
    starts = [today + timedelta(weeks=week) for week in range(WEEKS)]
    counts = obligations_due_by_week(db.session, school_id, starts)
    bars = [Bar(f"{start:%b %-d}", value) for start, value in zip(starts, counts, strict=True)]
    return Chart(
        "Reporting obligations due, next 8 weeks",
        "Open obligations by the week they are due; the first week includes overdue ones.",
        bars,
    ).layout()


def changes_chart(school_id: int, today: date) -> Chart:
    """What students changed in the portal in each of the last eight weeks."""
    first = today - timedelta(weeks=WEEKS - 1, days=today.weekday())
    days = [first + timedelta(weeks=week) for week in range(WEEKS)]
    counts = changes_by_week(db.session, school_id, days)
    bars = [Bar(f"{day:%b %-d}", value) for day, value in zip(days, counts, strict=True)]
    return Chart(
        "Portal changes per week, last 8 weeks",
        "Changes students made in the portal (employers, contact details, addresses, documents), by week starting Monday.",
        bars,
    ).layout()


@admin.get("/")
@official_required
def overview():
    """Alerts that have someone on them, and the two charts with their tables."""
    today = today_eastern()
    school_id = own_school_id()
    return render_page_or_partial(
        "admin/overview.html",
        "admin/_charts.html",
        alerts=school_alerts(db.session, school_id, today=today),
        charts=[obligations_chart(school_id, today), changes_chart(school_id, today)],
    )
