// Routes: aliases (what clients ask for → provider:model targets tried in order), and the routing
// settings (default model, ignoring the client's model, retries).

import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { useShared } from "../state";
import type { Model, RouteConfig } from "../types";
import { act, Card, Empty, ErrorBox, Field, Icon, Modal, PageHead, val } from "../components/ui";

function RouteForm({ initial, models, onClose, onSaved }: { initial: RouteConfig | null; models: Model[]; onClose: () => void; onSaved: () => void }) {
  const [alias, setAlias] = useState(initial?.model ?? "");
  const [targets, setTargets] = useState<string[]>(initial?.targets.length ? initial.targets : [""]);
  const [retries, setRetries] = useState(initial?.retries != null ? String(initial.retries) : "");
  const [error, setError] = useState<unknown>();
  const set = (i: number, v: string) => setTargets(targets.map((t, j) => (j === i ? v : t)));
  const move = (i: number, d: number) => {
    const next = [...targets];
    const [t] = next.splice(i, 1);
    next.splice(i + d, 0, t);
    setTargets(next);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const list = targets.map((t) => t.trim()).filter(Boolean);
    const fields: Record<string, unknown> = { targets: list };
    if (retries.trim()) fields.retries = Number(retries);
    try {
      if (initial && initial.model !== alias.trim()) await api.deleteRoute(initial.model);
      await api.putRoute(alias.trim(), fields);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal title={initial ? `Edit ${initial.model}` : "Add an alias"} onClose={onClose}>
      <form class="form" onSubmit={save} data-testid="route-form">
        <ErrorBox error={error} />
        <Field label="Clients ask for" hint="any name: gpt-4o, fast, coder …">
          <input value={alias} onInput={(e) => setAlias(val(e))} required name="alias" />
        </Field>
        <div class="field">
          <span class="field-label">Targets, tried in order (fallbacks on errors, timeouts, 429 and 5xx)</span>
          {targets.map((t, i) => (
            <div class="row" key={i}>
              <input value={t} onInput={(e) => set(i, val(e))} list="model-ids" placeholder="provider:model" style={{ flex: 1 }} required={i === 0} aria-label={`target ${i + 1}`} name={`target-${i}`} />
              <button type="button" class="btn btn-sm btn-ghost" disabled={i === 0} onClick={() => move(i, -1)} aria-label="move up">
                ↑
              </button>
              <button type="button" class="btn btn-sm btn-ghost" disabled={i === targets.length - 1} onClick={() => move(i, 1)} aria-label="move down">
                ↓
              </button>
              <button type="button" class="btn btn-sm btn-ghost" disabled={targets.length === 1} onClick={() => setTargets(targets.filter((_, j) => j !== i))} aria-label="remove target">
                <Icon name="close" size={14} />
              </button>
            </div>
          ))}
          <div>
            <button type="button" class="btn btn-sm" onClick={() => setTargets([...targets, ""])}>
              <Icon name="plus" size={14} /> Add a fallback
            </button>
          </div>
          <datalist id="model-ids">
            {models.map((m) => (
              <option key={m.id} value={m.id} />
            ))}
          </datalist>
        </div>
        <Field label="Retries per target (optional)" hint="before the next target is tried; default from routing settings">
          <input type="number" min={0} max={10} value={retries} onInput={(e) => setRetries(val(e))} />
        </Field>
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" data-testid="route-save">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RoutingSettings({ models }: { models: Model[] }) {
  const { config, reloadConfig } = useShared();
  const [def, setDef] = useState("");
  const [ignore, setIgnore] = useState(false);
  const [retries, setRetries] = useState("");
  useEffect(() => {
    if (!config) return;
    setDef(config.routing.default ?? "");
    setIgnore(config.routing.ignore_client_model);
    setRetries(String(config.routing.retries));
  }, [config]);
  const save = async (e: Event) => {
    e.preventDefault();
    const ok = await act(() => api.putRouting({ default: def.trim() || null, ignore_client_model: ignore, retries: Number(retries || 0) }), "routing saved");
    if (ok) await reloadConfig();
  };
  return (
    <Card title="Routing">
      <form class="form" onSubmit={save}>
        <div class="form-row">
          <Field label="Default model" hint="for models no provider serves (empty: such requests get a 404 listing the models)">
            <input value={def} onInput={(e) => setDef(val(e))} list="model-ids-default" placeholder="provider:model" name="default" />
          </Field>
          <Field label="Retries per target" hint="inside aliases, before the next target">
            <input type="number" min={0} max={10} value={retries} onInput={(e) => setRetries(val(e))} />
          </Field>
        </div>
        <label class="check">
          <input type="checkbox" checked={ignore} onChange={(e) => setIgnore((e.currentTarget as HTMLInputElement).checked)} />
          <span>Ignore the model clients ask for: send every request to the default model</span>
        </label>
        <datalist id="model-ids-default">
          {models.map((m) => (
            <option key={m.id} value={m.id} />
          ))}
        </datalist>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Save routing
          </button>
        </div>
      </form>
    </Card>
  );
}

export function Routes() {
  const { config, configError, reloadConfig, health } = useShared();
  const [models, setModels] = useState<Model[]>([]);
  const [editing, setEditing] = useState<RouteConfig | null | undefined>(undefined);
  useEffect(() => void api.models().then(setModels).catch(() => undefined), [health?.keys_required, config]);
  const routes = config?.routes ?? [];
  const remove = async (model: string) => {
    if (await act(() => api.deleteRoute(model), `removed ${model}`)) await reloadConfig();
  };
  return (
    <>
      <PageHead
        title="Routes"
        sub="Aliases turn the name a client asks for into one or more provider:model targets, tried in order."
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setEditing(null)} data-testid="add-route">
            <Icon name="plus" /> Add alias
          </button>
        }
      />
      <ErrorBox error={configError} onRetry={reloadConfig} />
      <div class="stack">
        <Card title="Aliases">
          {routes.length === 0 ? (
            <Empty title="No aliases" action={<button type="button" class="btn btn-primary" onClick={() => setEditing(null)}>Add an alias</button>}>
              Clients can already ask for any model a provider lists, or for provider:model. Add an alias to give a model a stable name (gpt-4o → your provider's model) with fallbacks.
            </Empty>
          ) : (
            <div class="table-wrap">
              <table class="data" data-testid="routes-table">
                <thead>
                  <tr>
                    <th>Clients ask for</th>
                    <th>Targets (in order)</th>
                    <th class="num">Retries</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {routes.map((r) => (
                    <tr key={r.model}>
                      <td class="mono">{r.model}</td>
                      <td>
                        <div class="chain">
                          {r.targets.map((t, i) => (
                            <>
                              {i > 0 && <span class="arrow">→</span>}
                              <span class="pill" key={t}>
                                {t}
                              </span>
                            </>
                          ))}
                        </div>
                      </td>
                      <td class="num">{r.retries ?? "default"}</td>
                      <td class="num">
                        <button type="button" class="btn btn-sm btn-ghost" onClick={() => setEditing(r)}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-sm btn-ghost btn-danger" onClick={() => remove(r.model)} aria-label={`remove ${r.model}`}>
                          <Icon name="trash" size={14} />
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <RoutingSettings models={models} />
      </div>
      {editing !== undefined && (
        <RouteForm
          initial={editing}
          models={models}
          onClose={() => setEditing(undefined)}
          onSaved={async () => {
            setEditing(undefined);
            await reloadConfig();
          }}
        />
      )}
    </>
  );
}
