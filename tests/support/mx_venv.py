"""The official MX client's own virtualenv: mx-platform-python pins pydantic 1, the gateway needs 2.

`<repo>/.venv-mx` is created on first use (python -m venv; the client and its dependencies installed
from tests/contract/mx_client/requirements.lock, exact versions with hashes) and reused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.processes import PROJECT_ROOT

MX_VENV = PROJECT_ROOT / ".venv-mx"
MX_CLIENT_LOCK = PROJECT_ROOT / "tests" / "contract" / "mx_client" / "requirements.lock"


def mx_python() -> Path:
    """The venv's interpreter, with the client installed (created now if missing)."""
    python = MX_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MX_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import mx_platform_python"], capture_output=True)
    if probe.returncode != 0:
        install = [str(python), "-m", "pip", "install", "-q", "--require-hashes", "-r", str(MX_CLIENT_LOCK)]
        subprocess.run(install, check=True)
    return python


def run_client(python: Path, script: Path, *args: str, timeout_s: float = 120) -> dict[str, Any]:
    """Run `script` in the MX venv; its last stdout line is the JSON it saw. Fails with its stderr."""
    done = subprocess.run(
        [str(python), str(script), *args], capture_output=True, text=True, timeout=timeout_s
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
