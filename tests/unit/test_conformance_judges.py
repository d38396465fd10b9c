"""The judges of the contract tests' validating proxy refuse what the descriptions refuse."""

from __future__ import annotations

import orjson

from tests.support.conformance import judge_response

PLAID_ERROR = {
    "error_type": "INVALID_INPUT", "error_code": "INVALID_ACCESS_TOKEN", "error_message": "bad",
    "display_message": None, "request_id": "r1",
}  # fmt: skip


def _judge(method: str, path: str, status: int, body: object, content_type: str = "application/json"):
    return judge_response(method, path, status, content_type, orjson.dumps(body) if body is not None else b"")


def test_a_plaid_enum_outside_the_description_is_a_mismatch() -> None:
    transaction = {"type": "cash.dividend"}
    mismatch = _judge("POST", "/v1/plaid/investments/transactions/get", 200,
                      {"investment_transactions": [transaction], "request_id": "r1"})  # fmt: skip
    assert mismatch is not None
    assert any("investment_transactions/0/type" in p for p in mismatch.problems)


def test_a_plaid_error_is_judged_by_the_default_response() -> None:
    assert _judge("POST", "/v1/plaid/accounts/get", 400, PLAID_ERROR) is None
    broken = _judge("POST", "/v1/plaid/accounts/get", 400, {"error": "nope"})
    assert broken is not None
    assert any("error_code" in p for p in broken.problems)


def test_a_trailing_slash_host_is_judged_as_the_gateway_reads_it() -> None:
    assert _judge("POST", "/v1/plaid//accounts/get", 400, PLAID_ERROR) is None


def test_an_undeclared_status_is_a_mismatch() -> None:
    mismatch = _judge("GET", "/v2/yodlee/accounts/123", 400, {"errorCode": "Y800"})
    assert mismatch is not None
    assert mismatch.problems == ("status 400 is not declared (declared: 200, 401, 404)",)


def test_a_null_where_the_description_says_string_is_a_mismatch() -> None:
    mismatch = _judge("GET", "/v1/mx/users/USR-1/members/MBR-1", 200, {"member": {"institution_guid": None}},
                      content_type="application/vnd.mx.api.v1+json")  # fmt: skip
    assert mismatch is not None
    assert any("member/institution_guid" in p for p in mismatch.problems)


def test_mx_errors_are_allowed_only_in_mx_error_shape() -> None:
    path = "/v1/mx/users/USR-1"
    assert _judge("GET", path, 404, {"error": {"message": "User not found."}}) is None
    mismatch = _judge("GET", path, 404, {"detail": "Not Found"})
    assert mismatch is not None
    assert any("MX error body" in p for p in mismatch.problems)


def test_moneykit_is_judged_by_the_official_clients_models() -> None:
    path = "/v1/moneykit/links/abc/transactions"
    bad_state = {"error_code": "link_error.bad_state", "error_message": "Link is in error.",
                 "link_error_code": "auth_expired"}  # fmt: skip
    assert _judge("GET", path, 422, bad_state) is None
    mismatch = _judge("GET", path, 422, {"error_code": "api_error.request.invalid", "error_message": "x"})
    assert mismatch is not None
    assert "LinkErrorBadStateResponse" in mismatch.problems[0]
    undeclared = _judge("GET", "/v1/moneykit/links", 400, {"error_code": "x", "error_message": "y"})
    assert undeclared is not None
    assert undeclared.problems[0].startswith("status 400 is not declared")


def test_moneykit_user_maps_are_judged_by_their_element_models() -> None:
    """The generated client lost these maps' types (its from_dict refuses every answer); the judge
    checks each value against the model MoneyKit's description names."""
    assert _judge("GET", "/v1/moneykit/users/u1/links", 200, {"links": {}}) is None
    assert _judge("GET", "/v1/moneykit/users/u1/links", 200, {}) is not None
    page = {"total": 0, "page": 1, "size": 50, "transactions": []}
    basic = {"name": "Checking", "institution_id": "credentials_bank", "link_id": "l1"}
    path = "/v1/moneykit/users/u1/transactions"
    assert _judge("GET", path, 200, page | {"accounts": {"a1": basic}}) is None
    full = {"account_id": "a1", "account_type": "depository.checking", "name": "Checking",
            "balances": {"currency": "USD"}}  # fmt: skip
    mismatch = _judge("GET", path, 200, page | {"accounts": {"a1": full}})
    assert mismatch is not None
    assert "validation errors for BasicAccountDetails" in mismatch.problems[0]
    group = _judge("GET", "/v1/moneykit/users/u1/accounts", 200, {"links": {"l1": {"accounts": [full]}}})
    assert group is None


def test_moneykit_undeclared_status_names_its_error_code_and_is_still_parsed() -> None:
    no_fields = {"error_code": "api_error.request.validation_failed", "error_message": "x"}
    mismatch = _judge("GET", "/v1/moneykit/links", 422, no_fields)
    assert mismatch is not None  # the deviation allows the status, not a body the client's model refuses
    assert mismatch.problems == (mismatch.problems[0],)
    assert "HTTPValidationError refuses it" in mismatch.problems[0]
    problem = {"location": ["query", "limit"], "message": "too small", "type": "greater_than_equal"}
    assert _judge("GET", "/v1/moneykit/links", 422, no_fields | {"validation_errors": [problem]}) is None
    session = _judge("POST", "/v1/moneykit/link-session", 422, no_fields | {"validation_errors": [problem]})
    assert session is not None
    assert session.problems[0] == ("status 422 is not declared (declared: 201, 401, 403) "
                                   "for error_code api_error.request.validation_failed")  # fmt: skip


def test_rate_limits_are_a_chosen_deviation_everywhere() -> None:
    assert _judge("GET", "/v2/yodlee/accounts/123", 429, {"errorCode": "Y803"}) is None


def test_unknown_paths_must_be_not_found() -> None:
    assert _judge("POST", "/v1/plaid/no/such/thing", 404, PLAID_ERROR) is None
    mismatch = _judge("POST", "/v1/plaid/no/such/thing", 200, {})
    assert mismatch is not None
    assert mismatch.problems == ("the description has no such operation",)


def test_platform_routes_are_not_judged_here() -> None:
    assert _judge("POST", "/oauth/token", 500, {"whatever": True}) is None
