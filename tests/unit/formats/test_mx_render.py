"""MX rendering rules that need no gateway."""

from __future__ import annotations

import re

from formats.mx import render


def test_an_institution_guid_is_mx_shaped_stable_and_its_own() -> None:
    guid = render.institution_guid("mxbank")
    assert re.fullmatch(r"INS-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", guid)
    assert render.institution_guid("mxbank") == guid
    assert render.institution_guid("credentials_bank") != guid
