"""A fake Plaid API (the upstream a Plaid adapter calls) and a fake Plaid Link script, written from
/work/shared/specs/plaid-upstream.md, plaid.md and the OpenAPI file; see README.md."""

from tests.fakes.plaid.app import PLAID_VERSION, build_plaid_app
from tests.fakes.plaid.catalog import DEFAULT_ACCOUNTS, INSTITUTIONS
from tests.fakes.plaid.clock import FakeClock
from tests.fakes.plaid.errors import ERRORS, PlaidFailure
from tests.fakes.plaid.models import (
    ENDPOINTS,
    AccountSpec,
    Delivery,
    Institution,
    Item,
    LinkToken,
    RecordedRequest,
    Transaction,
    Violation,
    WebhookTampering,
)
from tests.fakes.plaid.server import RunningPlaid, running_plaid
from tests.fakes.plaid.state import DEFAULT_CREDENTIALS, PlaidState

__all__ = [
    "DEFAULT_ACCOUNTS",
    "DEFAULT_CREDENTIALS",
    "ENDPOINTS",
    "ERRORS",
    "INSTITUTIONS",
    "PLAID_VERSION",
    "AccountSpec",
    "Delivery",
    "FakeClock",
    "Institution",
    "Item",
    "LinkToken",
    "PlaidFailure",
    "PlaidState",
    "RecordedRequest",
    "RunningPlaid",
    "Transaction",
    "Violation",
    "WebhookTampering",
    "build_plaid_app",
    "running_plaid",
]
