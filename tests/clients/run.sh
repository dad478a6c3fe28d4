#!/usr/bin/env bash
# Real clients through Switchboard, offline: Claude Code (`claude -p`, the Anthropic Messages API) and
# Codex CLI (`codex exec`, the Responses API) against three gateways, all ending at the mock provider:
#   - mock:      the gateway serves the mock provider itself (front doors translate to chat);
#   - openai:    a gateway whose `openai`-kind provider is the mock gateway (translated, then forwarded);
#   - anthropic: a gateway whose `anthropic`-kind provider is the mock gateway's /v1/messages (Claude
#                Code's requests pass through natively; Codex's go Responses → chat → Messages → chat).
#
# Through each gateway, each client runs two turns and must print the mock's reply:
#   - a text turn;
#   - a tool-use turn: the mock calls one of the client's own tools (Claude Code's Read, Codex's goal
#     tools, chosen by word overlap with the prompt), the client runs it and sends the result back,
#     and the mock answers "The <tool> tool returned …".
# The clients are installed from npm into a cache directory (pinned versions, reused across runs).
# A logging proxy in HTTPS_PROXY/HTTP_PROXY records every connection a client tries to open anywhere
# but the gateway; the run fails if there is one (both clients are configured not to phone home).
#
#   SWITCHBOARD_BIN          gateway binary (default /root/.cache/switchboard/target/debug/switchboard)
#   SWITCHBOARD_CLIENTS_DIR  npm prefix for the clients (default ~/.cache/switchboard/clients)
#   CLAUDE_CODE_VERSION      @anthropic-ai/claude-code version (default 2.1.197)
#   CODEX_VERSION            @openai/codex version (default 0.169.0)
# Exits non-zero if any check fails. Needs node and npm.
set -uo pipefail

bin="${SWITCHBOARD_BIN:-/root/.cache/switchboard/target/debug/switchboard}"
clients="${SWITCHBOARD_CLIENTS_DIR:-$HOME/.cache/switchboard/clients}"
claude_version="${CLAUDE_CODE_VERSION:-2.1.197}"
codex_version="${CODEX_VERSION:-0.169.0}"
model="mock-gpt-3.5-turbo"

if [ ! -x "$bin" ]; then
  echo "error: switchboard binary not found at $bin" >&2
  echo "build it with: CARGO_TARGET_DIR=/root/.cache/switchboard/target cargo build -p switchboard-gateway" >&2
  exit 2
fi
for tool in node npm timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required" >&2; exit 2; }
done

installed_version() { # package name → version installed under $clients, or nothing
  node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
    "$clients/node_modules/$1/package.json" 2>/dev/null
}
mkdir -p "$clients"
if [ "$(installed_version @anthropic-ai/claude-code)" != "$claude_version" ] ||
  [ "$(installed_version @openai/codex)" != "$codex_version" ]; then
  echo "== installing @anthropic-ai/claude-code@$claude_version and @openai/codex@$codex_version into $clients"
  npm install --prefix "$clients" --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$claude_version" "@openai/codex@$codex_version" ||
    { echo "error: npm install failed" >&2; exit 2; }
fi
claude="$clients/node_modules/.bin/claude"
codex="$clients/node_modules/.bin/codex"

# Not under /tmp: Codex refuses to create its helper binaries in a temporary directory.
work="$(mktemp -d "$clients/run.XXXXXX")"
gateway_pids=""
proxy_pid=""
cleanup() {
  for pid in $gateway_pids; do kill "$pid" 2>/dev/null; done
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# The logging proxy: writes the first line of every request (CONNECT host:443 …) and refuses it.
node -e '
  const net = require("net"), fs = require("fs");
  const server = net.createServer((c) => {
    c.on("error", () => {});
    c.once("data", (d) => {
      fs.appendFileSync(process.argv[1], d.toString().split("\r\n")[0] + "\n");
      c.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    });
  });
  server.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[2], String(server.address().port)));
' "$work/outbound.log" "$work/proxy.port" &
proxy_pid=$!

start_gateway() { # name, config text → sets $port; logs to $work/<name>.log
  local name="$1"
  port="$(free_port)"
  printf '%s\n' "$2" >"$work/$name.toml"
  NO_COLOR=1 "$bin" serve --host 127.0.0.1 --port "$port" --config "$work/$name.toml" >"$work/$name.log" 2>&1 &
  gateway_pids="$gateway_pids $!"
  for _ in $(seq 1 100); do
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "http://127.0.0.1:$port/health" && return 0
    sleep 0.1
  done
  echo "error: the $name gateway did not start; its log:" >&2
  cat "$work/$name.log" >&2
  exit 2
}
start_gateway mock "$(printf '[mock]\nenabled = true\nttft_ms = 0\ntokens_per_second = 0')"
mock_port=$port
start_gateway openai "$(printf '[mock]\nenabled = false\n\n[[providers]]\nid = "up"\nkind = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodels = ["%s"]' "$mock_port" "$model")"
openai_port=$port
start_gateway anthropic "$(printf '[mock]\nenabled = false\n\n[[providers]]\nid = "claude"\nkind = "anthropic"\nbase_url = "http://127.0.0.1:%s"\napi_key = "sk-ant-local"\nmodels = ["%s"]' "$mock_port" "$model")"
anthropic_port=$port
for _ in $(seq 1 50); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
proxy="http://127.0.0.1:$(cat "$work/proxy.port" 2>/dev/null)"
export HTTPS_PROXY="$proxy" HTTP_PROXY="$proxy" https_proxy="$proxy" http_proxy="$proxy"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"

passed=0
failed=0
check() { # name, output file, exit code, expected text
  local name="$1" out="$2" rc="$3" want="$4"
  if [ "$rc" -eq 0 ] && grep -qF -- "$want" "$out"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $rc; expected output containing: $want)"
    sed 's/^/     | /' "$out" | tail -n 25
    echo "     $via gateway log:"
    sed 's/\x1b\[[0-9;]*m//g; s/^/     | /' "$work/$via.log" | tail -n 10
    failed=$((failed + 1))
  fi
}
requests() { # how many requests the current gateway answered 200 on a path
  sed 's/\x1b\[[0-9;]*m//g' "$work/$via.log" | grep -c "path=$1 status=200" || true
}

# --- Claude Code: ANTHROPIC_BASE_URL is the origin (Claude Code appends /v1/messages?beta=true).
claude_home="$work/claude-home"
mkdir -p "$claude_home/project"
echo "hello from a file" >"$claude_home/project/notes.txt"
run_claude() { # output file, prompt, tools
  (cd "$claude_home/project" &&
    HOME="$claude_home" ANTHROPIC_BASE_URL="http://127.0.0.1:$port" ANTHROPIC_API_KEY=dummy \
      ANTHROPIC_MODEL="$model" ANTHROPIC_DEFAULT_OPUS_MODEL="$model" ANTHROPIC_DEFAULT_SONNET_MODEL="$model" \
      ANTHROPIC_DEFAULT_HAIKU_MODEL="$model" ANTHROPIC_SMALL_FAST_MODEL="$model" \
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
      DISABLE_ERROR_REPORTING=1 DISABLE_BUG_COMMAND=1 \
      timeout 180 "$claude" -p "$2" --tools "$3" </dev/null >"$1" 2>&1)
}

# --- Codex CLI: a model_providers entry with wire_api = "responses" and base_url = the gateway's /v1.
codex_home="$work/codex-home"
mkdir -p "$codex_home/.codex" "$codex_home/project"
run_codex() { # output file, prompt
  cat >"$codex_home/.codex/config.toml" <<TOML
model = "$model"
model_provider = "switchboard"
check_for_update_on_startup = false

[model_providers.switchboard]
name = "Switchboard"
base_url = "http://127.0.0.1:$port/v1"
env_key = "SWITCHBOARD_KEY"
wire_api = "responses"

# No plugin catalogue sync and no analytics: nothing but the gateway is contacted.
[features]
plugins = false

[analytics]
enabled = false
TOML
  (cd "$codex_home/project" &&
    HOME="$codex_home" CODEX_HOME="$codex_home/.codex" SWITCHBOARD_KEY=dummy \
      timeout 180 "$codex" exec --skip-git-repo-check "$2" </dev/null >"$1" 2>&1)
}

expect_requests() { # client, path, count before
  local n=$(($(requests "$2") - $3))
  if [ "$n" -ge 3 ]; then
    echo "ok   [$via] $1 went through POST $2 ($n requests)"
    passed=$((passed + 1))
  else
    echo "FAIL [$via] $1: expected at least 3 POST $2 on the $via gateway, it saw $n"
    failed=$((failed + 1))
  fi
}

for via in mock openai anthropic; do
  case "$via" in
    mock) port=$mock_port ;;
    openai) port=$openai_port ;;
    anthropic) port=$anthropic_port ;;
  esac
  before=$(requests /v1/messages)
  run_claude "$work/claude-text.out" "say pong" ""
  check "[$via] claude -p: a text turn" "$work/claude-text.out" $? "Switchboard"
  run_claude "$work/claude-tool.out" "Read the file notes.txt" "Read"
  check "[$via] claude -p: a tool-use turn (Read)" "$work/claude-tool.out" $? "The Read tool returned"
  expect_requests claude /v1/messages "$before"

  before=$(requests /v1/responses)
  run_codex "$work/codex-text.out" "say pong"
  check "[$via] codex exec: a text turn" "$work/codex-text.out" $? "Switchboard"
  run_codex "$work/codex-tool.out" "get goal"
  check "[$via] codex exec: a tool-use turn (goal tools)" "$work/codex-tool.out" $? "tool returned"
  expect_requests codex /v1/responses "$before"
done

# --- Nothing else was contacted.
if [ -s "$work/outbound.log" ]; then
  echo "FAIL the clients tried to reach other hosts:"
  sort "$work/outbound.log" | uniq -c | sed 's/^/     | /'
  failed=$((failed + 1))
else
  echo "ok   no client tried to reach anything but the gateway"
  passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
