#!/usr/bin/env bash
# End-to-end tests of a built switchboard binary with the official OpenAI SDKs: the python suite
# (pytest, in a venv) and then the node suite (node --test). Both start their own gateways.
#   SWITCHBOARD_BIN   gateway binary (default /root/.cache/switchboard/target/debug/switchboard)
#   SWITCHBOARD_VENV  python venv to create/reuse (default ~/.cache/switchboard/venv)
#   SWITCHBOARD_OPENAPI  OpenAI OpenAPI spec (default <repo>/../shared/specs/openai-openapi.yaml)
# Exits non-zero if either suite fails.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${SWITCHBOARD_BIN:-/root/.cache/switchboard/target/debug/switchboard}"
if [ ! -x "$bin" ]; then
  echo "error: switchboard binary not found at $bin" >&2
  echo "build it with: CARGO_TARGET_DIR=/root/.cache/switchboard/target cargo build -p switchboard-gateway" >&2
  echo "or point SWITCHBOARD_BIN at one" >&2
  exit 2
fi
export SWITCHBOARD_BIN="$bin"

venv="${SWITCHBOARD_VENV:-$HOME/.cache/switchboard/venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { echo "error: could not create a venv at $venv" >&2; exit 2; }
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/python/requirements.txt" ||
  { echo "error: pip install failed" >&2; exit 2; }

status=0
echo "== python SDK suite"
(cd "$here/python" && "$venv/bin/python" -m pytest -q) || status=1

echo "== node SDK suite"
cd "$here/node" || exit 2
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "error: npm ci failed" >&2; exit 2; }
else
  npm install --no-audit --no-fund --loglevel=error || { echo "error: npm install failed" >&2; exit 2; }
fi
node --test test/*.test.mjs || status=1

exit "$status"
