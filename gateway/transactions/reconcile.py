"""Reconciling a window from an upstream without a cursor against what a link already holds.

Pure: no database, no IO. `reconcile` turns a `TransactionsWindow` (everything the upstream holds for
some accounts between two dates) and the link's stored transactions that the window can concern into
the `TransactionsDelta` a cursor upstream would have sent, so the one change log (and every format's
sync and webhooks) sees created, updated and removed exactly as it does for the sandbox or Plaid.

The rules, in order:

1. Same provider id: updated when a tracked field differs, otherwise nothing is emitted. A posting
   under the same id (pending → posted) is such an update. A link to a pending predecessor that
   Linkgate made (`pending_transaction_id`) is kept when the upstream does not send one itself.
2. A new posted transaction may be the posting of a stored pending one the upstream renumbered: a
   pending that vanished from the window, of the same account, direction and currency, amount equal or
   within `amount_tolerance` of the pending amount (tips), dated within `match_days`, with compatible
   descriptions (`descriptions_compatible`). Pairs are one-to-one and taken closest first (exact
   amount, then an amount that grew before one that shrank, then the smaller relative change, then the
   nearer date, then by provider ids), so two identical coffees pair with two postings. A pair makes
   the posted one carry `pending_transaction_id` and removes the pending one (Plaid's semantics: the
   pending removed, the posted added). Greedy, not an optimal assignment: fine for the handful of
   pending transactions a refresh sees vanish.
3. A new posted transaction may be a stored posted one the upstream renumbered (SimpleFIN Bridge
   re-issued ids for whole date blocks, all else identical): a posted transaction the window covers
   (see 4) but no longer lists, of the same account, direction, currency and amount, dated within
   `match_days`, with a compatible payee (`match_renumbered`). The stored one takes the new id
   (`TransactionsDelta.renamed`) and keeps its Linkgate id: updated only if a tracked field differs.
4. Any other stored pending transaction missing from the window is removed only if the window covers
   it: its account is in `window.accounts` and its date in [start, end). A window that shrank, or an
   account that failed or disappeared, removes nothing it does not cover.
5. Posted transactions missing from the window are never removed: banks stop serving old posted
   history, and its absence says nothing about whether it happened.
6. Anything else new (a pending one, a late transaction dated before earlier windows) is created.

`match_renumbered` also hands a link's history over when it is relinked through another provider (see
`gateway.links.refresh`). Not handled (specs/simplefin.md §9): a pending one that lingers after its
posting arrived is removed when it vanishes but not linked to that posting.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

from providers.base import NormalizedTransaction, TransactionsDelta, TransactionsWindow

# The repository's TRACKED_FIELDS, with the provider's account id instead of ours.
COMPARED_FIELDS = (
    "provider_account_id", "amount", "direction", "currency", "description", "original_description",
    "merchant_name", "categories", "date", "datetime", "pending", "pending_transaction_id",
)  # fmt: skip
_compared = attrgetter(*COMPARED_FIELDS)

# Words banks add around a merchant's name that say how it was paid, not who was paid.
NOISE_WORDS = frozenset(
    {"pending", "pos", "purchase", "preauth", "authorization", "auth", "debit", "card", "checkcard", "visa"}
)
COMPARED_WORDS = 3  # as many leading words as both descriptions have, up to this many, must agree
_NOT_A_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class StoredTransaction:
    """A transaction the link holds (not removed), in the adapter's terms, as far as reconciling needs."""

    provider_transaction_id: str
    provider_account_id: str
    amount: Decimal
    direction: str
    currency: str
    date: dt.date
    description: str
    pending: bool
    datetime: dt.datetime | None = None
    original_description: str | None = None
    merchant_name: str | None = None
    categories: tuple[str, ...] = ()
    pending_transaction_id: str | None = None


@dataclass(frozen=True)
class ReconcileRules:
    """When a new posted transaction is taken for the posting of a pending one that vanished.

    `amount_tolerance` is a fraction of the pending amount: 0.25 lets a restaurant's pending charge
    post with a tip of up to 25 % (US tips run 15-22 %) and mirrors Sure's fuzzy +25 %; it is only
    tried when no exact amount pairs up. `match_days` (8) is how far apart the two dates may be, either
    way: Sure's pending-to-posted window of 8 days (specs/simplefin.md §9).
    """

    amount_tolerance: Decimal = Decimal("0.25")
    match_days: int = 8


@lru_cache(maxsize=65_536)  # a handover compares each description with many others
def description_words(text: str | None) -> tuple[str, ...]:
    """`text` folded for comparing: lower case, punctuation as spaces, whitespace collapsed, and without
    words holding a digit (reference, store and card numbers, dates) or in NOISE_WORDS."""
    if not text:
        return ()
    words = _NOT_A_WORD.sub(" ", text.casefold()).split()
    return tuple(w for w in words if w not in NOISE_WORDS and not any(c.isdigit() for c in w))


def descriptions_compatible(first: Sequence[str], second: Sequence[str]) -> bool:
    """Whether two normalised descriptions may name the same payee: their first words agree, as many
    as the shorter has, up to COMPARED_WORDS ("starbucks" and "starbucks store seattle" do; "the home
    depot" and "the cheesecake factory" do not). One that is empty (only numbers) is no evidence
    either way, so it is compatible."""
    shared = min(COMPARED_WORDS, len(first), len(second))
    return first[:shared] == second[:shared]


def earliest_date(window: TransactionsWindow) -> dt.date:
    """The oldest date the window concerns: its start, or an older transaction it returned anyway (an
    upstream filtering on posting dates may return one transacted earlier)."""
    return min([window.start, *(t.date for t in window.transactions)])


def reconcile(
    window: TransactionsWindow, stored: Iterable[StoredTransaction], rules: ReconcileRules
) -> TransactionsDelta:
    """The delta that brings the stored transactions in line with `window` (see the module docstring).

    `stored` must hold every stored pending transaction of the link and every stored one dated on or
    after the window's earliest date; others are treated as unknown (created, which the change log
    turns into an update if the id exists after all)."""
    known = {row.provider_transaction_id: row for row in stored}
    in_window = {t.provider_transaction_id: t for t in window.transactions}  # the last one wins
    new_posted = [
        t for i, t in in_window.items() if i not in known and not t.pending and not t.pending_transaction_id
    ]
    vanished = sorted(  # sorted: removals take sequence numbers in a repeatable order
        (row for i, row in known.items() if row.pending and i not in in_window),
        key=attrgetter("provider_transaction_id"),
    )
    pairs = _pair_postings(new_posted, vanished, rules)
    gone_posted = [
        row for i, row in known.items() if not row.pending and i not in in_window and _covers(window, row)
    ]
    renamed = match_renumbered([t for t in new_posted if t.provider_transaction_id not in pairs], gone_posted,
                               rules)  # fmt: skip
    upserted: list[NormalizedTransaction] = []
    for provider_id, transaction in in_window.items():
        before = known.get(renamed.get(provider_id, provider_id))
        if before is None:
            upserted.append(replace(transaction, pending_transaction_id=pairs[provider_id])
                            if provider_id in pairs else transaction)  # fmt: skip
            continue
        if transaction.pending_transaction_id is None and before.pending_transaction_id is not None:
            transaction = replace(transaction, pending_transaction_id=before.pending_transaction_id)
        if _compared(transaction) != _compared(before):
            upserted.append(transaction)
    posted_from = {t.pending_transaction_id for t in in_window.values() if t.pending_transaction_id}
    posted_from.update(pairs.values())
    removed = tuple(
        row.provider_transaction_id
        for row in vanished
        if row.provider_transaction_id in posted_from or _covers(window, row)
    )
    return TransactionsDelta(
        upserted=tuple(upserted), removed=removed, next_cursor=window.next_cursor or "", renamed=renamed
    )


def _covers(window: TransactionsWindow, row: StoredTransaction) -> bool:
    return (
        row.provider_account_id in window.accounts
        and window.start <= row.date
        and (window.end is None or row.date < window.end)
    )


def _pair_postings(
    posted: Sequence[NormalizedTransaction], vanished: Sequence[StoredTransaction], rules: ReconcileRules
) -> dict[str, str]:
    """Posted provider id → the provider id of the vanished pending it posts, one-to-one, closest first.

    Vanished pending ones are few (grouped by account, direction and currency), so this stays linear
    in the window for any real refresh."""
    pending_by_kind: dict[tuple[str, str, str], list[StoredTransaction]] = defaultdict(list)
    for row in vanished:
        pending_by_kind[(row.provider_account_id, row.direction, row.currency)].append(row)
    candidates: list[Candidate] = []
    for transaction in posted:
        kind = (transaction.provider_account_id, transaction.direction, transaction.currency)
        for row in pending_by_kind.get(kind, ()):
            if could_post(row, transaction, rules):
                candidates.append(candidate(row, transaction))
    return closest_pairs(candidates)


# (how unlike, the new transaction's provider id, the stored one's)
Candidate = tuple[tuple[bool, bool, Decimal, int], str, str]


def candidate(stored: StoredTransaction, new: NormalizedTransaction) -> Candidate:
    return distance(stored, new), new.provider_transaction_id, stored.provider_transaction_id


def closest_pairs(candidates: list[Candidate]) -> dict[str, str]:
    """New provider id → stored provider id, one-to-one, the closest candidates first (ties by ids)."""
    candidates.sort()
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for _, new_id, stored_id in candidates:
        if new_id not in pairs and stored_id not in taken:
            pairs[new_id] = stored_id
            taken.add(stored_id)
    return pairs


def distance(pending: StoredTransaction, posted: NormalizedTransaction) -> tuple[bool, bool, Decimal, int]:
    """How unlike a posting of `pending` `posted` is, smallest first: an exact amount, then one that
    grew (a tip) before one that shrank, then the smaller change relative to the pending amount, then
    the nearer date. (Absolute differences would pair a tipped small bill with a larger pending one.)"""
    change = posted.amount - pending.amount
    relative = abs(change) / pending.amount if pending.amount else Decimal(0)
    return change != 0, change < 0, relative, abs((posted.date - pending.date).days)


def could_post(pending: StoredTransaction, posted: NormalizedTransaction, rules: ReconcileRules) -> bool:
    """Whether `posted` may be the posting of the stored `pending` (rule 2's conditions)."""
    if abs((posted.date - pending.date).days) > rules.match_days:
        return False
    if abs(posted.amount - pending.amount) > pending.amount * rules.amount_tolerance:
        return False
    return same_payee(pending, posted)


def same_payee(stored: StoredTransaction, new: NormalizedTransaction) -> bool:
    """The same merchant, or descriptions that may name the same payee."""
    if stored.merchant_name and new.merchant_name:
        merchant = description_words(stored.merchant_name)
        if merchant and merchant == description_words(new.merchant_name):
            return True
    return descriptions_compatible(description_words(stored.description), description_words(new.description))


Kind = tuple[str, str, str]  # account, direction, currency


def match_renumbered(
    incoming: Iterable[NormalizedTransaction], stored: Sequence[StoredTransaction], rules: ReconcileRules
) -> dict[str, str]:
    """New provider id → the stored provider id of the same transaction, one-to-one, closest first.

    `incoming` are transactions an upstream reports, `stored` what the link holds; only ids on one side
    and not the other are paired. They are the same transaction when they share account, direction and
    currency, are dated within `match_days`, name compatible payees (`same_payee`), and have the same
    amount or, the stored one being still pending, the amounts of a posting (`could_post`).

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
