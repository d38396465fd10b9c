"""Provider adapters by name."""

from __future__ import annotations

from providers.base import ProviderAdapter
from providers.sandbox.adapter import SandboxProvider

PROVIDERS: dict[str, ProviderAdapter] = {"sandbox": SandboxProvider()}


def get_provider(name: str) -> ProviderAdapter:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise KeyError(f"no provider named {name!r}; known: {sorted(PROVIDERS)}") from None
