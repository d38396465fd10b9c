"""Reconciling windows from upstreams without a cursor (gateway/transactions/reconcile.py), case by case.

Each case is what the link holds, what the window returns, and the delta expected. An upsert reads
`id` (posted), `id pending`, or `id<-pending_id` when the posting names the pending one it replaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from gateway.transactions.reconcile import (
    COMPARED_FIELDS,
    ReconcileRules,
    StoredTransaction,
    description_words,
    descriptions_compatible,
    reconcile,
)
from gateway.transactions.repository import TRACKED_FIELDS
from providers.base import NormalizedTransaction, TransactionsDelta, TransactionsWindow

DAY_0 = dt.date(2026, 11, 1)


def day(n: int) -> dt.date:
    return DAY_0 + dt.timedelta(days=n)


def posted(
    provider_id: str, amount: str = "4.50", on: int = 10, description: str = "Blue Bottle Coffee",
    account: str = "acc-1", **extra: object,
) -> NormalizedTransaction:  # fmt: skip
    fields: dict[str, object] = {
        "provider_transaction_id": provider_id, "provider_account_id": account, "amount": Decimal(amount),
        "direction": "debit", "currency": "USD", "date": day(on), "description": description,
        "pending": False,
    }  # fmt: skip
    return NormalizedTransaction(**(fields | extra))  # type: ignore[arg-type]


def pending(
    provider_id: str, amount: str = "4.50", on: int = 10, description: str = "BLUE BOTTLE COFFEE #0412",
    account: str = "acc-1", **extra: object,
) -> NormalizedTransaction:  # fmt: skip
    return posted(provider_id, amount, on, description, account, **({"pending": True} | extra))


def stored(transaction: NormalizedTransaction) -> StoredTransaction:
    """What the link holds after it took `transaction` in."""
    names = ("provider_transaction_id", *COMPARED_FIELDS)
    return StoredTransaction(**{name: getattr(transaction, name) for name in names})


@dataclass(frozen=True)
class Case:
    held: tuple[NormalizedTransaction, ...]
    window: tuple[NormalizedTransaction, ...]
    upserted: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    start: int = 0
    end: int | None = None
    accounts: tuple[str, ...] = ("acc-1", "acc-2")
    rules: ReconcileRules = field(default_factory=ReconcileRules)
    renamed: dict[str, str] = field(default_factory=dict)


CASES = {
    "unchanged snapshot: nothing": Case(
        held=(posted("T1"), pending("P1", on=12)),
        window=(posted("T1"), pending("P1", on=12)),
    ),
    "first window: everything created": Case(
        held=(),
        window=(posted("T1"), pending("P1", on=12)),
        upserted=("T1", "P1 pending"),
    ),
    "a changed amount under the same id: updated": Case(
        held=(posted("T1"),),
        window=(posted("T1", amount="5.00"),),
        upserted=("T1",),
    ),
    "a pending one still there stays pending, updated when it changed": Case(
        held=(pending("P1"), pending("P2")),
        window=(pending("P1"), pending("P2", amount="6.00")),
        upserted=("P2 pending",),
    ),
    "the same id posts: updated, nothing removed": Case(
        held=(pending("P1"),),
        window=(posted("P1", description="BLUE BOTTLE COFFEE #0412"),),
        upserted=("P1",),
    ),
    "the id changes on posting: posted names the pending, the pending is removed": Case(
        held=(pending("P1", on=10),),
        window=(posted("T1", on=12),),
        upserted=("T1<-P1",),
        removed=("P1",),
    ),
    "the amount changes on posting, a tip within the tolerance: matched": Case(
        held=(pending("P1", amount="40.00", description="JOE'S DINER"),),
        window=(posted("T1", amount="48.00", description="Joe's Diner"),),
        upserted=("T1<-P1",),
        removed=("P1",),
    ),
    "the amount changes beyond the tolerance: no match, the vanished pending is removed": Case(
        held=(pending("P1", amount="40.00", description="JOE'S DINER"),),
        window=(posted("T1", amount="50.01", description="Joe's Diner"),),
        upserted=("T1",),
        removed=("P1",),
    ),
    "a smaller tolerance refuses the tip": Case(
        held=(pending("P1", amount="40.00", description="JOE'S DINER"),),
        window=(posted("T1", amount="48.00", description="Joe's Diner"),),
        upserted=("T1",),
        removed=("P1",),
        rules=ReconcileRules(amount_tolerance=Decimal("0.10")),
    ),
    "two identical coffees on the same day: one posting each": Case(
        held=(pending("P1"), pending("P2")),
        window=(posted("T1"), posted("T2")),
        upserted=("T1<-P1", "T2<-P2"),
        removed=("P1", "P2"),
    ),
    "two identical coffees, only one posts: one pair, the other pending vanished": Case(
        held=(pending("P1"), pending("P2")),
        window=(posted("T1"),),
        upserted=("T1<-P1",),
        removed=("P1", "P2"),
    ),
    "two identical coffees, one posts and one is still pending": Case(
        held=(pending("P1"), pending("P2")),
        window=(posted("T1"), pending("P2")),
        upserted=("T1<-P1",),
        removed=("P1",),
    ),
    "an exact amount wins over a closer date": Case(
        held=(pending("P1", amount="9.00", on=11), pending("P2", amount="10.00", on=14)),
        window=(posted("T1", amount="10.00", on=11),),
        upserted=("T1<-P2",),
        removed=("P1", "P2"),
    ),
    "then the smaller change": Case(
        held=(pending("P1", amount="9.00"), pending("P2", amount="9.50")),
        window=(posted("T1", amount="10.00"),),
        upserted=("T1<-P2",),
        removed=("P1", "P2"),
    ),
    "then an amount that grew (a tip) before one that shrank": Case(
        held=(pending("P1", amount="10.00"), pending("P2", amount="11.50")),
        window=(posted("T1", amount="11.00"),),
        upserted=("T1<-P1",),
        removed=("P1", "P2"),
    ),
    "two bills at one place, both tipped: each posting pairs with its own": Case(
        held=(
            pending("P1", amount="60.50", description="Joe's Diner"),
            pending("P2", amount="75.50", description="Joe's Diner"),
        ),  # fmt: skip
        window=(
            posted("T1", amount="69.58", description="Joe's Diner"),
            posted("T2", amount="86.82", description="Joe's Diner"),
        ),  # fmt: skip
        upserted=("T1<-P1", "T2<-P2"),
        removed=("P1", "P2"),
    ),
    "then the nearest date": Case(
        held=(pending("P1", on=4), pending("P2", on=9)),
        window=(posted("T1", on=10),),
        upserted=("T1<-P2",),
        removed=("P1", "P2"),
    ),
    "a posting too many days after the pending one is not its posting": Case(
        held=(pending("P1", on=1),),
        window=(posted("T1", on=10),),
        upserted=("T1",),
        removed=("P1",),
    ),
    "another account, direction, currency or payee is not a posting": Case(
        held=(
            pending("P1", account="acc-2"),
            pending("P2", direction="credit"),
            pending("P3", currency="CAD"),
            pending("P4", description="Peet's Coffee"),
        ),  # fmt: skip
        window=(posted("T1"),),
        upserted=("T1",),
        removed=("P1", "P2", "P3", "P4"),
    ),
    "the same merchant name matches whatever the descriptions say": Case(
        held=(pending("P1", description="SQ *BB 0412", merchant_name="Blue Bottle"),),
        window=(posted("T1", description="Blue Bottle Coffee Oakland", merchant_name="BLUE BOTTLE"),),
        upserted=("T1<-P1",),
        removed=("P1",),
    ),
    "an upstream that names the pending itself: kept, and that pending is removed": Case(
        held=(pending("P1", on=1),),
        window=(posted("T1", on=12, pending_transaction_id="P1"),),
        upserted=("T1<-P1",),
        removed=("P1",),
        start=5,
    ),
    "a posting keeps the pending it was matched to when the upstream does not name it": Case(
        held=(posted("T1", pending_transaction_id="P1"),),
        window=(posted("T1"),),
    ),
    "a late transaction, older than earlier windows but inside this one: created": Case(
        held=(posted("T1", on=20),),
        window=(posted("L1", on=2, description="Late fee"), posted("T1", on=20)),
        upserted=("L1",),
    ),
    "posted transactions missing from the window are not removed": Case(
        held=(posted("T1", on=3), posted("T2", on=12)),
        window=(posted("T2", on=12),),
    ),
    "an account that disappears removes nothing of it": Case(
        held=(pending("P1", account="acc-2"), posted("T1", account="acc-2")),
        window=(posted("T2"),),
        upserted=("T2",),
        accounts=("acc-1",),
    ),
    "a window that shrinks removes only the pending ones it still covers": Case(
        held=(pending("P1", on=2), pending("P2", on=6, description="Tartine")),
        window=(),
        removed=("P2",),
        start=5,
    ),
    "the end is exclusive": Case(
        held=(pending("P1", on=9), pending("P2", on=10, description="Tartine")),
        window=(),
        removed=("P1",),
        end=10,
    ),
    "the upstream renumbers posted transactions it served (id rotation): new ids, nothing created": Case(
        held=(posted("T1", on=3, description="Rent"), posted("T2", on=12)),
        window=(posted("R1", on=3, description="Rent"), posted("R2", on=12)),
        renamed={"R1": "T1", "R2": "T2"},
    ),
    "a renumbered transaction that also changed: renamed, then updated": Case(
        held=(posted("T1"),),
        window=(posted("R1", description="Blue Bottle Coffee Oakland"),),
        upserted=("R1",),
        renamed={"R1": "T1"},
    ),
    "a stored posting the window does not cover is not renumbered": Case(
        held=(posted("T1", on=2),),
        window=(posted("R1", on=6),),
        upserted=("R1",),
        start=5,
    ),
    "another amount is not a renumbering": Case(
        held=(posted("T1", amount="4.50"),),
        window=(posted("R1", amount="5.00"),),
        upserted=("R1",),
    ),
    "the posting of a vanished pending is paired before any renumbering": Case(
        held=(pending("P1"), posted("T1")),  # T1 too could be what X1 renumbers
        window=(posted("X1"),),
        upserted=("X1<-P1",),
        removed=("P1",),
    ),
    "a pending posting outside the window still pairs (the posting proves it)": Case(
        held=(pending("P1", on=4),),
        window=(posted("T1", on=6),),
        upserted=("T1<-P1",),
        removed=("P1",),
        start=5,
    ),
}


def described(delta: TransactionsDelta) -> tuple[tuple[str, ...], tuple[str, ...]]:
    def one(t: NormalizedTransaction) -> str:
        if t.pending:
            return f"{t.provider_transaction_id} pending"
        if t.pending_transaction_id:
            return f"{t.provider_transaction_id}<-{t.pending_transaction_id}"
        return t.provider_transaction_id

    return tuple(one(t) for t in delta.upserted), tuple(sorted(delta.removed))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_reconcile(case: Case) -> None:
    window = TransactionsWindow(
        start=day(case.start), end=None if case.end is None else day(case.end), accounts=case.accounts,
        transactions=case.window, next_cursor="read-1",
    )  # fmt: skip
    delta = reconcile(window, [stored(t) for t in case.held], case.rules)
    assert described(delta) == (case.upserted, case.removed)
    assert delta.renamed == case.renamed
    assert delta.next_cursor == "read-1"


def test_the_posting_carries_what_the_upstream_sent_and_the_pending_id() -> None:
    window = TransactionsWindow(day(0), None, ("acc-1",), (posted("T1", amount="48.00", on=12),))
    delta = reconcile(window, [stored(pending("P1", amount="40.00"))], ReconcileRules())
    assert delta.upserted == (posted("T1", amount="48.00", on=12, pending_transaction_id="P1"),)
    assert delta.next_cursor == ""  # no cursor in the window


def test_a_stored_posting_of_a_matched_pending_is_not_matched_again() -> None:
    """Once paired, the posting is known by id: a later window pairs nothing and removes nothing more."""
    held = [stored(posted("T1", pending_transaction_id="P1")), stored(pending("P2"))]
    window = TransactionsWindow(day(0), None, ("acc-1",), (posted("T1"), pending("P2")))
    assert reconcile(window, held, ReconcileRules()) == TransactionsDelta((), (), "")


def test_the_compared_fields_are_the_change_logs_tracked_fields() -> None:
    assert [n.replace("provider_account_id", "account_id") for n in COMPARED_FIELDS] == list(TRACKED_FIELDS)


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ("STARBUCKS", ("starbucks",)),
        ("POS PURCHASE STARBUCKS #1234 SEATTLE WA", ("starbucks", "seattle", "wa")),
        ("Blue-Bottle   Coffee 03/12", ("blue", "bottle", "coffee")),
        ("AMAZON.COM*2K4LM1", ("amazon", "com")),
        ("Café Rouge", ("café", "rouge")),
        ("PENDING AUTHORIZATION 0412", ()),
        ("", ()),
    ],
)
def test_description_words(description: str, words: tuple[str, ...]) -> None:
    assert description_words(description) == words


@pytest.mark.parametrize(
    ("first", "second", "compatible"),
    [
        ("Starbucks", "STARBUCKS STORE 1234 SEATTLE", True),  # one a prefix of the other
        ("Blue Bottle Coffee #12", "BLUE BOTTLE COFFEE OAKLAND CA", True),  # the first three words
        ("Blue Bottle Coffee", "Blue Bottle Tea", False),
        ("The Home Depot", "The Cheesecake Factory", False),
        ("Peet's Coffee", "Blue Bottle Coffee", False),
        ("#0412", "Anything at all", True),  # only numbers: no evidence against
    ],
)
def test_descriptions_compatible(first: str, second: str, compatible: bool) -> None:
    assert descriptions_compatible(description_words(first), description_words(second)) is compatible
