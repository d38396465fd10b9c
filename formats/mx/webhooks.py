"""MX webhooks (docs.mx.com resources/webhooks): unified events rendered as MX bodies.

| unified event                    | MX webhook                                                       |
| transactions.updates_available   | AGGREGATION / member_data_updated with the transaction counts    |
| link.state_changed (into error)  | CONNECTION_STATUS / CHANGED, for the statuses MX announces       |

MX timestamps in webhooks are Unix integers. MX signs nothing; the gateway's Standard Webhooks headers
go with every delivery regardless of format, so receivers may verify them.
"""

from __future__ import annotations

from typing import Any, TypedDict

from formats.mx.render import ERROR_STATUSES, connection_status_id, guid
from formats.webhook import EventView, SendContext

# MX fires CONNECTION_STATUS only on entering one of these.
ANNOUNCED_STATUSES = frozenset(
    {"CHALLENGED", "DENIED", "EXPIRED", "IMPAIRED", "IMPEDED", "LOCKED", "PREVENTED", "REJECTED"}
)


class MxEventContext(TypedDict):
    """What MX bodies need beyond the event: the guid of the member's user."""

    user_guid: str | None


class MxWebhooks:
    """Renders with an `MxEventContext` as `EventView.context`."""

    name = "mx"

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        if event.link_id is None:
            return None
        common = {"member_guid": guid("member", event.link_id), "user_guid": event.context.get("user_guid")}
        match event.event_type:
            case "transactions.updates_available":
                return {
                    "type": "AGGREGATION", "action": "member_data_updated",
                    "completed_at": int(event.occurred_at.timestamp()),
                    "completed_on": event.occurred_at.date().isoformat(), "is_background": False,
                    "job_guid": f"JOB-{event.event_id or idempotency_key}",
                    "transactions_created_count": int(event.payload.get("created", 0)),
                    "transactions_updated_count": int(event.payload.get("updated", 0)),
                    "user_id": None, **common,
                }  # fmt: skip
            case "link.state_changed" if event.payload.get("state") == "error":
                status = ERROR_STATUSES.get(str(event.payload.get("error")), "FAILED")
                if status not in ANNOUNCED_STATUSES:
                    return None
                message = event.payload.get("error_message")
                return {"type": "CONNECTION_STATUS", "action": "CHANGED", "connection_status": status,
                        "connection_status_id": connection_status_id(status),
                        "connection_status_message": message, **common}  # fmt: skip
        return None

    def headers(self, context: SendContext) -> dict[str, str]:
        return {}


MX_WEBHOOKS = MxWebhooks()
