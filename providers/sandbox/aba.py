"""ABA routing numbers: nine digits whose weighted sum (3, 7, 1, repeating) is a multiple of ten."""

from __future__ import annotations

import random

WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def is_valid_routing_number(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    return sum(int(digit) * weight for digit, weight in zip(number, WEIGHTS, strict=True)) % 10 == 0


def routing_number(rng: random.Random) -> str:
    """A valid routing number whose first two digits (01-12) name a Federal Reserve district."""
    head = f"{rng.randint(1, 12):02d}" + "".join(str(rng.randint(0, 9)) for _ in range(6))
    partial = sum(int(digit) * weight for digit, weight in zip(head, WEIGHTS[:8], strict=True))
    return head + str((10 - partial % 10) % 10)
