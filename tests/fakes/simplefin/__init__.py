"""A fake SimpleFIN Bridge, written from the published protocol (see README.md and
/work/shared/specs/simplefin.md), to test SimpleFIN clients against over real HTTP."""

from tests.fakes.simplefin.app import DEFAULT_ROOT_PATH, build_bridge_app
from tests.fakes.simplefin.clock import SECONDS_PER_DAY, FakeClock
from tests.fakes.simplefin.models import (
    ALL_ENDPOINTS,
    Access,
    Account,
    Connection,
    CustomCurrency,
    Endpoint,
    Fault,
    RecordedRequest,
    SetupToken,
    Transaction,
)
from tests.fakes.simplefin.server import RunningBridge, running_bridge
from tests.fakes.simplefin.settings import (
    NO_START_DATE_MESSAGE,
    QUOTA_WARNING,
    RANGE_CAPPED_WARNING,
    BridgeSettings,
)
from tests.fakes.simplefin.state import FORBIDDEN_CLAIM, BridgeState

__all__ = [
    "ALL_ENDPOINTS",
    "DEFAULT_ROOT_PATH",
    "FORBIDDEN_CLAIM",
    "NO_START_DATE_MESSAGE",
    "QUOTA_WARNING",
    "RANGE_CAPPED_WARNING",
    "SECONDS_PER_DAY",
    "Access",
    "Account",
    "BridgeSettings",
    "BridgeState",
    "Connection",
    "CustomCurrency",
    "Endpoint",
    "FakeClock",
    "Fault",
    "RecordedRequest",
    "RunningBridge",
    "SetupToken",
    "Transaction",
    "build_bridge_app",
    "running_bridge",
]
