"""Identity match scores: 100 for the same value however written, 70-99 for near matches, below 70
for mismatches, None when there is nothing to compare."""

from __future__ import annotations

import uuid

from gateway.models.account import AccountOwner
from gateway.products.identity_match import (
    UserIdentity,
    address_score,
    email_score,
    identity_match,
    name_score,
    phone_score,
)

HOME = {"street": "12 Main Street", "city": "Springfield", "region": "IL", "postal_code": "62701",
        "country": "US"}  # fmt: skip


def test_names() -> None:
    held = ["Alberta Bobbeth Charleson"]
    assert name_score("alberta bobbeth charleson", held).score == 100
    assert name_score("Charleson, Alberta Bobbeth", held).score == 100
    assert name_score("Mrs. Alberta B. Charleson", held).score == 90
    nickname = name_score("Bertie Charleson", held)
    assert (nickname.score, nickname.is_nickname_match) == (85, True)
    family = name_score("Zed Charleson", held)
    assert family.score == 70
    assert family.is_first_name_or_last_name_match is True
    assert (name_score("Someone Else", held).score or 0) in range(1, 70)
    assert name_score("Acme Corp", ["Acme Corp"]).is_business_name_detected is True
    assert name_score("Alberta", []).score is None
    assert name_score("Mr", held).score is None


def test_phones_emails_and_addresses() -> None:
    assert phone_score("(555) 123-4567", ["+15551234567"]) == 100
    assert phone_score("+1 555 123 4567 ext 89", ["+15551234567"]) == 90
    assert (phone_score("+15559999999", ["+15551234567"]) or 0) in range(1, 70)
    assert phone_score("+15551234567", []) is None
    assert email_score("A.B@Example.com", ["a.b@example.com"]) == 100
    assert email_score("a.b+bank@example.com", ["a.b@example.com"]) == 90
    assert (email_score("z@other.org", ["a.b@example.com"]) or 0) in range(1, 70)
    assert address_score(HOME, [HOME]).score == 100
    abbreviated = address_score({**HOME, "street": "12 main st."}, [HOME])
    assert abbreviated.score == 100
    assert abbreviated.is_postal_code_match is True
    moved = address_score({"street": "900 Elm Road", "city": "Chicago", "region": "IL",
                           "postal_code": "60601"}, [HOME])  # fmt: skip
    assert moved.score is not None
    assert moved.score < 70
    assert moved.is_postal_code_match is False
    assert address_score({"city": "Springfield"}, [HOME]).score is None


def test_an_account_is_scored_over_all_its_owners_and_only_what_was_sent() -> None:
    account_id = uuid.uuid4()
    owners = [
        AccountOwner(account_id=account_id, names=["Dana Eve Fairbanks"], emails=[], phone_numbers=[],
                     addresses=[]),
        AccountOwner(account_id=account_id, names=["Alberta Bobbeth Charleson"],
                     emails=[{"address": "alberta@example.com"}],
                     phone_numbers=[{"number": "+15551234567"}], addresses=[HOME]),
    ]  # fmt: skip
    match = identity_match(UserIdentity(legal_name="Alberta Charleson", email_address="alberta@example.com"),
                           owners)  # fmt: skip
    assert match.legal_name.score == 90
    assert match.email_address.score == 100
    assert match.phone_number.score is None  # not sent
    assert match.address.score is None
