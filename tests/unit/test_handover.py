"""`match_renumbered`, table-driven: which stored transactions the new provider's take over after a link
was relinked through another provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pytest

from gateway.transactions.reconcile import ReconcileRules, match_renumbered
from providers.base import NormalizedTransaction
from tests.unit.test_reconcile import pending, posted, stored


@dataclass(frozen=True)
class Case:
    held: tuple[NormalizedTransaction, ...]  # under the old provider's ids
    incoming: tuple[NormalizedTransaction, ...]  # the new provider's first read
    taken_over: dict[str, str]  # new id → the stored id it takes over
    rules: ReconcileRules = field(default_factory=ReconcileRules)


CASES = {
    "the same history under new ids: every transaction taken over": Case(
        held=(posted("old-1", on=3, description="Rent"), posted("old-2", on=5)),
        incoming=(posted("new-2", on=5), posted("new-1", on=3, description="RENT PAYMENT")),
        taken_over={"new-1": "old-1", "new-2": "old-2"},
    ),
    "dated a day apart (posted against transacted date): still the same": Case(
        held=(posted("old-1", on=5),),
        incoming=(posted("new-1", on=6),),
        taken_over={"new-1": "old-1"},
    ),
    "dated further apart than match_days: not the same": Case(
        held=(posted("old-1", on=0),),
        incoming=(posted("new-1", on=9),),
        taken_over={},
    ),
    "another amount: not the same, however close": Case(
        held=(posted("old-1", amount="4.50"),),
        incoming=(posted("new-1", amount="4.55"),),
        taken_over={},
    ),
    "another payee: not the same": Case(
        held=(posted("old-1", description="Home Depot"),),
        incoming=(posted("new-1", description="Cheesecake Factory"),),
        taken_over={},
    ),
    "another account: not the same": Case(
        held=(posted("old-1", account="acc-1"),),
        incoming=(posted("new-1", account="acc-2"),),
        taken_over={},
    ),
    "another direction: not the same": Case(
        held=(posted("old-1", direction="credit"),),
        incoming=(posted("new-1", direction="debit"),),
        taken_over={},
    ),
    "two identical coffees a day apart: each to its own, the nearer date first": Case(
        held=(posted("old-a", on=10), posted("old-b", on=11)),
        incoming=(posted("new-b", on=11), posted("new-a", on=10)),
        taken_over={"new-a": "old-a", "new-b": "old-b"},
    ),
    "a stored pending that posted with a tip under the new provider: taken over": Case(
        held=(pending("old-p", amount="40.00", description="JOE'S DINER"),),
        incoming=(posted("new-t", amount="48.00", description="Joe's Diner", on=11),),
        taken_over={"new-t": "old-p"},
    ),
    "older history the new provider does not serve: kept under its ids": Case(
        held=(posted("old-1", on=1, description="Rent"), posted("old-2", on=20)),
        incoming=(posted("new-2", on=20),),
        taken_over={"new-2": "old-2"},
    ),
    "an id both providers share: nothing to take over": Case(
        held=(posted("same-1"),),
        incoming=(posted("same-1", description="Blue Bottle"),),
        taken_over={},
    ),
    "one stored transaction, two candidates: the exact date wins, the other is new": Case(
        held=(posted("old-1", on=10),),
        incoming=(posted("new-far", on=12), posted("new-near", on=10)),
        taken_over={"new-near": "old-1"},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_match_renumbered(case: Case) -> None:
    assert match_renumbered(case.incoming, [stored(t) for t in case.held], case.rules) == case.taken_over


def test_a_long_history_is_handed_over_whole() -> None:
    """Three thousand transactions, many of one amount: every one paired with its own."""
    held = [
        replace(posted(f"old-{n}", amount=f"{n % 7}.99", description=f"Shop {chr(97 + n % 26)}"),
                date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300))
        for n in range(3_000)
    ]  # fmt: skip
    incoming = [replace(t, provider_transaction_id=f"new-{n}") for n, t in enumerate(held)]
    taken = match_renumbered(incoming, [stored(t) for t in held], ReconcileRules())
    assert len(taken) == 3_000
    # Identical transactions (same account, amount, day and payee) may pair either way round; each
    # pair is a true twin.
    by_id = {t.provider_transaction_id: t for t in held}
    for new_id, old_id in taken.items():
        new, old = incoming[int(new_id.removeprefix("new-"))], by_id[old_id]
        assert (new.amount, new.date, new.description) == (old.amount, old.date, old.description)
