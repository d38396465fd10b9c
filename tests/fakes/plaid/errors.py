"""Plaid errors: the codes the fake answers with, their `error_type`, HTTP status and messages
(plaid-upstream.md §10, plaid.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

JsonObject = dict[str, object]


@dataclass(frozen=True)
class ErrorKind:
    error_type: str
    status: int
    message: str
    display_message: str | None = None


_BANK_DOWN = (
    "This financial institution is not currently responding to requests. We apologize for the inconvenience."
)
ERRORS: dict[str, ErrorKind] = {
    "INVALID_API_KEYS": ErrorKind("INVALID_INPUT", 400, "invalid client_id or secret provided"),
    "INVALID_ACCESS_TOKEN": ErrorKind(
        "INVALID_INPUT", 400, "provided access token is in an invalid format or does not exist"
    ),
    "INVALID_PUBLIC_TOKEN": ErrorKind(
        "INVALID_INPUT", 400, "provided public token is expired, already exchanged or does not exist"
    ),
    "INVALID_LINK_TOKEN": ErrorKind("INVALID_INPUT", 400, "provided link token is expired or does not exist"),
    "INVALID_ACCOUNT_ID": ErrorKind("INVALID_INPUT", 400, "one or more of the account IDs is invalid"),
    "INVALID_INSTITUTION": ErrorKind("INVALID_INPUT", 400, "invalid institution_id provided"),
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID": ErrorKind("INVALID_INPUT", 400, "invalid key_id provided"),
    "ITEM_LOGIN_REQUIRED": ErrorKind(
        "ITEM_ERROR",
        400,
        "the login details of this item have changed (credentials, MFA, or required user action) and a user "
        "login is required to update this information. use Link's update mode to restore the item to a good "
        "state",
        "The login details of this item have changed. Please log in again to restore access.",
    ),
    "USER_PERMISSION_REVOKED": ErrorKind(
        "ITEM_ERROR", 400, "the user revoked access to this item", "The user revoked access to this item."
    ),
    "PRODUCT_NOT_READY": ErrorKind(
        "ITEM_ERROR",
        400,
        "the requested product is not yet ready. please provide a webhook or try again later",
    ),
    "PRODUCTS_NOT_SUPPORTED": ErrorKind(
        "ITEM_ERROR", 400, "this item does not support the requested product"
    ),
    "INSTITUTION_DOWN": ErrorKind(
        "INSTITUTION_ERROR", 400, "this institution is not currently responding to this request", _BANK_DOWN
    ),
    "INSTITUTION_NOT_RESPONDING": ErrorKind(
        "INSTITUTION_ERROR", 400, "this institution is not currently responding to this request", _BANK_DOWN
    ),
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": ErrorKind(
        "TRANSACTIONS_ERROR",
        400,
        "Underlying transaction data changed since last page was fetched. Please restart pagination from "
        "last update.",
    ),
    "RATE_LIMIT_EXCEEDED": ErrorKind("RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for this endpoint"),
    "INTERNAL_SERVER_ERROR": ErrorKind("API_ERROR", 500, "an unexpected error occurred"),
    "PLANNED_MAINTENANCE": ErrorKind("API_ERROR", 503, "the Plaid API is under planned maintenance"),
    "INVALID_BODY": ErrorKind("INVALID_REQUEST", 400, "body could not be parsed as JSON"),
    "INVALID_FIELD": ErrorKind("INVALID_REQUEST", 400, "a field of the request is invalid"),
    "MISSING_FIELDS": ErrorKind("INVALID_REQUEST", 400, "the following required fields are missing"),
    "UNKNOWN_FIELDS": ErrorKind(
        "INVALID_REQUEST", 400, "the following fields are not recognized by this endpoint"
    ),
    "INVALID_HEADERS": ErrorKind("INVALID_REQUEST", 400, "some required headers are missing or invalid"),
    "INCOMPATIBLE_API_VERSION": ErrorKind(
        "INVALID_REQUEST", 400, "the Plaid-Version header is not supported"
    ),
    "NOT_FOUND": ErrorKind("INVALID_REQUEST", 404, "not found"),
    "SANDBOX_PRODUCT_NOT_ENABLED": ErrorKind(
        "SANDBOX_ERROR", 400, "the item does not have the product enabled"
    ),
    "SANDBOX_WEBHOOK_INVALID": ErrorKind("SANDBOX_ERROR", 400, "the item has no valid webhook"),
    "INCORRECT_LINK_TOKEN": ErrorKind(
        "OAUTH_ERROR", 400, "the link token does not match the one that started the OAuth flow"
    ),
    "OAUTH_STATE_ID_ALREADY_PROCESSED": ErrorKind(
        "OAUTH_ERROR", 400, "the oauth_state_id was already processed"
    ),
    "INCORRECT_OAUTH_NONCE": ErrorKind("OAUTH_ERROR", 400, "the oauth_state_id is not known"),
}


def kind_of(error_code: str) -> ErrorKind:
    """The kind of a known code; any other `*_LIMIT` is a 429 RATE_LIMIT_EXCEEDED (plaid.md §5.2)."""
    if error_code in ERRORS:
        return ERRORS[error_code]
    if error_code.endswith("_LIMIT"):
        return ErrorKind("RATE_LIMIT_EXCEEDED", 429, f"{error_code.lower()} exceeded")
    raise KeyError(f"the fake Plaid does not know the error code {error_code!r}")


class PlaidFailure(Exception):
    """Raised inside the fake to answer with a PlaidError; `detail` replaces the default message."""

    def __init__(self, error_code: str, detail: str | None = None) -> None:
        self.error_code = error_code
        self.kind = kind_of(error_code)
        self.message = detail or self.kind.message
        super().__init__(f"{error_code}: {self.message}")

    @property
    def status(self) -> int:
        return self.kind.status

    def body(self, request_id: str) -> JsonObject:
        """The top-level PlaidError body of an HTTP error answer."""
        return {
            "error_type": self.kind.error_type,
            "error_code": self.error_code,
            "error_code_reason": None,
            "error_message": self.message,
            "display_message": self.kind.display_message,
            "request_id": request_id,
            "documentation_url": f"https://plaid.com/docs/errors/#{self.error_code.lower()}",
            "suggested_action": None,
        }

    def webhook_error(self) -> JsonObject:
        """The PlaidError embedded in a webhook: `status` set, no `request_id` (plaid.md §6.2)."""
        body = self.body("")
        del body["request_id"]
        body["status"] = self.status
        return body
