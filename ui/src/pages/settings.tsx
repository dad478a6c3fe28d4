// Settings: appearance, what the gateway runs with (read from the effective config), and maintenance.
// Routing settings live on the Routes page; everything else is in the config file, which the gateway
// reloads on save.

import { useState } from "preact/hooks";
import { api } from "../api";
import { bytes } from "../format";
import { useShared, type Theme } from "../state";
import { act, Card, ErrorBox, Icon, Modal, PageHead } from "../components/ui";

export function Settings() {
  const { theme, setTheme, config, configError, reloadConfig, health, logsAvailable, reloadHealth } = useShared();
  const [confirm, setConfirm] = useState<"logs" | "keys" | null>(null);
  const s = config?.server;
  return (
    <>
      <PageHead title="Settings" sub="Most settings live in the config file; the gateway applies edits within a second, without a restart." />
      <ErrorBox error={configError} onRetry={reloadConfig} />
      <div class="stack">
        <Card title="Appearance">
          <div class="row" role="radiogroup" aria-label="Theme">
            {(["dark", "light"] as Theme[]).map((t) => (
              <label class="check" key={t} style={{ marginRight: "16px" }}>
                <input type="radio" name="theme" checked={theme === t} onChange={() => setTheme(t)} />
                <span>{t === "dark" ? "Dark" : "Light"}</span>
              </label>
            ))}
          </div>
        </Card>
        <Card title="Gateway">
          <dl class="kv">
            <dt>Listening on</dt>
            <dd class="mono">{s ? `${s.host}:${s.port}` : "—"} <span class="muted">(changing it needs a restart)</span></dd>
            <dt>Config file</dt>
            <dd class="mono">{config?.path ?? "none yet: the first change made here creates it"}</dd>
            <dt>Gateway keys</dt>
            <dd>{health?.keys_required ? "on: /v1 needs a key" : "off: /v1 is open to this machine"}</dd>
            <dt>Mock provider</dt>
            <dd>
              {config?.mock.enabled ? "on" : "off"} <span class="muted">([mock] enabled in the config file)</span>
            </dd>
            <dt>Allowed hosts</dt>
            <dd class="mono">{s?.allowed_hosts.length ? s.allowed_hosts.join(", ") : "loopback names only"}</dd>
            <dt>CORS origins</dt>
            <dd class="mono">{s?.cors_origins.length ? s.cors_origins.join(", ") : "pages served from this machine"}</dd>
            <dt>Max request body</dt>
            <dd>{bytes(s?.max_body_bytes)}</dd>
            <dt>Request log</dt>
            <dd>{logsAvailable === false ? "not available in this build" : "on ([logs] in the config file: bodies, retention)"}</dd>
            <dt>Version</dt>
            <dd>{health?.version ?? "—"}</dd>
          </dl>
        </Card>
        <Card title="Maintenance">
          <div class="row">
            <button type="button" class="btn" onClick={async () => (await act(() => api.refreshModels(), "model lists refreshed")) && reloadHealth()}>
              <Icon name="refresh" /> Refresh model lists
            </button>
            {logsAvailable && (
              <button type="button" class="btn btn-danger" onClick={() => setConfirm("logs")}>
                <Icon name="trash" /> Clear request log
              </button>
            )}
            {health?.keys_required && (
              <button type="button" class="btn btn-danger" onClick={() => setConfirm("keys")}>
                <Icon name="trash" /> Revoke every key
              </button>
            )}
          </div>
        </Card>
      </div>
      {confirm && (
        <Modal title={confirm === "logs" ? "Clear the request log?" : "Revoke every gateway key?"} onClose={() => setConfirm(null)}>
          <p>{confirm === "logs" ? "Every stored request is deleted." : "Every tool using a key gets 401 until it is reconfigured, and /v1 becomes open to this machine."}</p>
          <div class="form-actions">
            <button type="button" class="btn" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="btn btn-primary"
              onClick={async () => {
                const what = confirm;
                setConfirm(null);
                if (what === "logs") await act(() => api.clearLogs(), "request log cleared");
                else if (await act(() => api.revokeAllKeys(), "every key revoked")) await reloadHealth();
              }}
            >
              Confirm
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
