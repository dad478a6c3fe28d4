// The typed client of the gateway's admin API. The dashboard is served by the gateway itself, so
// every call is same-origin: the admin guard accepts it, and once gateway keys exist the `sb_admin`
// cookie the gateway set with the page carries the admin token (HttpOnly: this code never sees it).
// Errors keep the gateway's own message (`{"error":{"message"}}`), which the pages show as it is.

import type {
  CreatedKey,
  Discovered,
  GatewayConfig,
  GatewayKey,
  Health,
  LogPage,
  LogRecord,
  Model,
  Preset,
  Snippet,
  Stats,
  SystemInfo,
  ToolList,
} from "./types";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The message of an error body in the OpenAI envelope, or a readable fallback. */
export function errorMessage(status: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string; type?: string; param?: string } };
    const e = parsed?.error;
    if (e && typeof e.message === "string") {
      return new ApiError(e.message, status, e.type ?? null, e.param ?? null);
    }
  } catch {
    // not JSON: fall through
  }
  const text = body.trim().slice(0, 300);
  return new ApiError(text || `the gateway answered ${status} with no message`, status);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/** The admin token typed in by the user, for a gateway that sets no cookie with the page (one listening
 * beyond loopback): kept for this tab, and turned into the HttpOnly cookie at sign-in
 * (`api.startSession`) for what cannot send headers. On loopback the page's cookie does the job and
 * this stays empty. */
const TOKEN_KEY = "switchboard.admin-token";

export function adminToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setAdminToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage may be off: the token then lasts until the next request fails
  }
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: "application/json" };
  if (json) h["content-type"] = "application/json";
  const token = adminToken();
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  let response: Response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      credentials: "same-origin",
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("cannot reach the gateway: is it still running?", 0, "network_error");
  }
  const text = await response.text();
  if (!response.ok) throw errorMessage(response.status, text);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(`the gateway sent something that is not JSON from ${path}`, response.status);
  }
}

const get = <T>(path: string, query?: Query) => request<T>("GET", path, undefined, query);
const enc = encodeURIComponent;

export const api = {
  /** Makes the admin token sent with this request the HttpOnly session cookie, which the event
   * streams (EventSource sends no headers) and downloads then carry. */
  startSession: () => request<void>("POST", "/admin/session"),
  health: () => get<Health>("/admin/health"),
  system: () => get<SystemInfo>("/admin/system"),
  config: () => get<GatewayConfig>("/admin/config"),
  discover: () => get<{ data: Discovered[] }>("/admin/discover"),
  presets: () => get<{ data: Preset[] }>("/admin/presets"),

  /** Every model with the provider that serves it (aliases have provider null). */
  models: () => get<{ data: Model[] }>("/admin/models").then((r) => r.data),
  refreshModels: () => request<{ data: Model[] }>("POST", "/admin/models/refresh", {}),

  putProvider: (id: string, fields: Record<string, unknown>) =>
    request<GatewayConfig>("PUT", `/admin/providers/${enc(id)}`, fields),
  deleteProvider: (id: string) => request<GatewayConfig>("DELETE", `/admin/providers/${enc(id)}`),
  putRoute: (model: string, fields: Record<string, unknown>) =>
    request<GatewayConfig>("PUT", `/admin/routes/${model.split("/").map(enc).join("/")}`, fields),
  deleteRoute: (model: string) =>
    request<GatewayConfig>("DELETE", `/admin/routes/${model.split("/").map(enc).join("/")}`),
  putRouting: (fields: Record<string, unknown>) => request<GatewayConfig>("PUT", "/admin/routing", fields),

  keys: () => get<{ data: GatewayKey[]; auth_required: boolean }>("/admin/auth/keys"),
  createKey: (name: string, admin = false) => request<CreatedKey>("POST", "/admin/auth/keys", { name, admin }),
  revokeKey: (id: string) => request<{ deleted: boolean; auth_required: boolean }>("DELETE", `/admin/auth/keys/${enc(id)}`),

  tools: () => get<ToolList>("/admin/snippets"),
  snippet: (q: { tool: string; model?: string; key?: string; base_url?: string; embed_model?: string; autocomplete_model?: string }) =>
    get<Snippet>("/admin/snippets", q),

  logs: (q: Query) => get<LogPage>("/admin/logs", q),
  log: (id: string) => get<LogRecord>(`/admin/logs/${enc(id)}`),
  stats: (q: Query) => get<Stats>("/admin/logs/stats", q),
  clearLogs: () => request<{ deleted: number }>("DELETE", "/admin/logs"),
  revokeAllKeys: () => request<{ deleted: number }>("DELETE", "/admin/auth/keys"),
  exportUrl: (q: Query) => withQuery("/admin/logs/export", q),
};

/** Server-sent events from the admin API; reconnects by itself (EventSource does). */
export function subscribe<T>(
  path: string,
  event: string,
  onData: (data: T) => void,
  onState?: (open: boolean) => void,
): () => void {
  const source = new EventSource(path, { withCredentials: true });
  source.addEventListener(event, (e) => {
    try {
      onData(JSON.parse((e as MessageEvent<string>).data) as T);
    } catch {
      // a malformed event is skipped; the next one may be fine
    }
  });
  source.onopen = () => onState?.(true);
  source.onerror = () => onState?.(false);
  return () => source.close();
}

/** Whether an endpoint exists on this gateway (the request log may not, on older builds). */
export async function exists(path: string): Promise<boolean> {
  try {
    const r = await fetch(path, { method: "GET", credentials: "same-origin", headers: headers(false) });
    return r.status !== 404;
  } catch {
    return false;
  }
}
