// Overview: is the gateway fine, where do tools point, which providers are up, how much traffic and how
// fast, and what the gateway costs the machine.

import { useEffect, useMemo, useState } from "preact/hooks";
import { api, subscribe } from "../api";
import { bucketize, bytes, count, duration, ms, usd } from "../format";
import { hrefOf, onLinkClick } from "../router";
import { useShared } from "../state";
import type { LogRecord, Stats, SystemInfo } from "../types";
import { Meter, TimeChart } from "../components/chart";
import { Card, CopyButton, Empty, ErrorBox, PageHead, StatusBadge } from "../components/ui";

const WINDOW_MIN = 30;

/** Recent requests for the charts: a first page from the log, then the live tail. */
function useRecent(enabled: boolean | undefined): { records: LogRecord[]; now: number } {
  const [records, setRecords] = useState<LogRecord[]>([]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!enabled) return;
    const since = Date.now() - WINDOW_MIN * 60_000;
    void api
      .logs({ since, limit: 1000 })
      .then((p) => setRecords((r) => [...r, ...p.data]))
      .catch(() => undefined);
    const stop = subscribe<LogRecord>("/admin/logs/tail", "request", (rec) => setRecords((r) => [rec, ...r].slice(0, 5000)));
    const t = window.setInterval(() => setNow(Date.now()), 10_000);
    return () => {
      stop();
      window.clearInterval(t);
    };
  }, [enabled]);
  return { records, now };
}

function Charts({ theme, logsAvailable }: { theme: string; logsAvailable: boolean | undefined }) {
  const { records, now } = useRecent(logsAvailable);
  const buckets = useMemo(() => bucketize(records, 60, now - WINDOW_MIN * 60_000, now), [records, now]);
  const times = buckets.map((b) => b.t);
  const rate = useMemo(
    () => [
      // Empty minutes draw nothing rather than a line along zero.
      { label: "requests", color: "--accent", values: buckets.map((b) => b.requests || null), bars: true },
      { label: "errors", color: "--err", values: buckets.map((b) => b.errors || null), bars: true },
    ],
    [buckets],
  );
  const latency = useMemo(
    () => [
      { label: "average", color: "--accent", values: buckets.map((b) => b.avgLatency), unit: " ms" },
      { label: "p95", color: "--violet", values: buckets.map((b) => b.p95Latency), unit: " ms" },
    ],
    [buckets],
  );
  if (logsAvailable === false) {
    return (
      <Card title="Traffic">
        <Empty title="Request log unavailable">This gateway has no request log API (/admin/logs), so there is no traffic history to chart. Update Switchboard to get request logs and charts.</Empty>
      </Card>
    );
  }
  return (
    <div class="grid grid-2">
      <Card title="Requests per minute" actions={<span class="muted">last {WINDOW_MIN} min</span>} testid="chart-rate">
        <TimeChart times={times} series={rate} theme={theme} label="requests per minute" />
      </Card>
      <Card title="Latency" actions={<span class="muted">per minute</span>} testid="chart-latency">
        <TimeChart times={times} series={latency} theme={theme} label="latency per minute" />
      </Card>
    </div>
  );
}

function Totals({ logsAvailable }: { logsAvailable: boolean | undefined }) {
  const [stats, setStats] = useState<Stats>();
  useEffect(() => {
    if (!logsAvailable) return;
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const load = () =>
      void api
        .stats({ since: midnight.getTime(), group_by: "model", tz_offset: -midnight.getTimezoneOffset() })
        .then(setStats)
        .catch(() => undefined);
    load();
    const t = window.setInterval(load, 10_000);
    return () => window.clearInterval(t);
  }, [logsAvailable]);
  const t = stats?.total;
  const errRate = t && t.requests ? (t.errors / t.requests) * 100 : null;
  return (
    <div class="grid grid-4">
      <Card class="stat">
        <div class="label">Requests today</div>
        <div class="value" data-testid="stat-requests">{t ? count(t.requests) : "—"}</div>
        <div class="hint">{logsAvailable === false ? "request log unavailable" : t ? `${count(t.errors)} ${t.errors === 1 ? "error" : "errors"}` : "no requests yet"}</div>
      </Card>
      <Card class="stat">
        <div class="label">Error rate</div>
        <div class="value">{errRate === null ? "—" : `${errRate.toFixed(1)}%`}</div>
        <div class="hint">status 400 and above</div>
      </Card>
      <Card class="stat">
        <div class="label">Latency p95</div>
        <div class="value">{ms(t?.p95_latency_ms)}</div>
        <div class="hint">avg {ms(t?.avg_latency_ms)} · first token {ms(t?.avg_ttft_ms)}</div>
      </Card>
      <Card class="stat">
        <div class="label">Tokens today</div>
        <div class="value">{t ? count(t.tokens_in + t.tokens_out) : "—"}</div>
        <div class="hint">{t ? `${count(t.tokens_in)} in · ${count(t.tokens_out)} out · ${usd(t.cost_usd)}` : "in and out"}</div>
      </Card>
    </div>
  );
}

function System() {
  const [sys, setSys] = useState<SystemInfo>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const load = () =>
      void api
        .system()
        .then((s) => {
          setSys(s);
          setError(undefined);
        })
        .catch(setError);
    load();
    const t = window.setInterval(load, 5000);
    return () => window.clearInterval(t);
  }, []);
  const g = sys?.gateway;
  const s = sys?.system;
  return (
    <Card title="This machine" testid="system">
      <ErrorBox error={error} />
      <div class="grid grid-2">
        <div class="stat">
          <div class="label">Gateway CPU</div>
          <div class="value">{g ? `${g.cpu_percent.toFixed(1)}%` : "—"}</div>
          <Meter value={g?.cpu_percent ?? 0} max={100 * (s?.cpus ?? 1)} />
          <div class="hint">of {s?.cpus ?? "?"} cores</div>
        </div>
        <div class="stat">
          <div class="label">Gateway memory</div>
          <div class="value">{bytes(g?.memory_bytes)}</div>
          <Meter value={s?.used_memory_bytes ?? 0} max={s?.total_memory_bytes ?? 1} tone="ok" />
          <div class="hint">
            system {bytes(s?.used_memory_bytes)} of {bytes(s?.total_memory_bytes)} used
          </div>
        </div>
      </div>
    </Card>
  );
}

export function Overview() {
  const { health, healthError, baseUrl, theme, logsAvailable, reloadHealth } = useShared();
  const providers = health?.providers ?? [];
  const curl = `curl ${baseUrl}/chat/completions -H "Content-Type: application/json" \\\n  -d '{"model":"mock-gpt-3.5-turbo","messages":[{"role":"user","content":"Hello"}]}'`;
  return (
    <>
      <PageHead title="Overview" sub={health ? `Up for ${duration(health.uptime_secs)} · version ${health.version}${health.keys_required ? " · gateway keys on" : " · open on this machine (no gateway keys)"}` : "Connecting to the gateway…"} />
      <ErrorBox error={healthError} onRetry={reloadHealth} />
      {health?.config_error && (
        <div class="notice" role="alert">
          <strong>The config file has an error; the last good config stays in force.</strong>
          <pre class="mono">{health.config_error}</pre>
        </div>
      )}
      <div class="stack">
        <Card title="Point your tools here" actions={<a class="btn btn-sm btn-primary" href={hrefOf("connect")} onClick={(e) => onLinkClick(e, hrefOf("connect"))}>Set up a tool</a>}>
          <div class="row">
            <code class="secret" style={{ borderColor: "var(--border)" }}>{baseUrl}</code>
            <CopyButton text={baseUrl} label="Copy base URL" />
            <CopyButton text={curl} label="Copy a test request" />
          </div>
          <p class="muted" style={{ marginTop: "8px" }}>
            OpenAI-compatible. {health?.keys_required ? "Clients need a gateway key (Keys page)." : "Any API key works while no gateway key exists."} Anthropic clients use the same address without /v1.
          </p>
        </Card>
        <Totals logsAvailable={logsAvailable} />
        <Card title="Providers" actions={<a class="btn btn-sm" href={hrefOf("providers")} onClick={(e) => onLinkClick(e, hrefOf("providers"))}>Manage</a>} testid="overview-providers">
          {providers.length === 0 ? (
            <Empty title="No providers">Add one on the Providers page, or turn the built-in mock provider back on in the config file.</Empty>
          ) : (
            <div class="cards">
              {providers.map((p) => (
                <div class="card pcard" key={p.id} data-testid={`health-${p.id}`}>
                  <div class="pcard-head">
                    <h3>{p.id}</h3>
                    <span class="pcard-kind">{p.kind}</span>
                    <span class="spacer" />
                    <StatusBadge status={p.status} />
                  </div>
                  <dl>
                    <dt>Latency</dt>
                    <dd>{ms(p.latency_ms)}</dd>
                    <dt>Models</dt>
                    <dd>{p.models ?? "—"}</dd>
                    {p.breaker && p.breaker !== "closed" && (
                      <>
                        <dt>Breaker</dt>
                        <dd>{p.breaker.replace("_", "-")}</dd>
                      </>
                    )}
                  </dl>
                  {p.last_error && <div class="last-error">{p.last_error}</div>}
                </div>
              ))}
            </div>
          )}
        </Card>
        <Charts theme={theme} logsAvailable={logsAvailable} />
        <System />
      </div>
    </>
  );
}
