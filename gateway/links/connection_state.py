"""A link's provider connection state (tokens, seeds, cursors of the upstream) is sealed at rest."""

from __future__ import annotations

import json
import uuid

from gateway.crypto import SecretBox
from providers.base import ProviderState


def _context(link_id: uuid.UUID) -> bytes:
    # Bound to the link: a sealed state copied onto another row does not open.
    return b"linkgate/link-state:" + str(link_id).encode()


def seal_state(box: SecretBox, link_id: uuid.UUID, state: ProviderState) -> str:
    return box.encrypt(json.dumps(dict(state), sort_keys=True).encode(), associated_data=_context(link_id))


def open_state(box: SecretBox, link_id: uuid.UUID, sealed: str | None) -> ProviderState:
    if sealed is None:
        return {}
    loaded: ProviderState = json.loads(box.decrypt(sealed, associated_data=_context(link_id)))
    return loaded
