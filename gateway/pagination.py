"""Page-number pagination with the Link Money / MX `pagination` object."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 1000


class Pagination(BaseModel):
    current_page: int
    per_page: int
    total_entries: int
    total_pages: int


class PageParams:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")] = 1,
        records_per_page: Annotated[
            int, Query(ge=1, le=MAX_PER_PAGE, description="Records per page (default 25).")
        ] = DEFAULT_PER_PAGE,
    ) -> None:
        self.page = page
        self.per_page = records_per_page

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def describe(self, total_entries: int) -> Pagination:
        return Pagination(
            current_page=self.page,
            per_page=self.per_page,
            total_entries=total_entries,
            total_pages=max(1, math.ceil(total_entries / self.per_page)),
        )


Page = Annotated[PageParams, Depends()]
