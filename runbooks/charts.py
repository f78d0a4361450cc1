"""How often a runbook's alerts fired: daily counts and a small server-rendered SVG bar chart.

`daily_counts` and `bar_chart` are pure (no database, no clock); `firing_history` reads the
counts with two queries whatever the number of alerts. What it returns holds counts and a number
of providers only — never labels or provider names — so anyone who may read the runbook may see
it (DESIGN §3: received alerts themselves stay with their provider and staff).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

DAYS = 30
# The SVG's own coordinate system; CSS stretches it to the width of the page.
CHART_WIDTH = 300
CHART_HEIGHT = 60
BAR_GAP = 2
MIN_BAR = 2  # a day with one alert among days with hundreds still shows
EMPTY_BAR = 1  # a day without alerts: a faint tick on the baseline


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class Bar:
    """One day's rectangle, in SVG user units (y grows downwards)."""

    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    peak: int
    bars: list[Bar]


@dataclass(frozen=True)
class FiringHistory:
    days: list[DayCount]
    total: int
    providers: int
    last_fired: datetime | None
    chart: Chart

    @property
    def first_day(self) -> date:
        return self.days[0].day


def daily_counts(rows: Iterable[tuple[date, int]], today: date, days: int = DAYS) -> list[DayCount]:
    """One entry per day, oldest first, ending with `today`; days without alerts count 0.

    `rows` are (day, count) pairs as a GROUP BY gives them; days outside the window are
    ignored and a day given twice is added up.
    """
    first = today - timedelta(days=days - 1)
    counts: dict[date, int] = {}
    for day, count in rows:
        if first <= day <= today:
            counts[day] = counts.get(day, 0) + count
    return [DayCount(day, counts.get(day, 0)) for day in _days(first, days)]


def _days(first: date, days: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(days)]


def bar_chart(days: list[DayCount], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> Chart:
    """Bars scaled to the busiest day; every day gets a slot so the time axis stays even."""
    peak = max((d.count for d in days), default=0)
    slot = width / len(days) if days else 0
    bars = [
        _bar(d, x=index * slot, slot=slot, peak=peak, height=height) for index, d in enumerate(days)
    ]
    return Chart(width=width, height=height, peak=peak, bars=bars)


def _bar(day: DayCount, *, x: float, slot: float, peak: int, height: int) -> Bar:
    tall = max(MIN_BAR, height * day.count / peak) if day.count else EMPTY_BAR
    gap = min(BAR_GAP, slot / 3)
    return Bar(
        day=day.day,
        count=day.count,
        x=round(x + gap / 2, 2),
        y=round(height - tall, 2),
        width=round(slot - gap, 2),
        height=round(tall, 2),
    )


def window_start(today: date, days: int = DAYS) -> datetime:
    """Midnight (current time zone) of the first day of the window that ends with `today`."""
    first = today - timedelta(days=days - 1)
    return datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone())


def firing_history(runbook, *, today: date | None = None, days: int = DAYS) -> FiringHistory:
    """Alerts linked to `runbook` per day of the last `days` days (by when they started), how
    many providers received them, and when one last started. Two indexed queries."""
    from runbooks.models import Alert

    today = today or timezone.localdate()
    since = window_start(today, days)
    alerts = Alert.objects.filter(runbook=runbook)
    rows = (
        alerts.filter(starts_at__gte=since)
        .annotate(day=TruncDate("starts_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    )
    summary = alerts.aggregate(
        last=Max("starts_at"),
        providers=Count("provider", distinct=True, filter=Q(starts_at__gte=since)),
    )
    counts = daily_counts(rows, today, days)
    return FiringHistory(
        days=counts,
        total=sum(d.count for d in counts),
        providers=summary["providers"],
        last_fired=summary["last"],
        chart=bar_chart(counts),
    )
