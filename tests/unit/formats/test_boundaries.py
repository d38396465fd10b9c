"""formats/ is pure wire code: it never reaches the database or the gateway's webhook machinery."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("sqlalchemy", "gateway.collections", "gateway.links", "gateway.db", "gateway.webhooks")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_no_format_module_imports_the_database_or_gateway_webhooks() -> None:
    modules = sorted((ROOT / "formats").rglob("*.py"))
    assert len(modules) > 10
    found = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in modules
        for module in imported_modules(path)
        if is_forbidden(module)
    }
    assert found == set()


def test_importing_every_format_loads_no_session_code() -> None:
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted((ROOT / "formats").rglob("*.py"))
    ]
    script = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + (f"print('\\n'.join(m for m in sys.modules if m.startswith({FORBIDDEN!r})))")
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "sqlalchemy.ext.asyncio" not in loaded
    assert [m for m in loaded if m.startswith("gateway.")] == []
