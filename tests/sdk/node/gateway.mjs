// Spawns the two switchboard gateways the Node SDK tests run against:
//   mock  — the built-in mock provider, streaming as fast as possible;
//   proxy — mock disabled, one `openai` provider pointing at the mock gateway.
// Each test file starts its own pair (node --test runs files in separate processes) and stops it in after().
// Configs and logs stay in a switchboard-node-* folder under the OS temp dir for post-mortems.

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.SWITCHBOARD_BIN || '/root/.cache/switchboard/target/debug/switchboard';
export const MODES = ['mock', 'proxy'];
export const CHAT_MODEL = 'mock-gpt-3.5-turbo';
export const PRESET_MODELS = [
  'mock-gpt-3.5-turbo',
  'mock-davinci-002',
  'deepseek-reasoner',
  'mock-embedding-ada-002',
  'mock-rerank-v1',
];

const MOCK_CONFIG = `[mock]
enabled = true
ttft_ms = 0
tokens_per_second = 0
`;

const proxyConfig = (upstream) => `[mock]
enabled = false

[[providers]]
id = "up"
kind = "openai"
base_url = "${upstream}"
`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(file, n = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '<no log>';
  }
}

async function startOne(name, configText, dir) {
  const cfg = path.join(dir, `${name}.toml`);
  writeFileSync(cfg, configText);
  const log = path.join(dir, `${name}.log`);
  const fd = openSync(log, 'w');
  const port = await freePort();
  const proc = spawn(BIN, ['serve', '--host', '127.0.0.1', '--port', String(port), '--config', cfg], {
    stdio: ['ignore', fd, fd],
    cwd: dir,
  });
  let exited = null;
  proc.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const root = `http://127.0.0.1:${port}`;
  const gw = { name, port, root, baseURL: `${root}/v1`, proc, log, logTail: () => tail(log) };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`${name} gateway exited (${JSON.stringify(exited)}):\n${tail(log)}`);
    try {
      const r = await fetch(`${root}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} gateway not healthy after 30 s:\n${tail(log)}`);
    }
    await sleep(50);
  }
  return gw;
}

async function waitForModels(gw, want) {
  const deadline = Date.now() + 15_000;
  let seen = [];
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${gw.baseURL}/models`);
      if (r.ok) {
        seen = ((await r.json()).data || []).map((m) => m.id);
        if (want.every((w) => seen.includes(w))) return;
      }
    } catch {
      // retry
    }
    await sleep(100);
  }
  throw new Error(`${gw.name} gateway never listed ${want}; last ids: ${seen}\n${gw.logTail()}`);
}

function stopOne(gw) {
  return new Promise((resolve) => {
    if (gw.proc.exitCode !== null || gw.proc.signalCode !== null) return resolve();
    const t = setTimeout(() => gw.proc.kill('SIGKILL'), 5000);
    gw.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    gw.proc.kill('SIGTERM');
  });
}

/** Starts the mock and proxy gateways; resolves to { mock, proxy, stop() }. */
export async function startGateways() {
  try {
    accessSync(BIN, constants.X_OK);
  } catch {
    throw new Error(
      `switchboard binary not found at ${BIN}: build it with ` +
        '`CARGO_TARGET_DIR=/root/.cache/switchboard/target cargo build -p switchboard-gateway` or set SWITCHBOARD_BIN',
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-node-'));
  const started = [];
  const killAll = () => started.forEach((g) => g.proc.exitCode === null && g.proc.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    const mock = await startOne('mock', MOCK_CONFIG, dir);
    started.push(mock);
    const proxy = await startOne('proxy', proxyConfig(mock.baseURL), dir);
    started.push(proxy);
    await waitForModels(proxy, PRESET_MODELS);
    return {
      mock,
      proxy,
      async stop() {
        await Promise.all(started.map(stopOne));
        process.removeListener('exit', killAll);
      },
    };
  } catch (err) {
    killAll();
    throw err;
  }
}
