"""The Plaid collection through the official plaid-python client, over real HTTP to a running gateway
and worker. Every answer is parsed by the client's own models, which reject missing keys, nulls where
Plaid allows none and numbers sent as strings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import plaid
import pytest
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_request_options import AccountsGetRequestOptions
from plaid.model.address_data_nullable_no_required_fields import AddressDataNullableNoRequiredFields
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.identity_match_request import IdentityMatchRequest
from plaid.model.identity_match_user import IdentityMatchUser
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_request import InstitutionsGetRequest
from plaid.model.institutions_get_request_options import InstitutionsGetRequestOptions
from plaid.model.institutions_search_request import InstitutionsSearchRequest
from plaid.model.institutions_search_request_options import InstitutionsSearchRequestOptions
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.item_access_token_invalidate_request import ItemAccessTokenInvalidateRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.liabilities_get_request_options import LiabilitiesGetRequestOptions
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_recurring_get_request import TransactionsRecurringGetRequest
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from formats.plaid import ids
from tests.support.connect import ConnectPage
from tests.support.moneykit import Gateway
from tests.support.plaid import WIDE_WINDOW, linked_item, plaid_client, plaid_error, wait_for_transactions
from tests.support.processes import wait_until


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> plaid.ApiClient:
    return plaid_client(gateway)


def sync_all(
    client: plaid.ApiClient, access_token: str, cursor: str | None = None, count: int = 2
) -> dict[str, Any]:
    """Pull every page from `cursor` (None: the whole history); returns the pieces and the final cursor."""
    added: list[Any] = []
    modified: list[Any] = []
    removed: list[Any] = []
    pages = 0
    while True:
        request = TransactionsSyncRequest(access_token=access_token, count=count)
        if cursor is not None:
            request.cursor = cursor
        page = client.transactions_sync(request)
        added += page.added
        modified += page.modified
        removed += page.removed
        cursor, pages = page.next_cursor, pages + 1
        if not page.has_more:
            return {
                "added": added,
                "modified": modified,
                "removed": removed,
                "cursor": cursor,
                "pages": pages,
            }


def test_an_item_from_sandbox_token_to_every_read(client: plaid.ApiClient) -> None:
    access_token, item_id = linked_item(client)
    assert access_token.startswith("access-sandbox-")
    uuid.UUID(access_token.removeprefix("access-sandbox-"))  # Plaid's shape: access-<env>-<uuid>
    first = wait_for_transactions(client, access_token)
    assert first.total_transactions == len(first.transactions) == 2  # user_1: Coffee, Food (pending)
    assert [t.name for t in first.transactions] == ["Food", "Coffee"]  # newest first
    food = first.transactions[0]
    assert food.pending is True
    assert isinstance(food.amount, float)
    assert first.request_id

    item = client.item_get(ItemGetRequest(access_token=access_token))
    assert item.item.item_id == item_id
    assert item.item.institution_id == "ins_109508"
    assert {p.value for p in item.item.billed_products} == {"auth", "identity", "investments", "transactions"}
    assert item.item.error is None

    accounts = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert {(a.type.value, a.subtype.value) for a in accounts} == {
        ("depository", "checking"), ("depository", "savings"), ("credit", "credit card"),
        ("investment", "brokerage"),
    }  # fmt: skip
    checking = next(a for a in accounts if a.subtype.value == "checking")
    only = client.accounts_balance_get(
        AccountsBalanceGetRequest(access_token=access_token,
                                  options={"account_ids": [checking.account_id]})
    )  # fmt: skip
    assert [a.account_id for a in only.accounts] == [checking.account_id]
    assert only.accounts[0].balances.current == checking.balances.current

    numbers = client.auth_get(AuthGetRequest(access_token=access_token)).numbers
    assert {n.account_id for n in numbers.ach} <= {a.account_id for a in accounts}
    assert all(len(n.routing) == 9 and n.account for n in numbers.ach)
    assert numbers.eft == numbers.international == numbers.bacs == []

    identity = client.identity_get(IdentityGetRequest(access_token=access_token)).accounts
    assert all(account.owners and account.owners[0].names for account in identity)

    page = client.transactions_get(
        TransactionsGetRequest(access_token=access_token, start_date=WIDE_WINDOW[0], end_date=WIDE_WINDOW[1],
                               options=TransactionsGetRequestOptions(count=1, offset=1))
    )  # fmt: skip
    assert page.total_transactions == 2
    assert [t.name for t in page.transactions] == ["Coffee"]

    holdings = client.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=access_token))
    assert holdings.holdings
    assert {h.security_id for h in holdings.holdings} <= {s.security_id for s in holdings.securities}
    assert all(a.type.value == "investment" for a in holdings.accounts)
    investment_transactions = client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(access_token=access_token, start_date=WIDE_WINDOW[0],
                                          end_date=WIDE_WINDOW[1])
    )  # fmt: skip
    assert investment_transactions.total_investment_transactions == len(
        investment_transactions.investment_transactions
    )
    kinds = {(t.type.value, t.subtype.value) for t in investment_transactions.investment_transactions}
    assert kinds == {("buy", "buy"), ("cash", "dividend")}

    institutions = client.institutions_get(
        InstitutionsGetRequest(count=500, offset=0, country_codes=[CountryCode("US")],
                               options=InstitutionsGetRequestOptions(oauth=False))
    )  # fmt: skip
    institution_ids = {i.institution_id for i in institutions.institutions}
    assert {"ins_109508", "credentials_bank"} <= institution_ids
    assert "ins_127287" not in institution_ids  # Platypus OAuth Bank is OAuth
    assert institutions.total == len(institutions.institutions)
    platypus = client.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_109508", country_codes=[CountryCode("US")])
    ).institution
    assert platypus.name == "First Platypus Bank"
    assert platypus.connection_availability.value == "SUPPORTED"

    link = client.link_token_create(
        LinkTokenCreateRequest(client_name="Test", language="en", country_codes=[CountryCode("US")],
                               user=LinkTokenCreateRequestUser(client_user_id="user-1"),
                               products=[Products("transactions")])
    )  # fmt: skip
    assert link.link_token.startswith("link-sandbox-")
    assert link.expiration > dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)

    client.item_remove(ItemRemoveRequest(access_token=access_token))
    with pytest.raises(plaid.ApiException) as removed:
        client.accounts_get(AccountsGetRequest(access_token=access_token))
    assert removed.value.status == 400
    assert plaid_error(removed.value)["error_code"] == "INVALID_ACCESS_TOKEN"


def test_sync_across_two_refreshes_shows_a_posting_as_removed_and_added(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("transactions",))
    wait_for_transactions(client, access_token)
    first = sync_all(client, access_token, count=1)
    assert first["pages"] == 2
    assert sorted(t.name for t in first["added"]) == ["Coffee", "Food"]
    assert first["modified"] == first["removed"] == []
    pending_food = next(t for t in first["added"] if t.name == "Food")
    assert pending_food.pending is True
    assert sync_all(client, access_token, first["cursor"])["added"] == []  # nothing new yet

    client.transactions_refresh(TransactionsRefreshRequest(access_token=access_token))
    later: dict[str, Any] = {}

    def refreshed() -> bool:
        later.update(sync_all(client, access_token, first["cursor"]))
        return bool(later["added"])

    wait_until(refreshed, timeout_s=30, what="the refresh's changes")
    assert [r.transaction_id for r in later["removed"]] == [pending_food.transaction_id]
    posted_food = next(t for t in later["added"] if t.name == "Food")
    assert posted_food.pending is False
    assert posted_food.pending_transaction_id == pending_food.transaction_id
    assert posted_food.transaction_id != pending_food.transaction_id
    assert sorted(t.name for t in later["added"]) == ["Drinks", "Food", "Taxi"]

    everything = sync_all(client, access_token)  # a new reader sees only today's state
    assert sorted(t.name for t in everything["added"]) == ["Coffee", "Drinks", "Food", "Taxi"]
    assert everything["removed"] == []
    now = client.transactions_sync(TransactionsSyncRequest(access_token=access_token, cursor="now"))
    assert now.added == []
    assert now.has_more is False
    assert sync_all(client, access_token, now.next_cursor)["added"] == []


def test_data_changing_mid_pagination_asks_to_restart(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("transactions",))
    wait_for_transactions(client, access_token)
    start = client.transactions_sync(TransactionsSyncRequest(access_token=access_token, count=1))
    assert start.has_more is True
    client.transactions_refresh(TransactionsRefreshRequest(access_token=access_token))

    errors: list[dict[str, Any]] = []

    def mutated() -> bool:
        try:
            client.transactions_sync(
                TransactionsSyncRequest(access_token=access_token, count=1, cursor=start.next_cursor)
            )
        except plaid.ApiException as exc:
            errors.append(plaid_error(exc))
            return True
        return False

    wait_until(mutated, timeout_s=30, what="the refresh to change the data mid-pagination")
    assert errors[0]["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    assert errors[0]["error_type"] == "TRANSACTIONS_ERROR"
    restarted = sync_all(client, access_token)  # from the first cursor of the update: works again
    assert sorted(t.name for t in restarted["added"]) == ["Coffee", "Drinks", "Food", "Taxi"]


def test_reset_login_then_update_mode_repairs_the_same_item(
    gateway: Gateway, client: plaid.ApiClient
) -> None:
    access_token, item_id = linked_item(client, products=("transactions",))
    wait_for_transactions(client, access_token)
    assert client.sandbox_item_reset_login(
        SandboxItemResetLoginRequest(access_token=access_token)
    ).reset_login
    with pytest.raises(plaid.ApiException) as login_required:
        client.accounts_get(AccountsGetRequest(access_token=access_token))
    error = plaid_error(login_required.value)
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert error["display_message"]
    assert (
        client.item_get(ItemGetRequest(access_token=access_token)).item.error.error_code
        == "ITEM_LOGIN_REQUIRED"
    )

    update = client.link_token_create(
        LinkTokenCreateRequest(client_name="Test", language="en", country_codes=[CountryCode("US")],
                               user=LinkTokenCreateRequestUser(client_user_id="user-1"),
                               access_token=access_token)
    )  # fmt: skip
    page = ConnectPage(gateway.base_url, update.link_token)
    assert page.step()["state"] == "institution_selected"  # straight to the Item's bank
    chosen = page.step("/credentials", {"credentials": {"username": "user_good", "password": "pass_good"}})
    done = page.step("/accounts", {"account_ids": [a["id"] for a in chosen["accounts"]]})
    assert done["exchangeable_token"].startswith("public-sandbox-")
    repaired = client.item_get(ItemGetRequest(access_token=access_token)).item  # no exchange in update mode
    assert repaired.item_id == item_id
    assert repaired.error is None
    link = gateway.get(f"/links/{ids.decode(item_id)}")
    assert link["state"] == "connected"  # connected again at once, and refreshing
    wait_until(lambda: bool(client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts),
               timeout_s=30, what="the repaired Item's accounts")  # fmt: skip


def test_a_host_with_a_trailing_slash_still_works(gateway: Gateway) -> None:
    slashed = plaid_client(gateway, host_suffix="/")
    access_token, _ = linked_item(slashed, products=("transactions",))
    assert slashed.item_get(ItemGetRequest(access_token=access_token)).item.item_id


def test_account_filters_name_only_the_items_accounts(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("transactions",))
    wait_for_transactions(client, access_token)
    other_token, _ = linked_item(client, products=("transactions",))
    wait_for_transactions(client, other_token)
    foreign = client.accounts_get(AccountsGetRequest(access_token=other_token)).accounts[0].account_id
    with pytest.raises(plaid.ApiException) as refused:
        client.accounts_get(
            AccountsGetRequest(
                access_token=access_token, options=AccountsGetRequestOptions(account_ids=[foreign])
            )
        )
    assert plaid_error(refused.value)["error_code"] == "INVALID_ACCOUNT_ID"


def test_link_tokens_read_back_and_access_tokens_rotate(gateway: Gateway, client: plaid.ApiClient) -> None:
    created = client.link_token_create(
        LinkTokenCreateRequest(client_name="Test App", language="en", country_codes=[CountryCode("US")],
                               user=LinkTokenCreateRequestUser(client_user_id="user-9"),
                               products=[Products("transactions"), Products("auth")],
                               webhook="http://127.0.0.1:9/hook")
    )  # fmt: skip
    got = client.link_token_get(LinkTokenGetRequest(link_token=created.link_token))
    assert got.link_token == created.link_token
    assert abs(got.expiration - created.expiration) < dt.timedelta(seconds=1)
    assert got.created_at <= got.expiration
    assert got.metadata.client_name == "Test App"
    assert got.metadata.language == "en"
    assert [c.value for c in got.metadata.country_codes] == ["US"]
    assert [p.value for p in got.metadata.initial_products] == ["transactions", "auth"]
    assert got.metadata.webhook == "http://127.0.0.1:9/hook"
    assert got.link_sessions == []  # nobody has opened it yet
    page = ConnectPage(gateway.base_url, created.link_token)
    page.step("/institution", {"institution_id": "ins_109508"})
    chosen = page.step("/credentials", {"credentials": {"username": "user_good", "password": "pass_good"}})
    page.step("/accounts", {"account_ids": [a["id"] for a in chosen["accounts"]]})
    (finished,) = client.link_token_get(LinkTokenGetRequest(link_token=created.link_token)).link_sessions
    assert finished.link_session_id
    assert got.created_at <= finished.finished_at

    access_token, item_id = linked_item(client, products=("transactions",))
    rotated = client.item_access_token_invalidate(ItemAccessTokenInvalidateRequest(access_token=access_token))
    assert rotated.new_access_token.startswith("access-sandbox-")
    assert rotated.new_access_token != access_token
    with pytest.raises(plaid.ApiException) as old:
        client.item_get(ItemGetRequest(access_token=access_token))
    assert plaid_error(old.value)["error_code"] == "INVALID_ACCESS_TOKEN"
    assert client.item_get(ItemGetRequest(access_token=rotated.new_access_token)).item.item_id == item_id


def test_institutions_search_by_name(client: plaid.ApiClient) -> None:
    found = client.institutions_search(
        InstitutionsSearchRequest(query="platypus", country_codes=[CountryCode("US")])
    ).institutions
    names = [i.name for i in found]
    assert "First Platypus Bank" in names
    assert all("platypus" in name.lower() for name in names)
    assert names == sorted(names)
    only_oauth = client.institutions_search(
        InstitutionsSearchRequest(query="platypus", country_codes=[CountryCode("US")],
                                  options=InstitutionsSearchRequestOptions(oauth=True))
    ).institutions  # fmt: skip
    assert {i.institution_id for i in only_oauth} == {"ins_127287"}
    nothing = client.institutions_search(
        InstitutionsSearchRequest(query="no such bank anywhere", country_codes=[CountryCode("US")])
    )
    assert nothing.institutions == []
    wildcard = client.institutions_search(
        InstitutionsSearchRequest(query="%", country_codes=[CountryCode("US")])
    )
    assert wildcard.institutions == []  # a letter, not a pattern


def test_the_sandbox_credit_card_has_liabilities(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("transactions",))
    wait_for_transactions(client, access_token)
    answer = client.liabilities_get(LiabilitiesGetRequest(access_token=access_token))
    assert [(a.type.value, a.subtype.value) for a in answer.accounts] == [("credit", "credit card")]
    card = answer.accounts[0]
    (credit,) = answer.liabilities.credit
    assert credit.account_id == card.account_id
    assert answer.liabilities.mortgage == answer.liabilities.student == []
    assert {apr.apr_type for apr in credit.aprs} == {"purchase_apr", "cash_apr"}
    purchase = next(apr for apr in credit.aprs if apr.apr_type == "purchase_apr")
    assert 0 < purchase.apr_percentage < 40
    assert credit.last_statement_balance == card.balances.current
    assert 0 < credit.minimum_payment_amount <= max(credit.last_statement_balance, 25)
    assert credit.last_payment_date < credit.last_statement_issue_date <= dt.date.today()
    assert credit.next_payment_due_date >= dt.date.today() - dt.timedelta(days=1)  # the client's zone
    assert credit.is_overdue is False
    again = client.liabilities_get(LiabilitiesGetRequest(access_token=access_token)).liabilities.credit[0]
    assert (again.aprs, again.next_payment_due_date) == (credit.aprs, credit.next_payment_due_date)

    checking = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    only_checking = client.liabilities_get(LiabilitiesGetRequest(
        access_token=access_token, options=LiabilitiesGetRequestOptions(
            account_ids=[a.account_id for a in checking if a.subtype.value == "checking"])
    ))  # fmt: skip
    assert only_checking.accounts == only_checking.liabilities.credit == []


def test_recurring_streams_of_a_new_items_history(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, username="user_good", products=("transactions",))
    history = wait_for_transactions(client, access_token)
    answer = client.transactions_recurring_get(TransactionsRecurringGetRequest(access_token=access_token))
    assert answer.updated_datetime
    (payroll,) = [s for s in answer.inflow_streams if s.merchant_name == "Acme Corp"]
    assert payroll.frequency.value == "BIWEEKLY"
    assert payroll.average_amount.amount < 0  # money in, Plaid's sign
    assert payroll.status.value == "MATURE"
    assert payroll.is_active is True
    assert payroll.predicted_next_date == payroll.last_date + dt.timedelta(days=14)
    (coffee,) = [s for s in answer.outflow_streams if s.merchant_name == "Blue Bottle"]
    assert coffee.frequency.value == "WEEKLY"
    assert coffee.average_amount.amount > 0
    assert len(coffee.transaction_ids) == 8
    by_id = {t.transaction_id: t for t in history.transactions}
    assert {by_id[i].name for i in coffee.transaction_ids} == {"Coffee"}
    assert {by_id[i].account_id for i in coffee.transaction_ids} == {coffee.account_id}
    assert all(s.frequency.value != "UNKNOWN" for s in [*answer.inflow_streams, *answer.outflow_streams])

    only_checking = client.transactions_recurring_get(
        TransactionsRecurringGetRequest(access_token=access_token, account_ids=[payroll.account_id])
    )
    assert [s.stream_id for s in only_checking.inflow_streams] == [payroll.stream_id]
    assert all(s.account_id == payroll.account_id for s in only_checking.outflow_streams)


def test_identity_match_scores_each_account_against_its_owners(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("identity",))
    wait_until(lambda: _identity_ready(client, access_token), timeout_s=30, what="the Item's identity")
    owner = client.identity_get(IdentityGetRequest(access_token=access_token)).accounts[0].owners[0]
    address = owner.addresses[0].data
    exact = client.identity_match(IdentityMatchRequest(access_token=access_token, user=IdentityMatchUser(
        legal_name=owner.names[0], phone_number=owner.phone_numbers[0].data,
        email_address=owner.emails[0].data.upper(),
        address=AddressDataNullableNoRequiredFields(street=address.street, city=address.city,
                                                    region=address.region, postal_code=address.postal_code,
                                                    country=address.country),
    )))  # fmt: skip
    assert len(exact.accounts) == 4
    for account in exact.accounts:
        assert account.legal_name.score == 100
        assert account.phone_number.score == 100
        assert account.email_address.score == 100
        assert account.address.score == 100
        assert account.address.is_postal_code_match is True

    first, *_, last = owner.names[0].split()
    other = client.identity_match(IdentityMatchRequest(access_token=access_token, user=IdentityMatchUser(
        legal_name=f"Zed {last}", email_address=f"{first}+bank@elsewhere.example",
    )))  # fmt: skip
    account = other.accounts[0]
    assert account.legal_name.score == 70
    assert account.legal_name.is_first_name_or_last_name_match is True
    assert account.email_address.score < 70
    assert account.phone_number.score is None  # not sent
    assert account.address.score is None


def _identity_ready(client: plaid.ApiClient, access_token: str) -> bool:
    try:
        client.identity_get(IdentityGetRequest(access_token=access_token))
    except plaid.ApiException as exc:
        if plaid_error(exc)["error_code"] != "PRODUCT_NOT_READY":
            raise
        return False
    return True
