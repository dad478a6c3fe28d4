// Providers: the upstreams the gateway routes to. Add one from a preset (or a discovered local runtime
// in one click), test it, see its models, remove it. Changes go through the admin API, which writes
// the config file (comments kept) and applies it at once.

import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { ms } from "../format";
import { useShared } from "../state";
import type { Discovered, Model, Preset, ProviderHealth } from "../types";
import { act, Card, Empty, ErrorBox, Field, Icon, Modal, PageHead, Spinner, StatusBadge, toast, useLoad, val } from "../components/ui";

type KeySource = "env" | "literal" | "none";

const CUSTOM: Preset = { name: "", label: "Custom (OpenAI-compatible)", kind: "openai", base_url: null, key_env: null, local: false, responses_api: false, needs_key: false };

function AddProvider({ presets, taken, onClose, onAdded }: { presets: Preset[]; taken: string[]; onClose: () => void; onAdded: (id: string) => void }) {
  const [preset, setPreset] = useState<Preset | null>(null);
  const [id, setId] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [kind, setKind] = useState("openai");
  const [keySource, setKeySource] = useState<KeySource>("none");
  const [keyEnv, setKeyEnv] = useState("");
  const [keyValue, setKeyValue] = useState("");
  const [models, setModels] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();

  const choose = (p: Preset) => {
    setPreset(p);
    let base = p.name || "custom";
    let n = 2;
    while (taken.includes(base)) base = `${p.name || "custom"}-${n++}`;
    setId(base);
    setBaseUrl(p.base_url ?? "");
    setKind(p.kind);
    setKeySource(p.key_env ? (p.local ? "none" : "env") : "none");
    setKeyEnv(p.key_env ?? "");
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!preset) return;
    const fields: Record<string, unknown> = {};
    if (preset.name) fields.preset = preset.name;
    else fields.kind = kind;
    if (baseUrl.trim() && baseUrl.trim() !== preset.base_url) fields.base_url = baseUrl.trim();
    if (keySource === "env" && keyEnv.trim()) fields.api_key = { env: keyEnv.trim() };
    if (keySource === "literal" && keyValue.trim()) fields.api_key = keyValue.trim();
    const list = models.split(/[\s,]+/).filter(Boolean);
    if (list.length) fields.models = list;
    setSaving(true);
    try {
      await api.putProvider(id.trim(), fields);
      onAdded(id.trim());
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  if (!preset) {
    return (
      <Modal title="Add a provider" onClose={onClose} wide>
        <p class="muted" style={{ marginBottom: "12px" }}>
          Pick a service; its address, how it takes a key and its quirks come from the preset.
        </p>
        <div class="cards" data-testid="preset-list">
          {[...presets, CUSTOM].map((p) => (
            <button type="button" class="card pcard tool-btn" key={p.name || "custom"} onClick={() => choose(p)} data-testid={`preset-${p.name || "custom"}`}>
              <div class="pcard-head">
                <h3>{p.label}</h3>
                {p.local && <span class="pcard-kind">local</span>}
              </div>
              <span class="muted mono">{p.base_url ?? (p.name ? "your resource URL" : "any base URL")}</span>
            </button>
          ))}
        </div>
      </Modal>
    );
  }

  return (
    <Modal title={`Add ${preset.label}`} onClose={onClose}>
      <form class="form" onSubmit={save} data-testid="provider-form">
        <ErrorBox error={error} />
        <div class="form-row">
          <Field label="Id" hint="clients can ask for id:model">
            <input value={id} onInput={(e) => setId(val(e))} required pattern="[A-Za-z0-9._\-]+" name="id" />
          </Field>
          {!preset.name && (
            <Field label="Kind">
              <select value={kind} onChange={(e) => setKind(val(e))}>
                <option value="openai">openai</option>
                <option value="azure">azure</option>
                <option value="ollama">ollama</option>
                <option value="anthropic">anthropic</option>
              </select>
            </Field>
          )}
        </div>
        <Field label="Base URL" hint={preset.kind === "ollama" ? "the server root; /v1 is fine too" : "with /v1 for OpenAI-compatible servers"}>
          <input value={baseUrl} onInput={(e) => setBaseUrl(val(e))} placeholder="http://127.0.0.1:8000/v1" required={!preset.base_url} name="base_url" />
        </Field>
        <Field label="API key">
          <select value={keySource} onChange={(e) => setKeySource(val(e) as KeySource)} name="key_source">
            <option value="none">No key</option>
            <option value="env">From an environment variable</option>
            <option value="literal">Paste a key (written to the config file)</option>
          </select>
        </Field>
        {keySource === "env" && (
          <Field label="Variable" hint="read when the gateway loads the config; an unset variable is a config error">
            <input value={keyEnv} onInput={(e) => setKeyEnv(val(e))} placeholder="OPENAI_API_KEY" required />
          </Field>
        )}
        {keySource === "literal" && (
          <Field label="Key" hint="kept in the OS keychain (or a file only you can read), never in the config file">
            <input type="password" value={keyValue} onInput={(e) => setKeyValue(val(e))} autoComplete="off" required />
          </Field>
        )}
        <Field label="Models (optional)" hint="leave empty to discover them from the server's model list">
          <input value={models} onInput={(e) => setModels(val(e))} placeholder="gpt-4o, gpt-4o-mini" name="models" />
        </Field>
        <div class="form-actions">
          <button type="button" class="btn" onClick={() => setPreset(null)}>
            Back
          </button>
          <button type="submit" class="btn btn-primary" disabled={saving} data-testid="provider-save">
            {saving ? <Spinner /> : <Icon name="plus" />} Add provider
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ProviderCard({ p, models, configured, onTest, onRemove, testing }: { p: ProviderHealth; models: Model[]; configured: boolean; onTest: () => void; onRemove: () => void; testing: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <div class="card pcard" data-testid={`provider-${p.id}`}>
      <div class="pcard-head">
        <h3>{p.id}</h3>
        <span class="pcard-kind">{p.kind}</span>
        {p.preset && <span class="pcard-kind">preset {p.preset}</span>}
        <span class="spacer" />
        <StatusBadge status={p.status} />
      </div>
      <dl>
        {p.base_url && (
          <>
            <dt>URL</dt>
            <dd class="mono" title={p.base_url}>
              {p.base_url}
            </dd>
          </>
        )}
        <dt>Key</dt>
        <dd>{p.kind === "mock" ? "none (built in)" : p.credentials ?? "—"}</dd>
        <dt>Latency</dt>
        <dd>{ms(p.latency_ms)}</dd>
        <dt>Models</dt>
        <dd>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setOpen(!open)} aria-expanded={open} disabled={!models.length}>
            {p.models ?? models.length} {open ? "▴" : "▾"}
          </button>
        </dd>
      </dl>
      {open && (
        <div class="tag-list">
          {models.map((m) => (
            <span class="pill" key={m.id}>
              {m.id}
            </span>
          ))}
        </div>
      )}
      {p.last_error && <div class="last-error">{p.last_error}</div>}
      <div class="pcard-actions">
        <button type="button" class="btn btn-sm" onClick={onTest} disabled={testing} data-testid={`test-${p.id}`}>
          {testing ? <Spinner /> : <Icon name="bolt" size={14} />} Test connection
        </button>
        {configured && (
          <button type="button" class="btn btn-sm btn-danger" onClick={onRemove} data-testid={`remove-${p.id}`}>
            <Icon name="trash" size={14} /> Remove
          </button>
        )}
      </div>
    </div>
  );
}

export function Providers() {
  const { health, config, reloadConfig, reloadHealth } = useShared();
  const presets = useLoad(() => api.presets().then((r) => r.data));
  const discovered = useLoad(() => api.discover().then((r) => r.data));
  const [models, setModels] = useState<Model[]>([]);
  const [adding, setAdding] = useState(false);
  const [testing, setTesting] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);

  const loadModels = () => void api.models().then(setModels).catch(() => undefined);
  useEffect(loadModels, [health?.keys_required, config]);

  const configuredIds = useMemo(() => (config?.providers ?? []).map((p) => p.id), [config]);
  const providers = health?.providers ?? [];
  const byOwner = (id: string): Model[] => models.filter((m) => m.provider === id);

  const refreshAll = async () => {
    await Promise.all([reloadConfig(), reloadHealth(), discovered.reload()]);
    loadModels();
  };

  const test = async (id: string) => {
    setTesting(id);
    const ok = await act(() => api.refreshModels());
    await reloadHealth();
    setTesting(null);
    if (ok) {
      const h = (await api.health().catch(() => undefined))?.providers.find((p) => p.id === id);
      if (h) toast(h.last_error ? `${id}: ${h.last_error}` : `${id} answers: ${h.status}, ${h.models ?? 0} models`, h.last_error ? "error" : "info");
    }
    loadModels();
  };

  const remove = async (id: string) => {
    setConfirm(null);
    if (await act(() => api.deleteProvider(id), `removed ${id}`)) await refreshAll();
  };

  const addDiscovered = async (d: Discovered) => {
    let id = d.id;
    let n = 2;
    while (configuredIds.includes(id)) id = `${d.id}-${n++}`;
    if (await act(() => api.putProvider(id, d.provider), `added ${d.name} as ${id}`)) await refreshAll();
  };

  return (
    <>
      <PageHead
        title="Providers"
        sub="Where requests go. Each provider is an upstream server; the built-in mock answers offline."
        actions={
          <>
            <button type="button" class="btn" onClick={refreshAll}>
              <Icon name="refresh" /> Refresh
            </button>
            <button type="button" class="btn btn-primary" onClick={() => setAdding(true)} data-testid="add-provider">
              <Icon name="plus" /> Add provider
            </button>
          </>
        }
      />
      <div class="stack">
        <Card title="Local runtimes on this machine" actions={<button type="button" class="btn btn-sm" onClick={discovered.reload}>{discovered.loading ? <Spinner /> : <Icon name="search" size={14} />} Scan</button>} testid="discovered">
          <ErrorBox error={discovered.error} />
          {discovered.data && discovered.data.length === 0 && (
            <Empty title="No local runtime found">Start Ollama, LM Studio's server, vLLM, llama.cpp's llama-server, Jan or LocalAI and scan again: they are found on their usual ports.</Empty>
          )}
          {discovered.data && discovered.data.length > 0 && (
            <div class="cards">
              {discovered.data.map((d) => (
                <div class="card pcard" key={d.base_url} data-testid={`discovered-${d.id}`}>
                  <div class="pcard-head">
                    <h3>{d.name}</h3>
                    <span class="spacer" />
                    {d.configured ? <span class="badge badge-ok">added</span> : null}
                  </div>
                  <span class="mono muted">{d.base_url}</span>
                  <span class="muted">{d.models?.length ? `${d.models.length} models: ${d.models.slice(0, 3).join(", ")}${d.models.length > 3 ? " …" : ""}` : "no models loaded"}</span>
                  {!d.configured && (
                    <div class="pcard-actions">
                      <button type="button" class="btn btn-sm btn-primary" onClick={() => addDiscovered(d)} data-testid={`add-discovered-${d.id}`}>
                        <Icon name="plus" size={14} /> Add
                      </button>
                    </div>
                  )}
                </div>
              ))}
            </div>
          )}
        </Card>

        <Card title="Configured">
          {providers.length === 0 ? (
            <Empty title="No providers yet" action={<button type="button" class="btn btn-primary" onClick={() => setAdding(true)}>Add a provider</button>}>
              Add a hosted service (OpenAI, Anthropic, OpenRouter …) or a server on this machine.
            </Empty>
          ) : (
            <div class="cards">
              {providers.map((p) => (
                <ProviderCard key={p.id} p={p} models={byOwner(p.id)} configured={configuredIds.includes(p.id)} testing={testing === p.id} onTest={() => test(p.id)} onRemove={() => setConfirm(p.id)} />
              ))}
            </div>
          )}
        </Card>
      </div>
      {adding && presets.data && (
        <AddProvider
          presets={presets.data}
          taken={configuredIds}
          onClose={() => setAdding(false)}
          onAdded={async (id) => {
            setAdding(false);
            toast(`added ${id}; testing it…`);
            await refreshAll();
            await test(id);
          }}
        />
      )}
      {adding && presets.error ? <Modal title="Add a provider" onClose={() => setAdding(false)}><ErrorBox error={presets.error} /></Modal> : null}
      {confirm && (
        <Modal title={`Remove ${confirm}?`} onClose={() => setConfirm(null)}>
          <p>Its entry leaves the config file; routes that name it stop working until you change them.</p>
          <div class="form-actions">
            <button type="button" class="btn" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button type="button" class="btn btn-primary" onClick={() => remove(confirm)} data-testid="confirm-remove">
              Remove
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
