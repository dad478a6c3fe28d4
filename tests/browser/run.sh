#!/usr/bin/env bash
# The dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
# browser is downloaded): every page, adding a provider, the live request log, copying a snippet, keys,
# keyboard navigation, no console errors. Screenshots land in tests/artifacts/. Exits non-zero on failure.
#   SWITCHBOARD_BIN  gateway binary with the dashboard built in
#                    (default: build ui/ and the gateway, as scripts/test does)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian's chromium"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
fi

if [ -z "${SWITCHBOARD_BIN:-}" ]; then
  echo "==> building the dashboard and the gateway"
  (cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
  (cd "$root" && cargo build --locked -p switchboard-gateway --bin switchboard)
  SWITCHBOARD_BIN="$CARGO_TARGET_DIR/debug/switchboard"
fi
export SWITCHBOARD_BIN

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$root/tests/artifacts"
node --test --test-concurrency=1 dashboard.test.mjs
