"""ISO dates and datetimes written in CSV text, as the numbers a network can use.

``2012-01-31`` becomes its year, month, day and weekday (Monday = 0); a datetime
(``2012-01-31T14:05``, or with a space, seconds, a fraction, ``Z`` or an offset) adds
its hour. Only ISO 8601 is recognised: ``31/01/2012`` is ambiguous and stays text.
"""

from __future__ import annotations

import re
from datetime import date, datetime

DATE_PARTS = ("year", "month", "day", "weekday")
TIME_PARTS = ("hour",)

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def parse_iso(text: str) -> datetime | None:
    """The date or datetime ``text`` is (a date at midnight), or None if it is not ISO 8601."""
    text = text.strip()
    if not _ISO.fullmatch(text):
        return None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day)
        return datetime.fromisoformat(text)
    except ValueError:  # 2012-02-30: the shape of a date, not a date
        return None


def has_time(text: str) -> bool:
    """True when ``text`` (an ISO date) holds a time of day, not only a date."""
    return len(text.strip()) > 10


def date_parts(moment: datetime, parts: tuple[str, ...] | list[str]) -> list[float]:
    """The named ``parts`` of ``moment`` as numbers (weekday: Monday = 0)."""
    values = {
        "year": moment.year,
        "month": moment.month,
        "day": moment.day,
        "weekday": moment.weekday(),
        "hour": moment.hour + moment.minute / 60,
    }
    return [float(values[part]) for part in parts]
