"""The signing key ring as a worker sees it: loaded from the database, reloaded once a minute."""

from __future__ import annotations

import time

from gateway.auth.signing_keys import KeyRing, ensure_signing_key, load_key_ring
from gateway.crypto import SecretBox
from gateway.db import Database

RELOAD_S = 60.0


class RingCache:
    def __init__(self) -> None:
        self._ring: KeyRing | None = None
        self._loaded_at = 0.0

    async def current(self, database: Database, box: SecretBox) -> KeyRing:
        if self._ring is None or time.monotonic() - self._loaded_at > RELOAD_S:
            async with database.unit_of_work() as session:
                await ensure_signing_key(session, box)  # a worker may start before any API process
                self._ring = await load_key_ring(session, box)
            self._loaded_at = time.monotonic()
        return self._ring
