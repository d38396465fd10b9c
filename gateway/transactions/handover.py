"""Handing a link's transactions over from one provider to another. Pure, like `reconcile`.

A link relinked through another provider (another route to the same bank) keeps its accounts and
history, but holds that history under the old provider's transaction ids while the new provider reports
the same transactions under ids of its own. `match_handover` pairs them so that each stored transaction
takes the new provider's id and keeps its Linkgate id, and with it its id in every format: the app sees
the same transactions, not each one twice.

An incoming transaction whose id the link does not hold and a stored one whose id no incoming one has
are the same transaction when they share account (the accounts were adopted, so the stored ones carry
the new provider's account ids), direction and currency, are dated within `match_days` of each other,
name compatible payees (`reconcile.same_payee`), and have the same amount, or, the stored one being
still pending, the amounts of a posting (`reconcile.could_post`: a tip within `amount_tolerance`).
Pairs are one-to-one, closest first, as `reconcile` pairs postings. Whatever stays unpaired is left as
it is: new transactions are created, and older history the new provider does not serve keeps its ids.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import attrgetter

from gateway.transactions.reconcile import (
    Candidate,
    ReconcileRules,
    StoredTransaction,
    candidate,
    closest_pairs,
    could_post,
    same_payee,
)
from providers.base import NormalizedTransaction

Kind = tuple[str, str, str]  # account, direction, currency


def match_handover(
    incoming: Iterable[NormalizedTransaction], stored: Sequence[StoredTransaction], rules: ReconcileRules
) -> dict[str, str]:
    """The new provider's id → the stored provider id whose transaction it is (see the module docstring).

    A posted stored transaction is only compared with incoming ones of its amount dated within
    `match_days` (found by bisection), so handing over a long history stays near linear in its length."""
    latest = {t.provider_transaction_id: t for t in incoming}
    held = {row.provider_transaction_id for row in stored}
    posted: dict[tuple[Kind, Decimal], list[StoredTransaction]] = defaultdict(list)
    pending: dict[Kind, list[StoredTransaction]] = defaultdict(list)
    for row in sorted(stored, key=attrgetter("date")):
        if row.provider_transaction_id in latest:
            continue
        kind = (row.provider_account_id, row.direction, row.currency)
        if row.pending:
            pending[kind].append(row)
        else:
            posted[(kind, row.amount)].append(row)
    candidates: list[Candidate] = []
    for provider_id, transaction in latest.items():
        if provider_id in held:
            continue
        kind = (transaction.provider_account_id, transaction.direction, transaction.currency)
        candidates.extend(
            candidate(row, transaction)
            for row in _dated_near(posted.get((kind, transaction.amount), []), transaction.date, rules)
            if same_payee(row, transaction)
        )
        candidates.extend(
            candidate(row, transaction)
            for row in pending.get(kind, ())
            if could_post(row, transaction, rules)
        )
    return closest_pairs(candidates)


def _dated_near(
    rows: list[StoredTransaction], day: dt.date, rules: ReconcileRules
) -> list[StoredTransaction]:
    """The rows (sorted by date) dated within `match_days` of `day`."""
    reach = dt.timedelta(days=rules.match_days)
    low = bisect_left(rows, day - reach, key=attrgetter("date"))
    high = bisect_right(rows, day + reach, key=attrgetter("date"))
    return rows[low:high]
