# Sourced by scripts/serve, scripts/test, scripts/check and scripts/lock: make sure .venv exists and holds
# exactly the locked dependencies (requirements.lock, or requirements-dev.lock for "dev") and this
# checkout, installed. Re-installs only when the lock or pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LINKGATE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
LOCK="$ROOT/requirements${EXTRAS:+-$EXTRAS}.lock"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Linkgate needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
  }
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

STAMP="$VENV/.linkgate-installed${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ] || [ "$LOCK" -nt "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "Installing Linkgate into $VENV from $(basename "$LOCK") ..." >&2
  "$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r "$LOCK"
  "$VENV/bin/python" -m pip install --quiet --no-deps --editable "$ROOT"
  touch "$STAMP"
fi
