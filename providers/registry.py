"""The provider adapters one process offers, by name.

Built once per process (the API's lifespan, each worker runtime) from settings, with each adapter's
settings and HTTP client injected (see `gateway/upstreams/registry.py`); never a module-level singleton.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from providers.base import AppScoped, ProviderAdapter


class UnknownProvider(KeyError):
    """No adapter by that name is configured in this process."""


UNRANKED = 100


class ProviderRegistry:
    """`priority` orders providers when several reach one institution (first listed, tried first)."""

    def __init__(self, adapters: Mapping[str, ProviderAdapter], priority: Sequence[str] = ()) -> None:
        self._adapters = dict(adapters)
        self._rank = {name: rank for rank, name in enumerate(priority)}

    def rank(self, name: str) -> int:
        """Where the provider comes in the operator's order (lower first; unlisted ones last)."""
        return self._rank.get(name, UNRANKED)

    def get(self, name: str) -> ProviderAdapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise UnknownProvider(
                f"no provider named {name!r}; configured: {sorted(self._adapters)}"
            ) from None

    def offers(self, name: str) -> bool:
        return name in self._adapters

    def __iter__(self) -> Iterator[ProviderAdapter]:
        return iter(self._adapters.values())

    def names(self) -> list[str]:
        return sorted(self._adapters)

    def scoped(self, keys: Mapping[str, Mapping[str, str]], *, live: bool) -> ProviderRegistry:
        """The same providers as one app uses them: `keys` are the app's own, by provider."""
        adapters = {
            name: adapter.for_app(keys.get(name), live=live) if isinstance(adapter, AppScoped) else adapter
            for name, adapter in self._adapters.items()
        }
        scoped = ProviderRegistry(adapters)
        scoped._rank = self._rank
        return scoped
