// Connect: pick a tool and a model, copy the settings that point it at the gateway. The text comes
// from the gateway's snippet generator (GET /admin/snippets), the same one `switchboard snippet` uses.

import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { hrefOf, onLinkClick, useLocation } from "../router";
import { useShared } from "../state";
import type { Model, Snippet } from "../types";
import { Code } from "../components/code";
import { Card, CopyButton, ErrorBox, Field, PageHead, Spinner, useLoad, val } from "../components/ui";

export function Connect() {
  const { health, sessionKey, config } = useShared();
  const { search } = useLocation();
  const tools = useLoad(() => api.tools());
  const [models, setModels] = useState<Model[]>([]);
  const [model, setModel] = useState("");
  const [key, setKey] = useState(sessionKey ?? "");
  const [baseUrl, setBaseUrl] = useState("");
  const [embed, setEmbed] = useState("");
  const [autocomplete, setAutocomplete] = useState("");
  const [snippet, setSnippet] = useState<Snippet>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  const toolId = search.get("tool") ?? "continue";
  const tool = tools.data?.data.find((t) => t.id === toolId);
  const keysRequired = !!health?.keys_required;

  useEffect(() => void api.models().then(setModels).catch(() => undefined), [keysRequired, config]);
  useEffect(() => {
    if (!model && tools.data) setModel(tools.data.defaults.model);
  }, [tools.data]);
  useEffect(() => {
    if (sessionKey) setKey(sessionKey);
  }, [sessionKey]);

  useEffect(() => {
    if (!tools.data) return;
    let stale = false;
    setLoading(true);
    const uses = (name: string) => tool?.optional.includes(name);
    api
      .snippet({
        tool: toolId,
        model: model || undefined,
        key: key.trim() || undefined,
        base_url: baseUrl.trim() || undefined,
        embed_model: uses("embed_model") ? embed || undefined : undefined,
        autocomplete_model: uses("autocomplete_model") ? autocomplete || undefined : undefined,
      })
      .then((s) => {
        if (stale) return;
        setSnippet(s);
        setError(undefined);
      })
      .catch((e) => !stale && setError(e))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [toolId, model, key, baseUrl, embed, autocomplete, tools.data, keysRequired]);

  const groups = useMemo(() => {
    const data = tools.data;
    if (!data) return [];
    return data.categories.map((c) => ({ category: c, items: data.data.filter((t) => t.category === c) }));
  }, [tools.data]);

  const modelIds = useMemo(() => {
    const ids = [...new Set(models.map((m) => m.id))];
    if (model && !ids.includes(model)) ids.unshift(model);
    return ids;
  }, [models, model]);

  return (
    <>
      <PageHead title="Connect a tool" sub="Pick the tool, pick a model, copy. Every snippet uses this gateway's address and works as pasted." />
      <ErrorBox error={tools.error} onRetry={tools.reload} />
      <div class="connect">
        <nav class="tools card" aria-label="Tools" data-testid="tool-picker">
          {groups.map((g) => (
            <div class="tool-group" key={g.category}>
              <h4>{g.category}</h4>
              <div class="tool-list">
                {g.items.map((t) => (
                  <a
                    key={t.id}
                    href={hrefOf("connect", { tool: t.id })}
                    class="tool-btn"
                    aria-pressed={t.id === toolId ? "true" : "false"}
                    aria-current={t.id === toolId ? "true" : undefined}
                    onClick={(e) => {
                      onLinkClick(e, hrefOf("connect", { tool: t.id }));
                    }}
                    data-testid={`tool-${t.id}`}
                  >
                    {t.label}
                  </a>
                ))}
              </div>
            </div>
          ))}
        </nav>
        <div class="stack">
          <Card>
            <div class="form-row">
              <Field label="Model" hint="what the tool will ask the gateway for">
                <select value={model} onChange={(e) => setModel(val(e))} data-testid="snippet-model" name="model">
                  {modelIds.map((id) => (
                    <option key={id} value={id}>
                      {id}
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                label={keysRequired ? "Gateway key (required)" : "API key"}
                hint={
                  keysRequired ? (
                    <>
                      Paste one of your keys, or{" "}
                      <a href={hrefOf("keys")} onClick={(e) => onLinkClick(e, hrefOf("keys"))}>
                        create one
                      </a>
                      : the gateway stores only hashes, so it cannot fill a key in for you.
                    </>
                  ) : (
                    "No gateway key is set, so any value works; snippets use a dummy because some tools refuse an empty key."
                  )
                }
              >
                <input value={key} onInput={(e) => setKey(val(e))} placeholder={keysRequired ? "sk-sb-…" : "sk-local"} autoComplete="off" spellcheck={false} name="key" data-testid="snippet-key" />
              </Field>
            </div>
            {(tool?.optional.length ?? 0) > 0 && (
              <div class="form-row" style={{ marginTop: "12px" }}>
                {tool?.optional.includes("autocomplete_model") && (
                  <Field label="Autocomplete model (optional)" hint="tab completion through /v1/completions; needs a fill-in-the-middle model">
                    <select value={autocomplete} onChange={(e) => setAutocomplete(val(e))}>
                      <option value="">none</option>
                      {modelIds.map((id) => (
                        <option key={id} value={id}>
                          {id}
                        </option>
                      ))}
                    </select>
                  </Field>
                )}
                {tool?.optional.includes("embed_model") && (
                  <Field label="Embeddings model (optional)" hint="codebase indexing through /v1/embeddings">
                    <select value={embed} onChange={(e) => setEmbed(val(e))}>
                      <option value="">none</option>
                      {modelIds.map((id) => (
                        <option key={id} value={id}>
                          {id}
                        </option>
                      ))}
                    </select>
                  </Field>
                )}
              </div>
            )}
            {tool?.needs_public_url && (
              <div style={{ marginTop: "12px" }}>
                <Field label="Public base URL (your tunnel)" hint="Cursor calls this from its own servers: use your tunnel's https URL with /v1">
                  <input value={baseUrl} onInput={(e) => setBaseUrl(val(e))} placeholder="https://your-tunnel.example.com/v1" name="base_url" />
                </Field>
              </div>
            )}
          </Card>
          <ErrorBox error={error} />
          {snippet && (
            <Card
              title={
                <>
                  {snippet.label} {loading && <Spinner />}
                </>
              }
              actions={<CopyButton text={snippet.text} label="Copy all" testid="copy-all" />}
              testid="snippet"
            >
              <p class="muted">{snippet.summary}</p>
              {snippet.warnings.map((w) => (
                <div class="notice" key={w} role="alert" style={{ marginTop: "12px" }}>
                  {w}
                </div>
              ))}
              {snippet.blocks.map((b, i) => (
                <div key={`${snippet.tool}-${i}`}>
                  <div class="code-head">
                    <h3>{b.title}</h3>
                    {b.location && <span class="where">{b.location}</span>}
                  </div>
                  <Code text={b.content} lang={b.lang} testid={`block-${i}`} />
                </div>
              ))}
              {snippet.notes.length > 0 && (
                <ul class="notes">
                  {snippet.notes.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              )}
              <p class="faint" style={{ marginTop: "12px" }}>
                Same text from a terminal: <code>switchboard snippet {snippet.tool} --model {snippet.model}</code>
              </p>
            </Card>
          )}
          {!snippet && !error && !tools.error && (
            <Card>
              <Spinner /> <span class="muted">Loading…</span>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}

