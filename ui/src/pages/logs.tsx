// Logs: every request that went through, newest first, filtered; new ones arrive live over SSE
// (/admin/logs/tail with the same filters); a row opens its detail (timings, attempts, bodies);
// the filtered log exports as JSONL or CSV.

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, subscribe, withQuery, type Query } from "../api";
import { bytes, count, ms, prettyBody, statusClass, time, usd } from "../format";
import { hrefOf, navigate, useLocation } from "../router";
import { useShared } from "../state";
import type { LogRecord } from "../types";
import { Code } from "../components/code";
import { act, Card, Empty, ErrorBox, Icon, Modal, PageHead, Spinner, useLoad, val } from "../components/ui";

const RANGES: Record<string, number | null> = { "15m": 15, "1h": 60, "24h": 1440, "7d": 10_080, all: null };

interface Filters {
  status: string;
  provider: string;
  model: string;
  client: string;
  q: string;
  range: string;
}

function query(f: Filters): Query {
  const minutes = RANGES[f.range];
  return {
    status: f.status,
    provider: f.provider,
    model: f.model.trim(),
    client: f.client.trim(),
    q: f.q.trim(),
    since: minutes ? Date.now() - minutes * 60_000 : undefined,
  };
}

function Timeline({ r }: { r: LogRecord }) {
  const total = Math.max(r.latency_ms, 1);
  const bar = (label: string, value: number | null, cls: string) =>
    value == null ? null : (
      <div class="tl-row" key={label}>
        <span class="muted">{label}</span>
        <div class="tl-track">
          <div class={`tl-bar ${cls}`} style={{ left: 0, width: `${Math.max(1, (value / total) * 100)}%` }} />
        </div>
        <span class="mono">{ms(value)}</span>
      </div>
    );
  return (
    <div class="timeline" data-testid="timeline">
      {bar("first byte", r.ttft_ms, "ttft")}
      {bar("upstream", r.upstream_ms, "up")}
      {bar("total", r.latency_ms, "")}
    </div>
  );
}

function Detail({ id, onClose }: { id: string; onClose: () => void }) {
  const { data: r, error, loading } = useLoad(() => api.log(id), [id]);
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [id]);
  return (
    <aside class="drawer" role="dialog" aria-label="Request detail" tabIndex={-1} ref={ref} data-testid="log-detail">
      <header class="drawer-head">
        {r && <span class={`status-code ${statusClass(r.status)}`}>{r.status}</span>}
        <h2 class="mono">{r ? `${r.method} ${r.endpoint}` : id}</h2>
        <span class="spacer" />
        <button type="button" class="btn btn-ghost btn-icon" onClick={onClose} aria-label="Close detail">
          <Icon name="close" />
        </button>
      </header>
      <div class="drawer-body">
        {loading && !r && <Spinner />}
        <ErrorBox error={error} />
        {r && (
          <>
            {r.error_message && (
              <div class="error-box" role="alert">
                <Icon name="alert" />
                <div>
                  <strong>{r.error_type ?? "error"}:</strong> {r.error_message}
                </div>
              </div>
            )}
            <Timeline r={r} />
            <dl class="kv">
              <dt>Request id</dt>
              <dd class="mono">{r.id}</dd>
              <dt>Time</dt>
              <dd>{new Date(r.started_at).toLocaleString()}</dd>
              <dt>Client</dt>
              <dd>
                {r.client}
                {r.key_name ? ` · key ${r.key_name}` : ""}
              </dd>
              <dt>Model</dt>
              <dd class="mono">
                {r.requested_model ?? "—"}
                {r.upstream_model && r.upstream_model !== r.requested_model ? ` → ${r.upstream_model}` : ""}
              </dd>
              <dt>Provider</dt>
              <dd>{r.provider ?? "—"}</dd>
              <dt>Stream</dt>
              <dd>{r.stream ? "yes" : "no"}{r.client_disconnected ? " · client went away before the end" : ""}</dd>
              <dt>Tokens</dt>
              <dd>
                {count(r.tokens_in)} in · {count(r.tokens_out)} out{r.tokens_estimated ? " (counted by the gateway)" : ""}
                {r.cost_usd != null ? ` · ${usd(r.cost_usd)}` : ""}
              </dd>
              <dt>Size</dt>
              <dd>
                {bytes(r.bytes_in)} in · {bytes(r.bytes_out)} out
              </dd>
            </dl>
            {r.attempts.length > 0 && (
              <Card title={`Attempts (${r.attempts.length})`}>
                <table class="data">
                  <thead>
                    <tr>
                      <th>Provider</th>
                      <th>Model</th>
                      <th>Outcome</th>
                      <th class="num">Status</th>
                      <th class="num">Time</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.attempts.map((a, i) => (
                      <tr key={i}>
                        <td>{a.provider}</td>
                        <td class="mono">{a.model}</td>
                        <td>{a.outcome}</td>
                        <td class="num">{a.status ?? "—"}</td>
                        <td class="num">{ms(a.ms)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Card>
            )}
            {r.request_body || r.response_body ? (
              <>
                <h3>Request body</h3>
                <Code text={prettyBody(r.request_body) || "(empty)"} lang="json" testid="request-body" />
                <h3>Response body</h3>
                <Code text={prettyBody(r.response_body) || "(empty)"} lang="json" testid="response-body" />
              </>
            ) : (
              <p class="muted">Bodies are not kept for this request. Turn them on with <code>[logs] bodies = true</code> in the config file.</p>
            )}
          </>
        )}
      </div>
    </aside>
  );
}

export function Logs() {
  const { logsAvailable, health } = useShared();
  const { search } = useLocation();
  const selected = search.get("id");
  const [filters, setFilters] = useState<Filters>({ status: "", provider: "", model: "", client: "", q: "", range: "24h" });
  const [rows, setRows] = useState<LogRecord[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState(true);
  const [connected, setConnected] = useState(false);
  const [confirmClear, setConfirmClear] = useState(false);
  const searchBox = useRef<HTMLInputElement>(null);
  // Typing in the text filters waits for a pause before the log is queried again.
  const [settled, setSettled] = useState(filters);
  useEffect(() => {
    const t = window.setTimeout(() => setSettled(filters), 250);
    return () => window.clearTimeout(t);
  }, [filters]);
  const q = useMemo(() => query(settled), [settled]);

  const load = async (more = false) => {
    setLoading(true);
    try {
      const page = await api.logs({ ...q, cursor: more ? cursor : undefined, limit: 100 });
      setRows((r) => (more ? [...r, ...page.data] : page.data));
      setCursor(page.next_cursor);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    if (logsAvailable) void load();
  }, [q, logsAvailable]);

  useEffect(() => {
    if (!logsAvailable || !live) {
      setConnected(false);
      return;
    }
    return subscribe<LogRecord>(withQuery("/admin/logs/tail", { ...q, since: undefined }), "request", (rec) => {
      setRows((r) => (r.some((x) => x.id === rec.id) ? r : [rec, ...r].slice(0, 2000)));
      setFresh((f) => new Set(f).add(rec.id));
    }, setConnected);
  }, [q, live, logsAvailable]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) {
        e.preventDefault();
        searchBox.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const open = (id: string | null) => navigate(id ? hrefOf("logs", { id }) : hrefOf("logs"), !!selected === !!id);
  const set = (k: keyof Filters) => (e: Event) => setFilters({ ...filters, [k]: val(e as never) });
  const exportQuery = { ...q };

  if (logsAvailable === false) {
    return (
      <>
        <PageHead title="Logs" />
        <Empty title="Request log unavailable">This gateway does not serve /admin/logs (it answered 404). Request logs arrive with a newer Switchboard; meanwhile /metrics has the counters.</Empty>
      </>
    );
  }

  return (
    <>
      <PageHead
        title="Logs"
        sub="Every request through the gateway. Click a row (or press Enter on it) for timings, attempts and bodies."
        actions={
          <>
            <a class="btn" href={api.exportUrl({ ...exportQuery, format: "jsonl", bodies: true })} download="switchboard-requests.jsonl" title="every field, bodies included" data-testid="export-jsonl">
              <Icon name="download" /> JSONL
            </a>
            <a class="btn" href={api.exportUrl({ ...exportQuery, format: "csv" })} download="switchboard-requests.csv" title="one row per request, without bodies">
              <Icon name="download" /> CSV
            </a>
            <button type="button" class="btn btn-danger" onClick={() => setConfirmClear(true)}>
              <Icon name="trash" /> Clear
            </button>
          </>
        }
      />
      <div class="filters" role="search">
        <input type="search" ref={searchBox} placeholder="Search id, model, client, error…  ( / )" value={filters.q} onInput={set("q")} aria-label="Search the logs" data-testid="log-search" />
        <select value={filters.status} onChange={set("status")} aria-label="Status">
          <option value="">All statuses</option>
          <option value="2xx">2xx</option>
          <option value="4xx">4xx</option>
          <option value="5xx">5xx</option>
        </select>
        <select value={filters.provider} onChange={set("provider")} aria-label="Provider">
          <option value="">All providers</option>
          {(health?.providers ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.id}
            </option>
          ))}
        </select>
        <input placeholder="Model" value={filters.model} onInput={set("model")} aria-label="Model" style={{ width: "130px" }} />
        <input placeholder="Client" value={filters.client} onInput={set("client")} aria-label="Client" style={{ width: "110px" }} />
        <select value={filters.range} onChange={set("range")} aria-label="Time range">
          <option value="15m">Last 15 min</option>
          <option value="1h">Last hour</option>
          <option value="24h">Last 24 h</option>
          <option value="7d">Last 7 days</option>
          <option value="all">All time</option>
        </select>
        <div class="live-group">
        <span class={`live ${live && connected ? "on" : ""}`} data-testid="live-state">
          <span class="dot" />
          {live ? (connected ? "Live" : "Connecting…") : "Paused"}
        </span>
        <button type="button" class="btn btn-sm" onClick={() => setLive(!live)} aria-pressed={live} data-testid="live-toggle">
          <Icon name={live ? "pause" : "play"} size={14} /> {live ? "Pause" : "Resume"}
        </button>
        </div>
      </div>
      <ErrorBox error={error} onRetry={() => load()} />
      {rows.length === 0 && !loading && !error ? (
        <Empty title="No requests yet">
          Send one: <code>curl {location.origin}/v1/chat/completions -H "Content-Type: application/json" -d '{'{'}"model":"mock-gpt-3.5-turbo","messages":[{'{'}"role":"user","content":"Hi"{'}'}]{'}'}'</code> — it shows up here at once.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="data" data-testid="log-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Status</th>
                <th>Endpoint</th>
                <th>Model</th>
                <th>Provider</th>
                <th>Client</th>
                <th class="num">Latency</th>
                <th class="num">First byte</th>
                <th class="num">Tokens</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr
                  key={r.id}
                  class={`clickable ${selected === r.id ? "selected" : ""} ${fresh.has(r.id) ? "fresh" : ""}`}
                  tabIndex={0}
                  onClick={() => open(r.id)}
                  onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), open(r.id))}
                  data-testid="log-row"
                  data-id={r.id}
                >
                  <td class="mono">{time(r.started_at)}</td>
                  <td>
                    <span class={`status-code ${statusClass(r.status)}`}>{r.status}</span>
                  </td>
                  <td class="mono">
                    {r.endpoint}
                    {r.stream ? <span class="pill" style={{ marginLeft: "6px" }}>stream</span> : null}
                  </td>
                  <td class="mono" title={r.upstream_model ?? undefined}>
                    {r.requested_model ?? "—"}
                  </td>
                  <td>{r.provider ?? "—"}</td>
                  <td title={r.client}>{r.client}</td>
                  <td class="num">{ms(r.latency_ms)}</td>
                  <td class="num">{ms(r.ttft_ms)}</td>
                  <td class="num">{r.tokens_in == null && r.tokens_out == null ? "—" : `${count(r.tokens_in)} / ${count(r.tokens_out)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <div class="row" style={{ justifyContent: "center", marginTop: "12px" }}>
          <button type="button" class="btn" onClick={() => load(true)} disabled={loading}>
            {loading ? <Spinner /> : null} Load older
          </button>
        </div>
      )}
      {selected && <Detail id={selected} onClose={() => open(null)} />}
      {confirmClear && (
        <Modal title="Clear the request log?" onClose={() => setConfirmClear(false)}>
          <p>Every stored request is deleted. Export first if you want to keep them.</p>
          <div class="form-actions">
            <button type="button" class="btn" onClick={() => setConfirmClear(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="btn btn-primary"
              onClick={async () => {
                setConfirmClear(false);
                if (await act(() => api.clearLogs(), "request log cleared")) setRows([]);
              }}
            >
              Clear the log
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
