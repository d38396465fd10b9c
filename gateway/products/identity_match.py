"""How well what an app knows of its user matches the identity an institution holds for an account.

Scores run 0-100 as Plaid's `/identity/match` defines them: 100 is a perfect match, 70 and up a
(partial) match, below 70 a mismatch; None when either side lacks the value. Each score is the best
over the account's owners and their values. Pure: collections render what this returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from gateway.models.account import AccountOwner

BUSINESS_WORDS = frozenset({"corp", "corporation", "llc", "inc", "ltd", "co", "company", "lp", "llp", "plc"})
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii"})
# A few common nicknames (either way round), for Plaid's `is_nickname_match`.
NICKNAMES = {
    "alex": {"alexander", "alexandra", "alexis"}, "bob": {"robert"}, "rob": {"robert"}, "bill": {"william"},
    "will": {"william"}, "liz": {"elizabeth"}, "beth": {"elizabeth"}, "jenn": {"jennifer"},
    "jen": {"jennifer"}, "kate": {"katherine", "kathryn"}, "mike": {"michael"}, "jim": {"james"},
    "tom": {"thomas"}, "sam": {"samuel", "samantha"}, "dan": {"daniel"}, "bert": {"alberta", "albert"},
    "bertie": {"alberta", "albert"}, "chris": {"christopher", "christina", "christine"},
}  # fmt: skip
STREET_WORDS = {"st": "street", "ave": "avenue", "av": "avenue", "rd": "road", "blvd": "boulevard",
                "dr": "drive", "ln": "lane", "ct": "court", "pl": "place", "apt": "apartment",
                "ste": "suite", "n": "north", "s": "south", "e": "east", "w": "west"}  # fmt: skip
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#|;)\s*(?=\d+\s*$)")
MISMATCH_CEILING = 69  # a score that is not a match stays below 70


@dataclass(frozen=True)
class Score:
    score: int | None


@dataclass(frozen=True)
class NameScore:
    score: int | None
    is_first_name_or_last_name_match: bool | None = None
    is_nickname_match: bool | None = None
    is_business_name_detected: bool | None = None


@dataclass(frozen=True)
class AddressScore:
    score: int | None
    is_postal_code_match: bool | None = None


@dataclass(frozen=True)
class IdentityMatch:
    """The scores of one account; a score is None when either side lacks the value."""

    legal_name: NameScore
    phone_number: Score
    email_address: Score
    address: AddressScore


@dataclass(frozen=True)
class UserIdentity:
    legal_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None
    address: Mapping[str, Any] | None = None


def _words(text: str) -> list[str]:
    return [word for word in _NOT_WORD.sub(" ", text.lower()).split() if word]


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _mismatch(similarity: float) -> int:
    return min(MISMATCH_CEILING, round(similarity * MISMATCH_CEILING))


def name_score(given: str, held: Iterable[str]) -> NameScore:
    """100 for the same words (any order, case, punctuation or title); 90 for the same first and last
    name with a different middle; 85 for a nickname of the first name; 70 for the same first or last
    name only (likely family); below 70 by similarity otherwise."""
    if not _name_words(given):
        return NameScore(None)
    scores = [_one_name_score(given, name) for name in held if _name_words(name)]
    if not scores:
        return NameScore(None)
    return max(scores, key=lambda score: score.score or 0)


def _one_name_score(given: str, held: str) -> NameScore:
    mine, theirs = _name_words(given), _name_words(held)
    business = bool(BUSINESS_WORDS & {*mine, *theirs})
    first_same, last_same = mine[0] == theirs[0], mine[-1] == theirs[-1]
    nickname = last_same and not first_same and _nicknames(mine[0], theirs[0])
    if sorted(mine) == sorted(theirs):
        score = 100
    elif first_same and last_same:
        score = 90
    elif nickname:
        score = 85
    elif first_same or last_same:
        score = 70
    else:
        score = _mismatch(_similarity(" ".join(mine), " ".join(theirs)))
    return NameScore(score, is_first_name_or_last_name_match=first_same != last_same,
                     is_nickname_match=nickname, is_business_name_detected=business)  # fmt: skip


def _name_words(name: str) -> list[str]:
    return [word for word in _words(name) if word not in TITLES]


def _nicknames(a: str, b: str) -> bool:
    return b in NICKNAMES.get(a, set()) or a in NICKNAMES.get(b, set())


def phone_score(given: str, held: Iterable[str]) -> int | None:
    """100 for the same number (national digits, any formatting or +1, same extension); 90 when only
    the extension differs (one has one, the other not); below 70 by similarity otherwise."""
    mine = _phone(given)
    numbers = [_phone(number) for number in held if _phone(number)[0]]
    if not mine[0] or not numbers:
        return None
    return max(_one_phone_score(mine, number) for number in numbers)


def _phone(number: str) -> tuple[str, str]:
    """(national digits, extension digits)."""
    base, _, extension = _EXTENSION.sub("|", number.lower(), count=1).partition("|")
    digits = re.sub(r"\D", "", base)
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return national, re.sub(r"\D", "", extension)


def _one_phone_score(mine: tuple[str, str], theirs: tuple[str, str]) -> int:
    if mine[0] != theirs[0]:
        return _mismatch(_similarity(mine[0], theirs[0]))
    return 100 if mine[1] == theirs[1] else 90


def email_score(given: str, held: Iterable[str]) -> int | None:
    """100 for the same address (any case); 90 for the same but for a `+tag`; below 70 otherwise."""
    mine = given.strip().lower()
    addresses = [address.strip().lower() for address in held if address.strip()]
    if not mine or not addresses:
        return None
    return max(_one_email_score(mine, address) for address in addresses)


def _untagged(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _one_email_score(mine: str, theirs: str) -> int:
    if mine == theirs:
        return 100
    if _untagged(mine) == _untagged(theirs):
        return 90
    return _mismatch(_similarity(mine, theirs))


def address_score(given: Mapping[str, Any], held: Iterable[Mapping[str, Any]]) -> AddressScore:
    """Street (abbreviations spelled out) weighs 60, postal code 20, city 10, region 10: 100 when all
    agree."""
    addresses = [address for address in held if address.get("street") or address.get("postal_code")]
    if not (given.get("street") or given.get("postal_code")) or not addresses:
        return AddressScore(None)
    return max((_one_address_score(given, address) for address in addresses),
               key=lambda score: score.score or 0)  # fmt: skip


def _street(text: str | None) -> str:
    return " ".join(STREET_WORDS.get(word, word) for word in _words(text or ""))


def _same(a: Any, b: Any) -> bool:
    return bool(a) and bool(b) and _words(str(a)) == _words(str(b))


def _one_address_score(given: Mapping[str, Any], held: Mapping[str, Any]) -> AddressScore:
    street = _similarity(_street(given.get("street")), _street(held.get("street")))
    postal = _same(str(given.get("postal_code") or "")[:5], str(held.get("postal_code") or "")[:5])
    score = round(60 * street + 20 * postal + 10 * _same(given.get("city"), held.get("city"))
                  + 10 * _same(given.get("region"), held.get("region")))  # fmt: skip
    both_postal = bool(given.get("postal_code")) and bool(held.get("postal_code"))
    return AddressScore(score, is_postal_code_match=postal if both_postal else None)


def identity_match(user: UserIdentity, owners: Sequence[AccountOwner]) -> IdentityMatch:
    """One account's scores against the user's values, over all its owners."""
    names = [name for owner in owners for name in owner.names]
    phones = [str(p.get("number", "")) for owner in owners for p in owner.phone_numbers]
    emails = [str(e.get("address", "")) for owner in owners for e in owner.emails]
    addresses = [address for owner in owners for address in owner.addresses]
    return IdentityMatch(
        legal_name=name_score(user.legal_name or "", names),
        phone_number=Score(phone_score(user.phone_number or "", phones)),
        email_address=Score(email_score(user.email_address or "", emails)),
        address=address_score(user.address or {}, addresses),
    )
