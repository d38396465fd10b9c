"""Reading an upstream's answer without trusting its size: what every adapter's client does."""

from __future__ import annotations

import httpx


class AnswerTooLarge(Exception):
    """The answer went past the limit its reader set; the client says what that means for its upstream."""


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The (decoded) body of a streamed response, refused once it passes `limit` bytes."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"the answer passed {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
