// Formatting of numbers, durations, sizes and times for the dashboard (pure functions, unit-tested).

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(value / 60_000);
  const s = Math.round((value % 60_000) / 1000);
  return `${m} min ${s} s`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (Math.abs(value) < 1000) return String(Math.round(value));
  if (Math.abs(value) < 1_000_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}k`;
  return `${(value / 1_000_000).toFixed(1)}M`;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value === 0) return "$0";
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

export function duration(secs: number): string {
  if (secs < 60) return `${Math.floor(secs)}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m`;
  if (secs < 86_400) return `${Math.floor(secs / 3600)}h ${Math.floor((secs % 3600) / 60)}m`;
  return `${Math.floor(secs / 86_400)}d ${Math.floor((secs % 86_400) / 3600)}h`;
}

/** "12:03:04" today, "Mar 3 12:03" on another day. */
export function time(unixMs: number, now: number = Date.now()): string {
  const d = new Date(unixMs);
  const n = new Date(now);
  const pad = (x: number) => String(x).padStart(2, "0");
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === n.toDateString()) return clock;
  const month = d.toLocaleString("en", { month: "short" });
  return `${month} ${d.getDate()} ${clock.slice(0, 5)}`;
}

/** "just now", "5 s ago", "3 min ago" … */
export function ago(unixMs: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - unixMs) / 1000));
  if (s < 3) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** The status class of an HTTP status: ok (2xx/3xx), warn (4xx), err (5xx, 0). */
export function statusClass(status: number): "ok" | "warn" | "err" {
  if (status >= 200 && status < 400) return "ok";
  if (status >= 400 && status < 500) return "warn";
  return "err";
}

/** A body for display: pretty JSON when it parses, SSE streams and text as they are. */
export function prettyBody(body: string | null | undefined): string {
  if (!body) return "";
  const t = body.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2);
    } catch {
      return body;
    }
  }
  return body;
}

export interface Bucket {
  t: number;
  requests: number;
  errors: number;
  avgLatency: number | null;
  p95Latency: number | null;
}

/** Requests per time bucket (seconds), for the rate and latency charts; empty buckets included. */
export function bucketize(
  records: { started_at: number; latency_ms: number; status: number }[],
  bucketSecs: number,
  fromMs: number,
  toMs: number,
): Bucket[] {
  const size = bucketSecs * 1000;
  const start = Math.floor(fromMs / size) * size;
  const n = Math.max(1, Math.ceil((toMs - start) / size));
  const lat: number[][] = Array.from({ length: n }, () => []);
  const out: Bucket[] = Array.from({ length: n }, (_, i) => ({
    t: (start + i * size) / 1000,
    requests: 0,
    errors: 0,
    avgLatency: null,
    p95Latency: null,
  }));
  for (const r of records) {
    const i = Math.floor((r.started_at - start) / size);
    if (i < 0 || i >= n) continue;
    out[i].requests++;
    if (r.status >= 400 || r.status === 0) out[i].errors++;
    lat[i].push(r.latency_ms);
  }
  out.forEach((b, i) => {
    const l = lat[i].sort((a, b2) => a - b2);
    if (l.length) {
      b.avgLatency = l.reduce((a, x) => a + x, 0) / l.length;
      b.p95Latency = l[Math.min(l.length - 1, Math.ceil(l.length * 0.95) - 1)];
    }
  });
  return out;
}
