"""Which statement a window's page runs on Postgres: one link's own, several links' merged per link (one
parameter each, up to MERGED_LINKS_AT_MOST), beyond that one statement over an array of links."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from gateway.db import DialectRead
from gateway.transactions.repository import MERGED_LINKS_AT_MOST, Build, counted_page, listing, window_read
from gateway.transactions.windows import window_parameters

DAY = dt.date(2026, 12, 1)


def read_for(links: int, build: Build = counted_page) -> tuple[DialectRead, dict[str, Any]]:
    shape, parameters = window_parameters(uuid.uuid4(), [uuid.uuid4() for _ in range(links)], DAY, DAY, None)
    return window_read(build, shape, parameters), parameters


@pytest.mark.parametrize("build", [counted_page, listing])
def test_one_link_is_one_indexed_walk(build: Build) -> None:
    read, parameters = read_for(1, build)
    assert "transactions.link_id = $" in read.postgres_sql
    assert "UNION ALL" not in read.postgres_sql
    assert "link_0" not in parameters


@pytest.mark.parametrize("build", [counted_page, listing])
def test_several_links_are_merged_one_parameter_each(build: Build) -> None:
    read, parameters = read_for(3, build)
    assert read.postgres_sql.count("UNION ALL") == 2
    per_link = [name for name in read.postgres_names if name.startswith("link_") and name != "link_ids"]
    assert per_link == ["link_0", "link_1", "link_2"]  # (`link_ids` is the total's, over day counts)
    assert read.postgres_arguments(parameters | {"offset": 0, "limit": 5})  # every parameter is there


def test_beyond_the_limit_one_statement_takes_an_array_of_links() -> None:
    read, parameters = read_for(MERGED_LINKS_AT_MOST + 1)
    assert "UNION ALL" not in read.postgres_sql
    assert "= ANY ($" in read.postgres_sql
    assert "link_0" not in parameters
    assert read is read_for(MERGED_LINKS_AT_MOST + 5)[0]  # built once, whatever the number beyond
