"""The readable statement (gateway/links/readable.py): what each kind of token may read, in SQL.

Two apps; the first has two end users and the organizations `default` and `acme`. Every link the
statement leaves out must also be None from `get_link` and False from `can_read`, exactly as a link
that does not exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.auth.principal import ApiClient, AppPrincipal
from gateway.auth.tokens import TokenKind
from gateway.developers.service import developer_service
from gateway.institutions.catalog import sync_institutions
from gateway.links.readable import (
    can_read,
    get_link,
    link_page,
    links_in_states,
    readable_link_ids,
    readable_links,
    undeleted_links_page,
)
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY, Organization
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider

INSTITUTION = "credentials_bank"


@dataclass(frozen=True)
class World:
    app_id: uuid.UUID
    other_app_id: uuid.UUID
    alice: EndUser
    bob: EndUser
    alice_unorganized: uuid.UUID  # no organization: the app's `default`
    alice_default: uuid.UUID  # the `default` organization, named
    alice_acme: uuid.UUID
    alice_deleted: uuid.UUID
    bob_default: uuid.UUID
    other_app_link: uuid.UUID

    @property
    def own_links(self) -> set[uuid.UUID]:
        return {self.alice_unorganized, self.alice_default, self.alice_acme, self.alice_deleted,
                self.bob_default}  # fmt: skip


def principal(
    app_id: uuid.UUID,
    kind: TokenKind = TokenKind.generic,
    *,
    organization: str | None = None,
    user_field: str | None = None,
    user: str | None = None,
    item: str | None = None,
) -> AppPrincipal:
    client = ApiClient(
        api_key_id=uuid.uuid4(), client_id="client", secret_hash="", scopes=("data:read",), revoked=False,
        app_id=app_id, app_mode="sandbox", developer_id=uuid.uuid4(), user_id_field="id", ip_allow_list=(),
    )  # fmt: skip
    return AppPrincipal(
        kind=kind, client=client, scopes=client.scopes, organization=organization, user_field=user_field,
        user=user, item=item,
    )  # fmt: skip


async def _app(session, settings) -> uuid.UUID:
    result = await developer_service.bootstrap(
        session, email=f"dev-{uuid.uuid4().hex[:8]}@example.com", master_key=settings.master_key()
    )
    return result.app_id


def _user(app_id: uuid.UUID, external_id: str) -> EndUser:
    return EndUser(
        app_id=app_id, guid=f"USR-{uuid.uuid4()}", uid=f"uid-{external_id}", external_id=external_id
    )


def _link(user: EndUser, organization_id: uuid.UUID | None, state: str = "connected") -> Link:
    return Link(
        app_id=user.app_id, end_user_id=user.id, organization_id=organization_id, institution_id=INSTITUTION,
        provider="sandbox", state=state, products=["accounts", "transactions"],
    )  # fmt: skip


@pytest.fixture
async def world(database, settings) -> World:
    async with database.unit_of_work() as session:
        await sync_institutions(session, ProviderRegistry({"sandbox": SandboxProvider()}))
        app_id, other_app_id = await _app(session, settings), await _app(session, settings)
        default = await session.scalar(
            select(Organization.id).where(
                Organization.app_id == app_id, Organization.key == DEFAULT_ORGANIZATION_KEY
            )
        )
        acme = Organization(app_id=app_id, key="acme", name="Acme")
        alice, bob, stranger = _user(app_id, "alice"), _user(app_id, "bob"), _user(other_app_id, "alice")
        session.add_all([acme, alice, bob, stranger])
        await session.flush()
        links = [
            _link(alice, None), _link(alice, default), _link(alice, acme.id), _link(alice, None, "deleted"),
            _link(bob, default), _link(stranger, None),
        ]  # fmt: skip
        session.add_all(links)
        await session.flush()
        return World(app_id, other_app_id, alice, bob, *(link.id for link in links))


async def _readable(database, reader: AppPrincipal) -> set[uuid.UUID]:
    async with database.unit_of_work() as session:
        return set((await session.execute(readable_link_ids(reader))).scalars())


async def _assert_only(database, world: World, reader: AppPrincipal, expected: set[uuid.UUID]) -> None:
    """`expected` are readable, by the statement and one by one; every other link of either app is not."""
    assert await _readable(database, reader) == expected
    async with database.unit_of_work() as session:
        assert {link.id for link in (await session.execute(readable_links(reader))).scalars()} == expected
        for link_id in world.own_links | {world.other_app_link}:
            found = await get_link(session, reader, link_id)
            assert (found is not None) == (link_id in expected), link_id
            if found is not None:
                assert await can_read(session, reader, found)
        for link in (await session.execute(select(Link))).scalars():
            if link.id in world.own_links | {world.other_app_link} and link.id not in expected:
                assert not await can_read(session, reader, link), link.id


class TestGenericToken:
    async def test_reads_every_link_of_its_app_and_none_of_another(self, database, world: World) -> None:
        await _assert_only(database, world, principal(world.app_id), world.own_links)

    async def test_another_apps_link_answers_like_a_missing_one(self, database, world: World) -> None:
        async with database.unit_of_work() as session:
            assert await get_link(session, principal(world.app_id), world.other_app_link) is None
            assert await get_link(session, principal(world.app_id), uuid.uuid4()) is None

    async def test_the_other_app_reads_only_its_own(self, database, world: World) -> None:
        await _assert_only(database, world, principal(world.other_app_id), {world.other_app_link})


class TestOrganizationToken:
    async def test_default_reads_links_without_an_organization_and_those_of_default(
        self, database, world: World
    ) -> None:
        reader = principal(world.app_id, organization=DEFAULT_ORGANIZATION_KEY)
        expected = {world.alice_unorganized, world.alice_default, world.alice_deleted, world.bob_default}
        await _assert_only(database, world, reader, expected)

    async def test_acme_reads_only_acme(self, database, world: World) -> None:
        await _assert_only(database, world, principal(world.app_id, organization="acme"), {world.alice_acme})

    async def test_an_organization_of_another_app_reads_nothing(self, database, world: World) -> None:
        await _assert_only(database, world, principal(world.other_app_id, organization="acme"), set())


class TestUserToken:
    async def test_reads_only_its_users_links_in_its_organization(self, database, world: World) -> None:
        reader = principal(
            world.app_id, TokenKind.user, organization=DEFAULT_ORGANIZATION_KEY, user_field="id", user="alice"
        )
        expected = {world.alice_unorganized, world.alice_default, world.alice_deleted}
        await _assert_only(database, world, reader, expected)

    @pytest.mark.parametrize("field", ["id", "uid", "guid"])
    async def test_finds_its_user_by_the_apps_user_field(self, database, world: World, field: str) -> None:
        value = {"id": "bob", "uid": "uid-bob", "guid": world.bob.guid}[field]
        reader = principal(world.app_id, TokenKind.user, organization="default", user_field=field, user=value)
        await _assert_only(database, world, reader, {world.bob_default})

    async def test_another_organization_of_the_same_user_is_not_readable(
        self, database, world: World
    ) -> None:
        reader = principal(world.app_id, TokenKind.user, organization="acme", user_field="id", user="alice")
        await _assert_only(database, world, reader, {world.alice_acme})

    async def test_a_user_that_does_not_exist_reads_nothing(self, database, world: World) -> None:
        reader = principal(
            world.app_id, TokenKind.user, organization="default", user_field="id", user="carol"
        )
        await _assert_only(database, world, reader, set())

    async def test_the_same_user_id_in_another_app_reads_only_there(self, database, world: World) -> None:
        reader = principal(world.other_app_id, TokenKind.user, organization="default", user_field="id",
                           user="alice")  # fmt: skip
        await _assert_only(database, world, reader, {world.other_app_link})


class TestItemToken:
    async def test_reads_only_its_link(self, database, world: World) -> None:
        reader = principal(
            world.app_id, TokenKind.item, organization="default", item=str(world.alice_default)
        )
        await _assert_only(database, world, reader, {world.alice_default})

    async def test_its_link_outside_its_organization_is_not_readable(self, database, world: World) -> None:
        reader = principal(world.app_id, TokenKind.item, organization="acme", item=str(world.alice_default))
        await _assert_only(database, world, reader, set())

    async def test_another_apps_link_is_not_readable(self, database, world: World) -> None:
        reader = principal(world.app_id, TokenKind.item, item=str(world.other_app_link))
        await _assert_only(database, world, reader, set())

    async def test_a_malformed_item_reads_nothing(self, database, world: World) -> None:
        await _assert_only(database, world, principal(world.app_id, TokenKind.item, item="not-a-uuid"), set())


class TestListings:
    async def test_link_page_keeps_serving_links_of_the_token_only(self, database, world: World) -> None:
        reader = principal(
            world.app_id, TokenKind.user, organization="default", user_field="id", user="alice"
        )
        async with database.unit_of_work() as session:
            page = await link_page(session, reader, after=None, limit=10)
        assert {link.id for link in page} == {world.alice_unorganized, world.alice_default}

    async def test_links_of_another_user_are_not_listed_for_a_user_token(
        self, database, world: World
    ) -> None:
        reader = principal(
            world.app_id, TokenKind.user, organization="default", user_field="id", user="alice"
        )
        async with database.unit_of_work() as session:
            assert await links_in_states(session, reader, end_user_id=world.bob.id) == []
            links, total = await undeleted_links_page(session, reader, world.bob.id, offset=0, limit=10)
        assert (links, total) == ([], 0)

    async def test_undeleted_page_counts_within_the_organization(self, database, world: World) -> None:
        async with database.unit_of_work() as session:
            links, total = await undeleted_links_page(
                session, principal(world.app_id, organization="acme"), world.alice.id, offset=0, limit=10
            )
            everything, all_total = await undeleted_links_page(
                session, principal(world.app_id), world.alice.id, offset=0, limit=1
            )
        assert ([link.id for link in links], total) == ([world.alice_acme], 1)
        assert (len(everything), all_total) == (1, 3)
