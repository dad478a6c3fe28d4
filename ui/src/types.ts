// The shapes of the gateway's admin API answers (gateway/src/admin.rs, admin_logs.rs, snippets/).
// Fields the dashboard does not use are left out; optional ones may be missing on older gateways.

export type ProviderStatus = "up" | "degraded" | "down" | "unknown" | "configured";

export interface ProviderHealth {
  id: string;
  kind: string;
  status: ProviderStatus;
  base_url?: string;
  models?: number;
  last_error?: string | null;
  latency_ms?: number | null;
  breaker?: "closed" | "open" | "half_open";
  consecutive_failures?: number;
  checked_at?: number | null;
  preset?: string | null;
  credentials?: string;
  passthrough?: boolean;
}

export interface Health {
  status: "ok" | "degraded";
  version: string;
  uptime_secs: number;
  providers: ProviderHealth[];
  config_error: string | null;
  log_dropped: number;
  keys_required: boolean;
}

export interface SystemInfo {
  gateway?: { pid: number; cpu_percent: number; memory_bytes: number } | null;
  system?: { total_memory_bytes: number; used_memory_bytes: number; cpus: number };
  log_dropped?: number;
}

export interface ProviderConfig {
  id: string;
  kind: string;
  base_url: string;
  api_key: string | null;
  models: string[];
  timeout_secs: number;
  connect_timeout_secs: number;
  headers: string[];
}

export interface RouteConfig {
  model: string;
  targets: string[];
  retries?: number | null;
  params?: Record<string, unknown> | null;
}

export interface GatewayConfig {
  path: string | null;
  config_error: string | null;
  server: {
    host: string;
    port: number;
    allowed_hosts: string[];
    cors_origins: string[];
    max_body_bytes: number;
  };
  mock: { enabled: boolean; models: { id: string; type: string }[] };
  providers: ProviderConfig[];
  routes: RouteConfig[];
  routing: {
    default: string | null;
    ignore_client_model: boolean;
    force_mock: boolean;
    retries: number;
  };
}

export interface Model {
  id: string;
  owned_by: string;
  /** The provider serving it; null for an alias. */
  provider: string | null;
  alias?: boolean;
}

export interface Preset {
  name: string;
  label: string;
  kind: string;
  base_url: string | null;
  key_env: string | null;
  local: boolean;
  responses_api: boolean;
  needs_key: boolean;
}

export interface Discovered {
  id: string;
  name: string;
  base_url: string;
  models?: string[];
  configured: boolean;
  provider: Record<string, unknown>;
}

export interface GatewayKey {
  id: string;
  name: string;
  key: string;
  created: number;
  admin: boolean;
}

export interface CreatedKey extends GatewayKey {
  masked: string;
}

export interface Attempt {
  provider: string;
  model: string;
  outcome: string;
  status: number | null;
  ms: number;
}

export interface LogRecord {
  id: string;
  started_at: number;
  client: string;
  key_name: string | null;
  method: string;
  endpoint: string;
  requested_model: string | null;
  provider: string | null;
  upstream_model: string | null;
  stream: boolean;
  status: number;
  error_type: string | null;
  error_message: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  upstream_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  tokens_estimated: boolean;
  attempts: Attempt[];
  bytes_in: number;
  bytes_out: number;
  request_body?: string | null;
  response_body?: string | null;
  client_disconnected: boolean;
  has_bodies?: boolean;
  cost_usd?: number | null;
}

export interface LogPage {
  data: LogRecord[];
  next_cursor: string | null;
  has_more?: boolean;
  stored?: boolean;
}

export interface StatsRow {
  key: string | null;
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  avg_latency_ms: number | null;
  p95_latency_ms: number | null;
  avg_ttft_ms: number | null;
  cost_usd: number;
}

export interface Stats {
  group_by: string;
  groups: StatsRow[];
  total: StatsRow | null;
  stored?: boolean;
}

export interface ToolInfo {
  id: string;
  label: string;
  category: string;
  summary: string;
  needs_public_url: boolean;
  optional: string[];
}

export interface ToolList {
  data: ToolInfo[];
  categories: string[];
  defaults: {
    base_url: string;
    model: string;
    keys_required: boolean;
    dummy_key: string;
    key_placeholder: string;
  };
}

export type SnippetLang = "json" | "yaml" | "toml" | "bash" | "python" | "javascript" | "steps";

export interface Snippet {
  tool: string;
  label: string;
  summary: string;
  base_url: string;
  model: string;
  key_is_placeholder: boolean;
  blocks: { title: string; lang: SnippetLang; location: string; content: string }[];
  notes: string[];
  warnings: string[];
  text: string;
}
