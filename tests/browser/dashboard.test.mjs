// The dashboard in Debian's headless Chromium, driven by playwright-core, against a real gateway
// (SWITCHBOARD_BIN) with its own config and data directory, and a fake OpenAI-compatible upstream.
// Screenshots go to tests/artifacts/ (git-ignored). Run through run.sh, which installs what it needs.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import OpenAI from "openai";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "..", "artifacts");
const bin = process.env.SWITCHBOARD_BIN ?? "/root/.cache/switchboard/target/debug/switchboard";
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

let tmp, upstream, upstreamPort, gateway, gatewayLog, base, context, page;
const consoleErrors = [];
const expectedHttpErrors = [];
let logsAvailable = true;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A fake OpenAI-compatible server: a model list and non-streaming chat completions. */
function startUpstream(port) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.url?.endsWith("/models")) {
        res.end(JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] }));
      } else if (req.url?.endsWith("/chat/completions")) {
        const model = JSON.parse(body || "{}").model ?? "fake-model";
        res.end(JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion", created: 0, model, choices: [{ index: 0, message: { role: "assistant", content: "hello from the fake upstream" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { message: "not here", type: "invalid_request_error" } }));
      }
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function waitFor(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function go(navId) {
  await page.click(`[data-testid="nav-${navId}"]`);
  await page.waitForSelector(`main[data-page="${navId}"]`);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "sb-browser-"));
  upstreamPort = await freePort();
  upstream = await startUpstream(upstreamPort);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The fake upstream also stands in for a local vLLM, so discovery finds it on its port.
  writeFileSync(
    join(tmp, "config.toml"),
    `[server]\nport = ${port}\ndata_dir = "${join(tmp, "data")}"\n\n[mock]\nttft_ms = 0\ntokens_per_second = 0\n\n[health]\nprobe_interval_secs = 2\n\n[discovery]\nports = { vllm = ${upstreamPort}, ollama = 1, lmstudio = 1, llamacpp = 1, jan = 1, localai = 1 }\n\n[logs]\nbodies = true\n`,
  );
  const env = { ...process.env, HOME: tmp, NO_PROXY: "127.0.0.1,localhost" };
  for (const k of ["OPENAI_API_BASE", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]) delete env[k];
  gatewayLog = join(tmp, "gateway.log");
  gateway = spawn(bin, ["serve", "--config", join(tmp, "config.toml")], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = [];
  gateway.stdout.on("data", (d) => out.push(d));
  gateway.stderr.on("data", (d) => out.push(d));
  gateway.on("exit", () => writeFileSync(gatewayLog, Buffer.concat(out)));
  await waitFor(async () => (await fetch(`${base}/health`)).ok, `the gateway at ${base} (${Buffer.concat(out)})`);
  logsAvailable = (await fetch(`${base}/admin/logs?limit=1`)).status !== 404;

  const profile = join(tmp, "chromium-profile");
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1360, height: 860 },
    colorScheme: "dark",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    // Without the request-log API, the dashboard's one probe for it is an expected 404.
    if (!logsAvailable && /404/.test(text)) return;
    // Chromium logs every 4xx answer; the ones a test provokes on purpose are expected.
    const i = expectedHttpErrors.findIndex((code) => text.includes(`status of ${code}`));
    if (i >= 0) {
      expectedHttpErrors.splice(i, 1);
      return;
    }
    consoleErrors.push(text);
  });
  page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
});

after(async () => {
  await context?.close().catch(() => {});
  gateway?.kill("SIGTERM");
  upstream?.close();
  await new Promise((r) => setTimeout(r, 300));
  if (process.env.KEEP_TMP !== "1") rmSync(tmp, { recursive: true, force: true });
});

test("every page loads and shows its heading", async () => {
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('[data-testid="gateway-state"]:has-text("Gateway running")');
  assert.match(await page.textContent('[data-testid="base-url"]'), new RegExp(`${base}/v1`));
  const pages = { overview: "Overview", providers: "Providers", routes: "Routes", connect: "Connect a tool", logs: "Logs", keys: "Keys", settings: "Settings" };
  for (const [id, heading] of Object.entries(pages)) {
    await go(id);
    assert.equal((await page.textContent("main h1"))?.trim(), heading, id);
    assert.match(page.url(), id === "overview" ? /\/ui\/$/ : new RegExp(`/ui/${id}$`));
    await page.waitForTimeout(300);
    await shot(`page-${id}-dark`);
  }
  // A reload on a deep link lands on the same page (the gateway answers every /ui/ path).
  await page.goto(`${base}/ui/routes`);
  assert.equal((await page.textContent("main h1"))?.trim(), "Routes");
});

test("a discovered runtime is added in one click, and a provider added from the dialog turns green", async () => {
  await page.goto(`${base}/ui/providers`);
  await page.waitForSelector('[data-testid="discovered-vllm"]');
  await page.click('[data-testid="add-discovered-vllm"]');
  await page.waitForSelector('[data-testid="provider-vllm"] [data-status="up"]', { timeout: 20000 });
  await page.waitForSelector('[data-testid="discovered-vllm"] :text("added")');
  await page.click('[data-testid="add-provider"]');
  await page.click('[data-testid="preset-custom"]');
  const form = page.locator('[data-testid="provider-form"]');
  await form.locator('input[name="id"]').fill("fake");
  // A URL the gateway refuses: its own message is shown in the dialog.
  await form.locator('input[name="base_url"]').fill("ftp://nowhere.example");
  expectedHttpErrors.push(400);
  await page.click('[data-testid="provider-save"]');
  const message = await form.locator(".error-message").textContent({ timeout: 10000 });
  assert.match(message, /url/i, message);
  await shot("providers-error");
  await form.locator('input[name="base_url"]').fill(`http://localhost:${upstreamPort}/v1`);
  await page.click('[data-testid="provider-save"]');
  await page.waitForSelector('[data-testid="provider-fake"] [data-status="up"]', { timeout: 20000 });
  await shot("providers-added");
  await go("overview");
  await page.waitForSelector('[data-testid="health-fake"] [data-status="up"]');
  const cfg = await (await fetch(`${base}/admin/config`)).json();
  assert.ok(cfg.providers.some((p) => p.id === "fake" && p.base_url.includes(String(upstreamPort))));
});

test("an alias with a fallback is saved from the Routes page", async () => {
  await go("routes");
  await page.click('[data-testid="add-route"]');
  const form = page.locator('[data-testid="route-form"]');
  await form.locator('input[name="alias"]').fill("team-model");
  await form.locator('input[name="target-0"]').fill("fake:fake-model");
  await form.getByText("Add a fallback").click();
  await form.locator('input[name="target-1"]').fill("mock:mock-gpt-3.5-turbo");
  await page.click('[data-testid="route-save"]');
  await page.waitForSelector('[data-testid="routes-table"] :text("team-model")');
  const r = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "team-model", messages: [{ role: "user", content: "Hi" }] }) });
  assert.equal(r.status, 200);
  assert.match((await r.json()).choices[0].message.content, /fake upstream/);
});

test("a request sent with the openai SDK appears in the live log and opens with its timings and bodies", async (t) => {
  if (!logsAvailable) {
    console.log("# SKIP live log: this gateway has no /admin/logs (404); the page shows 'Request log unavailable'");
    await go("logs");
    await page.waitForSelector('main :text("Request log unavailable")');
    t.skip("the request-log API (/admin/logs) is not in this build");
    return;
  }
  await go("logs");
  await page.waitForSelector('[data-testid="live-state"]:has-text("Live")');
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-local" });
  const marker = `browser-test-${Date.now()}`;
  const r = await client.chat.completions.create({ model: "mock-gpt-3.5-turbo", messages: [{ role: "user", content: marker }] });
  assert.ok(r.choices[0].message.content);
  const row = page.locator('[data-testid="log-row"]', { hasText: "mock-gpt-3.5-turbo" }).first();
  await row.waitFor({ timeout: 15000 });
  await shot("logs-live");
  await row.click();
  const detail = page.locator('[data-testid="log-detail"]');
  await detail.waitFor();
  await detail.locator('[data-testid="timeline"]').waitFor();
  await waitFor(async () => (await detail.textContent()).includes(marker), "the request body in the detail");
  assert.match(await detail.textContent(), /\/v1\/chat\/completions/);
  await shot("logs-detail");
  await page.keyboard.press("Escape");
  await detail.waitFor({ state: "detached" });
  // The export link (with the page's filters) downloads the same request.
  const href = await page.getAttribute('[data-testid="export-jsonl"]', "href");
  const exported = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
  assert.ok(exported.split("\n").some((line) => line.includes(marker)), exported.slice(0, 500));
  // The overview counts it.
  await go("overview");
  await waitFor(async () => /^[1-9]/.test((await page.textContent('[data-testid="stat-requests"]')) ?? ""), "today's request count");
});

test("a snippet is copied to the clipboard exactly as shown", async () => {
  await go("connect");
  await page.click('[data-testid="tool-continue"]');
  await page.waitForSelector('[data-testid="snippet"] h2:has-text("Continue")');
  await page.waitForSelector('[data-testid="block-0"]');
  const shown = await page.textContent('[data-testid="block-0"] pre');
  await page.click('[data-testid="block-0-copy"]');
  await page.waitForSelector('[data-testid="block-0-copy"]:has-text("Copied")');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, shown);
  assert.ok(copied.includes(`apiBase: "${base}/v1"`), copied);
  assert.ok(copied.includes("schema: v1"));
  await shot("connect-continue");
  await page.click('[data-testid="tool-open-webui"]');
  await page.waitForSelector('[data-testid="snippet"] h2:has-text("Open WebUI")');
  await page.click('[data-testid="copy-all"]');
  const all = await page.evaluate(() => navigator.clipboard.readText());
  assert.ok(all.includes(`OPENAI_API_BASE_URL=http://host.docker.internal:${new URL(base).port}/v1`), all);
  assert.ok(all.includes("--network=host"));
  await page.click('[data-testid="copy-base-url"]');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${base}/v1`);
});

test("a key is created (shown once), used, listed masked and revoked", async () => {
  await go("keys");
  await page.fill('input[name="key-name"]', "browser-key");
  await page.click('[data-testid="create-key"]');
  const key = (await page.textContent('[data-testid="new-key"]'))?.trim();
  assert.match(key, /^sk-sb-[0-9a-f]+$/);
  await shot("keys-created");
  await page.click('[data-testid="close-new-key"]');
  const row = page.locator('[data-testid="key-row"][data-name="browser-key"]');
  await row.waitFor();
  const masked = await row.locator("td.mono").textContent();
  assert.ok(!masked.includes(key) && masked.includes("…"), masked);
  // Keys are on now: /v1 needs the key, and the dashboard's admin calls still work (its cookie).
  assert.equal((await fetch(`${base}/v1/models`)).status, 401);
  assert.equal((await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
  await go("connect");
  await page.click('[data-testid="tool-python"]');
  await page.waitForSelector(`[data-testid="block-0"] pre:has-text("${key}")`);
  await go("keys");
  await page.click('[data-testid="revoke-browser-key"]');
  await page.click('[data-testid="confirm-revoke"]');
  await row.waitFor({ state: "detached" });
  assert.equal((await fetch(`${base}/v1/models`)).status, 200, "the last key revoked: /v1 is open again");
});

test("the keyboard alone moves between pages and through the controls", async () => {
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('[data-testid="gateway-state"]:has-text("Gateway running")');
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Skip to content");
  await page.keyboard.press("g");
  await page.keyboard.press("k");
  await page.waitForSelector('main[data-page="keys"]');
  await page.keyboard.press("g");
  await page.keyboard.press("c");
  await page.waitForSelector('main[data-page="connect"]');
  await page.keyboard.press("?");
  await page.waitForSelector('[role="dialog"][aria-label="Keyboard shortcuts"]');
  await page.keyboard.press("Escape");
  await page.waitForSelector('[role="dialog"]', { state: "detached" });
  // Tab reaches the sidebar links, and Enter follows the focused one.
  await page.focus('[data-testid="nav-settings"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('main[data-page="settings"]');
  // Every interactive element reachable by Tab shows a visible focus ring.
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none");
  if (logsAvailable) {
    await go("logs");
    const first = page.locator('[data-testid="log-row"]').first();
    await first.focus();
    await page.keyboard.press("Enter");
    await page.locator('[data-testid="log-detail"]').waitFor();
    await page.keyboard.press("Escape");
  }
});

test("in a browser there is no Stop button (only the desktop window can stop the gateway)", async () => {
  await go("overview");
  await page.locator('[data-testid="theme-toggle"]').waitFor();
  assert.equal(await page.locator('[data-testid="stop-gateway"]').count(), 0);
});

/** An IPv4 address of this machine that is not loopback, if it has one. */
function lanAddress() {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

test("reached beyond loopback, the dashboard signs in with the admin token and its live streams work", async (t) => {
  const ip = lanAddress();
  if (!ip) {
    t.skip("this machine has no non-loopback IPv4 address");
    return;
  }
  // A second gateway: a key is made while it listens on loopback (a wider bind needs one), then it
  // listens on the LAN address, where its page comes without the admin cookie.
  const port = await freePort();
  const data = join(tmp, "lan-data");
  const config = (host) => `[server]\nhost = "${host}"\nport = ${port}\ndata_dir = "${data}"\n`;
  const start = async (host) => {
    writeFileSync(join(tmp, "lan.toml"), config(host));
    const gw = spawn(bin, ["serve", "--config", join(tmp, "lan.toml")], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`http://${host}:${port}/health`)).ok, `the gateway on ${host}:${port}`);
    return gw;
  };
  let gw = await start("127.0.0.1");
  const made = await fetch(`http://127.0.0.1:${port}/admin/auth/keys`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "lan" }) });
  assert.equal(made.status, 201);
  gw.kill("SIGTERM");
  await new Promise((r) => gw.on("exit", r));
  gw = await start(ip);
  const lan = await context.newPage();
  try {
    await lan.goto(`http://${ip}:${port}/ui/`);
    await lan.getByText("The gateway needs its admin token").waitFor();
    await lan.fill('input[type="password"]', readFileSync(join(data, "admin-token"), "utf8").trim());
    await lan.click('button[type="submit"]');
    // Signed in: the page starts again, and the health stream (an EventSource, so cookie only) opens.
    await lan.waitForSelector('[data-testid="gateway-state"][title="live updates on"]', { timeout: 15000 });
    assert.equal(await lan.getByText("The gateway needs its admin token").count(), 0);
    if (logsAvailable) {
      await lan.click('[data-testid="nav-logs"]');
      await lan.waitForSelector('[data-testid="live-state"].on', { timeout: 15000 });
    }
    await lan.screenshot({ path: join(artifacts, "lan-signed-in.png") });
  } finally {
    await lan.close();
    gw.kill("SIGTERM");
  }
});

test("the light theme renders and sticks", async () => {
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const toggleTo = async (want) => {
    await page.click('[data-testid="theme-toggle"]');
    await page.waitForFunction((w) => document.documentElement.dataset.theme === w, want);
  };
  if ((await theme()) === "light") await toggleTo("dark");
  await toggleTo("light");
  await go("overview");
  await page.waitForTimeout(400);
  await shot("overview-light");
  await go("connect");
  await shot("connect-light");
  await page.reload();
  await page.waitForSelector('main[data-page="connect"]');
  assert.equal(await theme(), "light", `stored: ${await page.evaluate(() => localStorage.getItem("switchboard.theme"))}`);
  await toggleTo("dark");
});

test("no console errors", () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(expectedHttpErrors, [], "every provoked error was seen");
});
