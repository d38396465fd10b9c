"""Knobs of the fake Bridge where the spec or the real Bridge leaves a choice (defaults mimic the Bridge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tests.fakes.simplefin.clock import SECONDS_PER_DAY

QUOTA_WARNING = (
    "You are making too many requests: data is only refreshed once every 24 hours, "
    "so please make fewer requests or this access will be disabled."
)
RANGE_CAPPED_WARNING = "Requested date range exceeds limit of 90 days and was capped."
NO_START_DATE_MESSAGE = "Provide a 'start-date' parameter to receive transactions prior to yesterday"


@dataclass
class BridgeSettings:
    """Mutable at any time from a test; every request reads them afresh."""

    info_versions: list[str] = field(default_factory=lambda: ["1.0"])
    """`GET /info` answer; the Bridge says `["1.0"]` although `?version=2` works (spec §1, §4)."""
    default_version: Literal[1, 2] = 1
    """Shape of `/accounts` when `version` is absent or not 1/2: "the server picks the default" (spec §1)."""
    error_message_key: Literal["msg", "message"] = "msg"
    """v2 error text key: the spec's table says `msg`, its examples `message` (spec §6.2)."""
    v2_also_errors: bool = False
    """Also send the deprecated `errors` strings in v2 answers (spec §6.1)."""
    v1_warns_capped_range: bool = True
    """v1 users reported silent truncation (spec §5); True puts the cap warning in `errors` anyway."""
    claim_trailing_newline: bool = False
    """End the claimed access URL with a newline, as some servers do (spec §2)."""
    demo_code: str | None = None
    """A claim code that always works and always answers the same `demo:demo` access (spec §2)."""
    quota_warn_at: int = 48
    """From this authenticated `/accounts` request of a UTC day on, a warning is added (spec §8)."""
    quota_block_at: int = 96
    """This request of a UTC day is refused with 403 and the access stays disabled (spec §8)."""
    quota_warning: str = QUOTA_WARNING
    quota_warning_code: str = "gen.api"
    """v2 code of the quota warning: the spec leaves it open (spec §8, simplefin.github.com#39)."""
    max_range_days: int = 90
    recent_window_s: int = SECONDS_PER_DAY
    """How far back transactions go when `start-date` is absent (spec §5)."""
