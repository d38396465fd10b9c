"""A reverse proxy on 127.0.0.1 that judges every response before passing it on.

Every client the contract tests use (httpx, plaid-python, moneykit, mx-platform-python in its own
venv) is pointed at the proxy, so all of them are judged alike without touching any of them.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import uvicorn

from tests.support.conformance.judges import Mismatch, judge_response
from tests.support.credential_ledger import CredentialLedger
from tests.support.processes import free_port

# Hop-by-hop headers, and the ones the proxy recomputes for the body it sends on.
_NOT_FORWARDED = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"upgrade"}
_NOT_RETURNED = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class ValidatingProxy:
    """Forwards to `upstream`; responses are judged and mismatches kept until `take_mismatches`. Every
    credential that crosses it, either way, is noted in `credentials`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.credentials = CredentialLedger()
        self.paths: set[str] = set()  # every path requested through it
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.responses_judged = 0
        self._mismatches: list[Mismatch] = []
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None
        config = uvicorn.Config(
            self._asgi, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning",
            loop="asyncio", http="h11", interface="asgi3", proxy_headers=False, access_log=False,
            timeout_keep_alive=30,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="validating-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the validating proxy did not start")
            self._thread.join(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def take_mismatches(self) -> list[Mismatch]:
        with self._lock:
            taken, self._mismatches = self._mismatches, []
        return taken

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        self.paths.add(scope["path"])
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=120)
        target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_FORWARDED]
        request = self._client.build_request(
            scope["method"], target.decode("latin-1"), headers=headers, content=body
        )
        try:
            response = await self._client.send(request)
        except httpx.HTTPError as exc:
            await _answer(send, 502, [(b"content-type", b"text/plain")], f"proxy: {exc!r}".encode())
            return
        await asyncio.to_thread(self._judge, scope["method"], scope["path"], response)
        self.credentials.note_exchange(
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            scope["query_string"].decode("latin-1"), body, response.content,
        )  # fmt: skip
        returned = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.multi_items()
                    if k.lower() not in _NOT_RETURNED]  # fmt: skip
        await _answer(send, response.status_code, returned, response.content)

    def _judge(self, method: str, path: str, response: httpx.Response) -> None:
        content_type = response.headers.get("content-type", "")
        mismatch = judge_response(method, path, response.status_code, content_type, response.content)
        with self._lock:
            self.responses_judged += 1
            if mismatch is not None:
                self._mismatches.append(mismatch)


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
