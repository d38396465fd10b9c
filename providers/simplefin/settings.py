"""What an operator sets for SimpleFIN (`LINKGATE_SIMPLEFIN_*`), as the adapter receives it."""

from __future__ import annotations

from dataclasses import dataclass

ANY_HOST = "*"


@dataclass(frozen=True)
class SimpleFinSettings:
    """`allowed_hosts` are the hosts a setup token's claim URL may name (`*`: any); `require_https` is
    off only where plain-http servers are expected (development against a local Bridge)."""

    allowed_hosts: tuple[str, ...]
    require_https: bool = True
    requests_per_day: int = 24
    overlap_days: int = 14
    timeout_s: float = 30.0
    history_days: int = 89  # a first read: the Bridge caps one request's range at 90 days

    def allows_host(self, host: str) -> bool:
        return ANY_HOST in self.allowed_hosts or host.lower().rstrip(".") in self.allowed_hosts
