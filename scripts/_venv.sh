# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds this checkout, installed.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LINKGATE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Linkgate needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
  }
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

STAMP="$VENV/.linkgate-installed${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "Installing Linkgate into $VENV ..." >&2
  "$VENV/bin/python" -m pip install --quiet --editable "$ROOT${EXTRAS:+[$EXTRAS]}"
  touch "$STAMP"
fi
