"""The sandbox provider follows the seed's login table and refresh behaviour exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from providers.base import ChallengeRequired, Connected, FatalProviderError, ReconnectRequired
from providers.registry import ProviderRegistry, UnknownProvider
from providers.sandbox.aba import is_valid_routing_number
from providers.sandbox.adapter import SandboxProvider
from providers.sandbox.liabilities import credit_liability

sandbox = SandboxProvider()


async def connect(username: str, password: str) -> Connected:
    result = await sandbox.complete("credentials_bank", {}, {"username": username, "password": password})
    assert isinstance(result, Connected)
    return result


class TestLoginTable:
    @pytest.mark.parametrize(("username", "password"), [("user_good", "pass_good"), ("user_1", "pass_good"),
                                                        ("user_2", "pass_good")])  # fmt: skip
    async def test_plain_logins_connect(self, username: str, password: str) -> None:
        result = await connect(username, password)
        assert result.provider_link_id.startswith("sbx-")
        assert result.state["username"] == username

    @pytest.mark.parametrize(
        ("username", "password"),
        [
            ("user_good", "wrong"),
            ("user_bad", "pass_good"),
            ("user_1", "mfa_device"),
            ("", ""),
            ("USER_GOOD", "pass_good"),
        ],
    )
    async def test_anything_else_is_invalid_credentials(self, username: str, password: str) -> None:
        with pytest.raises(ReconnectRequired) as raised:
            await sandbox.complete("credentials_bank", {}, {"username": username, "password": password})
        assert raised.value.error_code == "invalid_credentials"

    @pytest.mark.parametrize(
        ("password", "kind", "answers"),
        [
            ("mfa_device", "otp", {"code": "1234"}),
            ("mfa_question", "questions", {"q1": "Hello", "q2": "world "}),
            ("mfa_selections", "selection", {"colour": "Blue"}),
        ],
    )
    async def test_mfa_states_its_answer_and_accepts_it(
        self, password: str, kind: str, answers: dict[str, str]
    ) -> None:
        challenge = await sandbox.complete(
            "credentials_bank", {}, {"username": "user_good", "password": password}
        )
        assert isinstance(challenge, ChallengeRequired)
        assert challenge.challenge.kind == kind
        for prompt in challenge.challenge.prompts:  # each prompt tells the user what to type or pick
            expected = {"code": "1234", "q1": "Hello", "q2": "World", "colour": "Blue"}[prompt.id]
            assert expected in prompt.text
        assert isinstance(await sandbox.answer(challenge.pending, answers), Connected)
        with pytest.raises(ReconnectRequired) as raised:
            await sandbox.answer(challenge.pending, {key: "nope" for key in answers})
        assert raised.value.error_code == "user_input_incorrect"

    async def test_selection_offers_choices(self) -> None:
        challenge = await sandbox.complete(
            "credentials_bank", {}, {"username": "user_good", "password": "mfa_selections"}
        )
        assert isinstance(challenge, ChallengeRequired)
        assert challenge.challenge.prompts[0].options == ("Red", "Green", "Blue")

    async def test_oauth_and_instant_banks(self) -> None:
        assert isinstance(await sandbox.complete("oauth_bank", {}, {"consent": "granted"}), Connected)
        with pytest.raises(ReconnectRequired) as raised:
            await sandbox.complete("oauth_bank", {}, {"consent": "denied"})
        assert raised.value.error_code == "user_oauth_denied"
        assert isinstance(await sandbox.complete("instant_bank", {}, {}), Connected)
        with pytest.raises(ReconnectRequired):
            await sandbox.complete("no_such_bank", {}, {})

    async def test_institutions(self) -> None:
        institutions = {i.provider_institution_id: i for i in await sandbox.institutions()}
        plaid_ids = {"ins_109508", "ins_109509", "ins_109510", "ins_109511", "ins_109512", "ins_130016",
                     "ins_43", "ins_127287"}  # fmt: skip
        assert set(institutions) == {"credentials_bank", "oauth_bank", "instant_bank", "mxbank", *plaid_ids}
        assert institutions["ins_127287"].login == "redirect"  # Platypus OAuth Bank
        assert institutions["ins_43"].country_codes == ("CA",)
        assert [f.name for f in institutions["credentials_bank"].credential_fields] == [
            "username",
            "password",
        ]
        assert institutions["oauth_bank"].login == "redirect"


class TestProductData:
    async def test_accounts_cover_every_kind_and_balances_change(self) -> None:
        link = await connect("user_good", "pass_good")
        first, second = await sandbox.accounts(link.state), await sandbox.accounts(link.state)
        assert [a.subtype for a in first] == ["checking", "savings", "credit_card", "brokerage"]
        assert [a.provider_account_id for a in first] == [a.provider_account_id for a in second]
        assert [a.balance_current for a in first] != [a.balance_current for a in second]
        assert all(isinstance(a.balance_current, Decimal) for a in first)

    async def test_routing_numbers_have_valid_check_digits(self) -> None:
        for _ in range(20):
            link = await connect("user_good", "pass_good")
            for numbers in await sandbox.account_numbers(link.state):
                assert numbers.routing_number is not None
                assert is_valid_routing_number(numbers.routing_number)
        assert not is_valid_routing_number("021000022")  # a real one with its last digit changed
        assert is_valid_routing_number("021000021")

    async def test_static_users_get_the_same_data_on_every_link(self) -> None:
        one, two, other = (
            await connect("user_1", "pass_good"),
            await connect("user_1", "pass_good"),
            await connect("user_2", "pass_good"),
        )
        assert one.provider_link_id != two.provider_link_id
        assert await sandbox.account_numbers(one.state) == await sandbox.account_numbers(two.state)
        assert await sandbox.identity(one.state) == await sandbox.identity(two.state)
        assert (await sandbox.transactions(one.state, None)) == (await sandbox.transactions(two.state, None))
        assert await sandbox.identity(one.state) != await sandbox.identity(other.state)

    async def test_the_seeds_coffee_food_drinks_taxi_example(self) -> None:
        link = await connect("user_1", "pass_good")
        first = await sandbox.transactions(link.state, None)
        assert [(t.description, t.pending) for t in first.upserted] == [("Coffee", False), ("Food", True)]
        food_id = first.upserted[1].provider_transaction_id
        second = await sandbox.transactions(link.state, first.next_cursor)
        assert [(t.description, t.pending) for t in second.upserted] == [
            ("Food", False), ("Drinks", True), ("Taxi", False),
        ]  # fmt: skip
        assert second.upserted[0].provider_transaction_id == food_id

    async def test_every_refresh_adds_a_pending_and_posts_the_last_ones(self) -> None:
        link = await connect("user_good", "pass_good")
        cursor: str | None = None
        previous_pending: set[str] = set()
        for _ in range(5):
            delta = await sandbox.transactions(link.state, cursor)
            posted_now = {t.provider_transaction_id for t in delta.upserted if not t.pending}
            assert previous_pending <= posted_now
            pending = {t.provider_transaction_id for t in delta.upserted if t.pending}
            assert pending
            assert all(
                t.amount >= 0 and t.amount == t.amount.quantize(Decimal("0.01")) for t in delta.upserted
            )
            cursor, previous_pending = delta.next_cursor, pending

    async def test_a_repeated_refresh_returns_the_same_transactions(self) -> None:
        link = await connect("user_good", "pass_good")
        first = await sandbox.transactions(link.state, None)
        assert await sandbox.transactions(link.state, None) == first
        assert await sandbox.transactions(link.state, first.next_cursor) == await sandbox.transactions(
            link.state, first.next_cursor
        )
        assert len(first.upserted) == 25

    async def test_bad_cursor_is_fatal(self) -> None:
        link = await connect("user_good", "pass_good")
        with pytest.raises(FatalProviderError):
            await sandbox.transactions(link.state, "not-a-cursor")

    async def test_investments(self) -> None:
        link = await connect("user_good", "pass_good")
        result = await sandbox.investments(link.state)
        assert {s.ticker_symbol for s in result.securities} == {"VTI", "AAPL", None}
        for holding in result.holdings:
            assert holding.institution_price is not None
            assert holding.institution_value == (holding.quantity * holding.institution_price).quantize(
                Decimal("0.01")
            )
        assert {t.type for t in result.transactions} == {"buy", "cash.dividend"}


def test_registry() -> None:
    registry = ProviderRegistry({"sandbox": SandboxProvider()})
    assert isinstance(registry.get("sandbox"), SandboxProvider)
    assert registry.offers("sandbox")
    assert not registry.offers("teller")
    with pytest.raises(UnknownProvider, match="configured"):
        registry.get("teller")


@pytest.mark.parametrize(
    ("value", "text"),
    [("4.5", "4.50"), ("1200.0000", "1200.00"), ("0.0001", "0.0001"), ("384.05", "384.05"), ("7", "7.00"),
     ("12.3400", "12.34"), ("0", "0.00")],
)  # fmt: skip
def test_moneykit_money_text(value: str, text: str) -> None:
    from formats.moneykit.render import money_text

    assert money_text(Decimal(value)) == text


class TestMxBank:
    async def test_mx_test_credentials(self) -> None:
        assert isinstance(
            await sandbox.complete("mxbank", {}, {"username": "mxuser", "password": "anything"}), Connected
        )
        challenged = await sandbox.complete("mxbank", {}, {"username": "mxuser", "password": "challenge"})
        assert isinstance(challenged, ChallengeRequired)
        [prompt] = challenged.challenge.prompts
        with pytest.raises(ReconnectRequired) as wrong:
            await sandbox.answer(challenged.pending, {prompt.id: "nope"})
        assert wrong.value.error_code == "user_input_incorrect"
        assert isinstance(await sandbox.answer(challenged.pending, {prompt.id: "correct"}), Connected)
        for username, password, code in (("mxuser", "BAD_REQUEST", "institution_error"),
                                         ("mxuser", "UNAUTHORIZED", "invalid_credentials"),
                                         ("someone", "password", "invalid_credentials")):  # fmt: skip
            with pytest.raises(ReconnectRequired) as refused:
                await sandbox.complete("mxbank", {}, {"username": username, "password": password})
            assert refused.value.error_code == code

    async def test_mx_passwords_mean_nothing_at_credentials_bank(self) -> None:
        with pytest.raises(ReconnectRequired):
            await sandbox.complete("credentials_bank", {}, {"username": "user_good", "password": "challenge"})


def test_every_new_history_holds_every_kind_of_spend() -> None:
    """Tests of any collection may look for a credit or a category in a new link: it is always there."""
    import datetime as dt

    from providers.sandbox.generator import HISTORY_SIZE, SPENDS, refresh_transactions

    for number in range(200):
        added = refresh_transactions(f"sbx-seed-{number}", 1, dt.date(2026, 12, 2))
        assert len(added) == HISTORY_SIZE + 1
        assert {t.description for t in added} == {spend.description for spend in SPENDS}
        assert any(t.direction == "credit" and not t.pending for t in added)


class TestCreditLiability:
    def test_the_same_card_on_the_same_day_has_the_same_liability(self) -> None:
        today = dt.date(2026, 3, 30)
        first = credit_liability("seed-a-credit_card", Decimal("1234.56"), today)
        assert first == credit_liability("seed-a-credit_card", Decimal("1234.56"), today)
        others = {
            credit_liability(f"seed-{n}-credit_card", Decimal("1234.56"), today).aprs for n in range(20)
        }
        assert len(others) > 1  # the seed decides

    def test_dates_and_amounts_hang_together(self) -> None:
        for day in range(1, 32):
            today = dt.date(2026, 1, day)
            liability = credit_liability(f"seed-{day}-credit_card", Decimal("2000"), today)
            assert liability.next_payment_due_date is not None
            assert liability.last_statement_issue_date is not None
            assert liability.last_payment_date is not None
            assert today <= liability.next_payment_due_date < today + dt.timedelta(days=57)
            assert liability.last_payment_date < liability.last_statement_issue_date <= today
            assert liability.last_statement_issue_date > today - dt.timedelta(days=32)
            purchase = next(apr for apr in liability.aprs if apr.kind == "purchase")
            interest = (Decimal("2000") * purchase.percentage / 1200).quantize(Decimal("0.01"))
            assert purchase.interest_charged == interest
            assert liability.minimum_payment_amount == max(Decimal(25), Decimal(20) + interest)

    def test_a_small_balance_is_paid_off_by_its_minimum(self) -> None:
        liability = credit_liability("seed-credit_card", Decimal("10.00"), dt.date(2026, 1, 1))
        assert liability.minimum_payment_amount == Decimal("10.00")
        paid_off = credit_liability("seed-credit_card", Decimal("-5.00"), dt.date(2026, 1, 1))
        assert paid_off.minimum_payment_amount == paid_off.last_statement_balance == 0


def test_every_new_history_holds_a_biweekly_payroll_and_a_weekly_coffee() -> None:
    """Plaid's `/transactions/recurring/get` finds them in every new link, always on one account each."""
    from providers.sandbox.generator import refresh_transactions

    for number in range(100):
        added = refresh_transactions(f"sbx-seed-{number}", 1, dt.date(2026, 12, 2))
        for name, every, count in (("Payroll deposit", 14, 4), ("Coffee", 7, 8)):
            posted = [t for t in added if t.description == name and not t.pending]
            dates = sorted(t.date for t in posted)
            assert len(dates) == count
            assert {(later - earlier).days for earlier, later in zip(dates, dates[1:], strict=False)} == {
                every
            }
            assert len({t.provider_account_id for t in posted}) == 1
