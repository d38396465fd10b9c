"""While the database is away, every collection answers 503 with Retry-After in its own error format.

The real Postgres, reached through a proxy that is stopped (refused, as a stopped server), pointed at a
server that says "the database system is starting up" (57P03), or cut and restarted at once.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from formats.mx.render import MEDIA_TYPE as MX_MEDIA_TYPE
from gateway.app import create_app
from gateway.db_faults import DATABASE_RETRY_AFTER_S
from gateway.developers.service import BootstrapResult
from gateway.settings import Settings
from tests.conftest import POSTGRES_USER, TEST_DATABASE
from tests.support.asgi import serving
from tests.support.conformance.judges import judge_response
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@pytest.fixture
async def client(proxy: TcpProxy, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in-process on the proxied database; no cached credentials, so each call reads it."""
    database_url = f"postgresql://{POSTGRES_USER}@127.0.0.1:{proxy.port}/{TEST_DATABASE}"
    app = create_app(settings.model_copy(update={"database_url": database_url, "auth_cache_ttl_s": 0.001}))
    async with serving(app) as http:
        yield http


def collection_calls(credentials: BootstrapResult) -> dict[str, Call]:
    """One credential check per collection: each must read the database to answer."""
    client_id, secret = credentials.client_id, credentials.client_secret
    grant = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    plaid_body = {"client_id": client_id, "secret": secret, "count": 1, "offset": 0, "country_codes": ["US"]}
    login = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery"}
    return {
        "oauth": lambda http: http.post("/oauth/token", data=grant),
        "plaid": lambda http: http.post("/v1/plaid/institutions/get", json=plaid_body),
        "mx": lambda http: http.get(
            "/v1/mx/users", auth=(client_id, secret), headers={"accept": MX_MEDIA_TYPE}
        ),
        "yodlee": lambda http: http.post(
            "/v2/yodlee/auth/token",
            headers={"Api-Version": "1.1"},
            data={"clientId": client_id, "secret": secret},
        ),
        "moneykit": lambda http: http.post("/v1/moneykit/auth/token", data=grant),
        "platform": lambda http: http.post("/v1/dashboard/login", json=login),
    }


def format_of(collection: str, body: dict[str, Any]) -> bool:
    """Whether `body` is the collection's own error saying it is unavailable."""
    match collection:
        case "oauth":
            return bool(body["error"] == "temporarily_unavailable")
        case "plaid":
            return (body["error_type"], body["error_code"]) == ("API_ERROR", "PLANNED_MAINTENANCE")
        case "mx":
            return set(body) == {"error"} and set(body["error"]) == {"message"}
        case "yodlee":
            return set(body) == {"errorCode", "errorMessage", "referenceCode"}
        case "moneykit":
            return {"error_code", "error_message"} <= set(body)
        case _:
            return bool(body["error"]["code"] == "service_unavailable")


async def assert_unavailable(collection: str, response: httpx.Response) -> None:
    assert response.status_code == 503, (collection, response.status_code, response.text)
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_S), collection
    assert response.headers["x-request-id"]
    assert format_of(collection, response.json()), (collection, response.text)
    request = response.request
    mismatch = judge_response(
        request.method, request.url.path, 503, response.headers["content-type"], response.content
    )
    assert mismatch is None, str(mismatch)


async def assert_every_collection_unavailable(http: httpx.AsyncClient, credentials: BootstrapResult) -> None:
    for collection, call in collection_calls(credentials).items():
        await assert_unavailable(collection, await call(http))


async def test_a_stopped_database_is_a_503_in_every_format(
    client: httpx.AsyncClient, proxy: TcpProxy, sandbox_app: BootstrapResult
) -> None:
    assert (await client.get("/readyz")).status_code == 200  # pooled connections, then cut
    proxy.stop()
    await assert_every_collection_unavailable(client, sandbox_app)


async def test_a_database_starting_up_is_a_503_in_every_format(
    client: httpx.AsyncClient, proxy: TcpProxy, sandbox_app: BootstrapResult
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    with starting_up_server() as port:
        proxy.stop()
        proxy.target = ("127.0.0.1", port)
        proxy.start()
        await assert_every_collection_unavailable(client, sandbox_app)


async def test_a_restart_costs_one_503_then_the_pool_recovers(
    client: httpx.AsyncClient, proxy: TcpProxy, sandbox_app: BootstrapResult
) -> None:
    calls = collection_calls(sandbox_app)
    assert (await calls["plaid"](client)).status_code == 200
    proxy.stop()  # cut the pooled connection, then the database is back at once
    proxy.start()
    await assert_unavailable("plaid", await calls["plaid"](client))
    assert (await calls["plaid"](client)).status_code == 200


@contextlib.contextmanager
def starting_up_server() -> Iterator[int]:
    """A server that answers every Postgres connection as a starting-up Postgres does: FATAL 57P03."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=_refuse_as_starting_up, args=(listener,), daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()


SSL_REQUEST_CODE = 80877103


def _refuse_as_starting_up(listener: socket.socket) -> None:
    fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
    error_response = b"E" + struct.pack("!I", len(fields) + 4) + fields
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection, contextlib.suppress(OSError):
            length, code = struct.unpack("!II", _read(connection, 8))
            if code == SSL_REQUEST_CODE:  # no TLS here; the startup message follows
                connection.sendall(b"N")
                length, _ = struct.unpack("!II", _read(connection, 8))
            _read(connection, length - 8)
            connection.sendall(error_response)


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data
