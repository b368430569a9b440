"""The one source of "now". Every rule that depends on time asks this module.

In the test environment the time can be set (``PUT /api/v1/testing/clock``) so that whole
lifecycles can be walked through; elsewhere the real clock is always used.
"""

from datetime import datetime, timezone

from app.config import get_settings

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, aware, in the configured time zone (Asia/Bishkek by default)."""
    tz = get_settings().tz
    if _frozen is not None:
        return _frozen.astimezone(tz)
    return datetime.now(timezone.utc).astimezone(tz)


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (aware), or return to the real clock with None."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _frozen = moment


def local(moment: datetime) -> datetime:
    """``moment`` expressed in the configured time zone."""
    return moment.astimezone(get_settings().tz)
