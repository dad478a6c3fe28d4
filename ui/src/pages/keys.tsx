// Keys: gateway keys for /v1. Created keys are shown once (the gateway keeps only a hash), listed
// masked, revoked one by one. The first key turns authentication on; revoking the last turns it off.

import { useState } from "preact/hooks";
import { api } from "../api";
import { ago, time } from "../format";
import { hrefOf, navigate } from "../router";
import { useShared } from "../state";
import type { CreatedKey, GatewayKey } from "../types";
import { act, Card, CopyButton, Empty, ErrorBox, Field, Icon, Modal, PageHead, useLoad, val } from "../components/ui";

export function Keys() {
  const { reloadHealth, setSessionKey, health } = useShared();
  const keys = useLoad(() => api.keys());
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<GatewayKey | null>(null);
  const [error, setError] = useState<unknown>();

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const k = await api.createKey(name.trim(), admin);
      setCreated(k);
      setSessionKey(k.key);
      setName("");
      setAdmin(false);
      setError(undefined);
      await Promise.all([keys.reload(), reloadHealth()]);
    } catch (err) {
      setError(err);
    }
  };

  const revoke = async (k: GatewayKey) => {
    setRevoking(null);
    if (await act(() => api.revokeKey(k.id), `revoked ${k.name}`)) await Promise.all([keys.reload(), reloadHealth()]);
  };

  const list = keys.data?.data ?? [];
  return (
    <>
      <PageHead title="Keys" sub="Gateway keys protect /v1. While none exists, programs on this machine use the gateway without one." />
      <div class="stack">
        <Card title="Create a key">
          <form class="row" onSubmit={create} data-testid="key-form">
            <Field label="Name" hint="who uses it: cursor, laptop-scripts, ci …">
              <input value={name} onInput={(e) => setName(val(e))} required placeholder="my-tool" name="key-name" style={{ width: "280px" }} />
            </Field>
            <label class="check" style={{ alignSelf: "center", marginTop: "10px" }}>
              <input type="checkbox" checked={admin} onChange={(e) => setAdmin((e.currentTarget as HTMLInputElement).checked)} />
              <span>admin (may also use the admin API)</span>
            </label>
            <span class="spacer" />
            <button type="submit" class="btn btn-primary" style={{ alignSelf: "center", marginTop: "10px" }} data-testid="create-key">
              <Icon name="plus" /> Create key
            </button>
          </form>
          {!health?.keys_required && <p class="muted" style={{ marginTop: "10px" }}>The first key turns authentication on: from then on every /v1 request needs a key.</p>}
          <div style={{ marginTop: "10px" }}>
            <ErrorBox error={error} />
          </div>
        </Card>
        <Card title={`Keys${list.length ? ` (${list.length})` : ""}`}>
          <ErrorBox error={keys.error} onRetry={keys.reload} />
          {keys.data && list.length === 0 ? (
            <Empty title="No gateway keys">/v1 is open to programs on this machine, and the gateway refuses to listen beyond 127.0.0.1. Create a key to require one, for example before sharing the gateway over a tunnel.</Empty>
          ) : (
            list.length > 0 && (
              <div class="table-wrap">
                <table class="data" data-testid="keys-table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Key</th>
                      <th>Created</th>
                      <th>Role</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((k) => (
                      <tr key={k.id} data-testid="key-row" data-name={k.name}>
                        <td>{k.name}</td>
                        <td class="mono">{k.key}</td>
                        <td title={time(k.created * 1000)}>{ago(k.created * 1000)}</td>
                        <td>{k.admin ? <span class="badge badge-warn">admin</span> : <span class="muted">client</span>}</td>
                        <td class="num">
                          <button type="button" class="btn btn-sm btn-danger" onClick={() => setRevoking(k)} data-testid={`revoke-${k.name}`}>
                            Revoke
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          )}
        </Card>
      </div>
      {created && (
        <Modal title="Copy your new key now" onClose={() => setCreated(null)}>
          <p style={{ marginBottom: "10px" }}>
            This is the only time <strong>{created.name}</strong> is shown in full: the gateway keeps only its hash.
          </p>
          <div class="secret" data-testid="new-key">
            {created.key}
          </div>
          <div class="form-actions" style={{ marginTop: "14px" }}>
            <CopyButton text={created.key} label="Copy key" testid="copy-new-key" />
            <button
              type="button"
              class="btn btn-primary"
              onClick={() => {
                setCreated(null);
                navigate(hrefOf("connect"));
              }}
            >
              Use it in a tool
            </button>
            <button type="button" class="btn" onClick={() => setCreated(null)} data-testid="close-new-key">
              Done
            </button>
          </div>
        </Modal>
      )}
      {revoking && (
        <Modal title={`Revoke ${revoking.name}?`} onClose={() => setRevoking(null)}>
          <p>Tools using this key get 401 from now on.{list.length === 1 ? " It is the last key: /v1 becomes open to programs on this machine again." : ""}</p>
          <div class="form-actions">
            <button type="button" class="btn" onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button type="button" class="btn btn-primary" onClick={() => revoke(revoking)} data-testid="confirm-revoke">
              Revoke
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
