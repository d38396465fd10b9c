"""Yodlee's transaction categories over the unified taxonomy (`top_level.detail`, e.g.
`food_and_drink.coffee`): one SYSTEM category per top level, its details as `detailCategory`.

Ids are fixed here, so they are the same on every gateway and every day: category n is `n`, its
high-level category `10000000 + n`, and detail m of it `1000 * n + m`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HIGH_LEVEL_BASE = 10_000_000


@dataclass(frozen=True)
class Category:
    id: int
    key: str
    type: str
    details: tuple[str, ...]

    @property
    def name(self) -> str:
        return title(self.key)

    def detail_id(self, detail: str) -> int | None:
        return 1000 * self.id + self.details.index(detail) + 1 if detail in self.details else None


def title(key: str) -> str:
    return key.replace("_", " ").title()


CATEGORIES = (
    Category(1, "food_and_drink", "EXPENSE", ("coffee", "groceries", "bars", "restaurants")),
    Category(2, "transport", "EXPENSE", ("taxis", "fuel", "public_transit", "parking")),
    Category(3, "shopping", "EXPENSE", ("books", "clothing", "electronics", "general")),
    Category(4, "entertainment", "EXPENSE", ("cinema", "music", "games")),
    Category(5, "health_and_personal_care", "EXPENSE", ("pharmacy", "doctor", "fitness")),
    Category(6, "utilities", "EXPENSE", ("electricity", "water", "internet", "phone")),
    Category(7, "income", "INCOME", ("salary", "interest", "dividends", "refund")),
    Category(8, "transfer", "TRANSFER", ("transfer_in", "transfer_out", "credit_card_payment")),
    Category(9, "uncategorized", "UNCATEGORIZE", ()),
)
BY_KEY = {category.key: category for category in CATEGORIES}


def transaction_category(categories: list[str]) -> Category | None:
    """The category of a transaction whose first unified category is `categories[0]`, if we list it."""
    return BY_KEY.get(categories[0].split(".")[0]) if categories else BY_KEY["uncategorized"]


def category_ids(categories: list[str]) -> dict[str, int]:
    """`categoryId`, `highLevelCategoryId` and, when listed, `detailCategoryId` of a transaction."""
    category = transaction_category(categories)
    if category is None:
        return {}
    ids = {"categoryId": category.id, "highLevelCategoryId": HIGH_LEVEL_BASE + category.id}
    detail = (
        category.detail_id(categories[0].split(".", 1)[1]) if categories and "." in categories[0] else None
    )
    return ids | ({"detailCategoryId": detail} if detail is not None else {})


def rendered() -> list[dict[str, Any]]:
    """Swagger `TransactionCategory` objects, in id order."""
    return [
        {"id": c.id, "source": "SYSTEM", "category": c.name, "defaultCategoryName": c.name,
         "classification": "PERSONAL", "type": c.type, "highLevelCategoryId": HIGH_LEVEL_BASE + c.id,
         "highLevelCategoryName": c.name, "defaultHighLevelCategoryName": c.name,
         "detailCategory": [{"id": c.detail_id(d), "name": title(d)} for d in c.details]}
        for c in CATEGORIES
    ]  # fmt: skip
