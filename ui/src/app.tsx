// The dashboard's frame: sidebar navigation, the top bar (gateway state, base URL, theme), keyboard
// shortcuts (g then a letter to switch pages, ? for help), and the current page.

import { useEffect, useState } from "preact/hooks";
import { hrefOf, navigate, onLinkClick, useLocation, type Page } from "./router";
import { SharedProvider, useShared } from "./state";
import { CopyButton, Field, Icon, Kbd, Modal, Toasts, toast, val } from "./components/ui";
import { api, ApiError, setAdminToken } from "./api";
import { commandError, desktopBridge, stopGateway } from "./desktop";
import { Overview } from "./pages/overview";
import { Providers } from "./pages/providers";
import { Routes } from "./pages/routes";
import { Connect } from "./pages/connect";
import { Logs } from "./pages/logs";
import { Keys } from "./pages/keys";
import { Settings } from "./pages/settings";

const NAV: { page: Page; label: string; key: string }[] = [
  { page: "overview", label: "Overview", key: "o" },
  { page: "providers", label: "Providers", key: "p" },
  { page: "routes", label: "Routes", key: "r" },
  { page: "connect", label: "Connect", key: "c" },
  { page: "logs", label: "Logs", key: "l" },
  { page: "keys", label: "Keys", key: "k" },
  { page: "settings", label: "Settings", key: "s" },
];

function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

function useShortcuts(openHelp: () => void) {
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey || typing(e)) return;
      if (e.key === "?") {
        openHelp();
        return;
      }
      if (e.key === "g") {
        pendingG = Date.now();
        return;
      }
      if (pendingG && Date.now() - pendingG < 1200) {
        pendingG = 0;
        const item = NAV.find((n) => n.key === e.key);
        if (item) {
          e.preventDefault();
          navigate(hrefOf(item.page));
          window.setTimeout(() => document.getElementById("main")?.focus(), 0);
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

function TopBar() {
  const { health, healthError, baseUrl, theme, setTheme, live } = useShared();
  const providers = health?.providers ?? [];
  const up = providers.filter((p) => p.status === "up" || p.status === "configured").length;
  const state = healthError ? "unreachable" : !health ? "connecting" : health.status === "ok" ? "running" : "degraded";
  return (
    <header class="topbar">
      <div class={`gw-state gw-${state}`} data-testid="gateway-state" title={live ? "live updates on" : "live updates reconnecting"}>
        <span class="dot" />
        <span>
          {state === "running" && "Gateway running"}
          {state === "degraded" && "Gateway degraded"}
          {state === "connecting" && "Connecting…"}
          {state === "unreachable" && "Gateway unreachable"}
        </span>
        {health && (
          <span class="muted">
            · {up}/{providers.length} providers up
          </span>
        )}
      </div>
      <div class="base-url">
        <span class="muted">Base URL</span>
        <code data-testid="base-url">{baseUrl}</code>
        <CopyButton text={baseUrl} testid="copy-base-url" />
      </div>
      <StopButton />
      <button type="button" class="btn btn-ghost btn-icon" onClick={() => setTheme(theme === "dark" ? "light" : "dark")} aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`} data-testid="theme-toggle">
        <Icon name={theme === "dark" ? "sun" : "moon"} />
      </button>
    </header>
  );
}

/** Stop, in the desktop app's window only (see desktop.ts). */
function StopButton() {
  const [stopping, setStopping] = useState(false);
  const bridge = desktopBridge();
  if (!bridge) return null;
  const stop = async () => {
    setStopping(true);
    try {
      await stopGateway(bridge);
    } catch (e) {
      toast(`could not stop the gateway: ${commandError(e)}`, "error");
      setStopping(false);
    }
  };
  return (
    <button type="button" class="btn btn-sm" onClick={stop} disabled={stopping} data-testid="stop-gateway" title="Stop the gateway (Start it again from the window or the tray)">
      {stopping ? "Stopping…" : "Stop gateway"}
    </button>
  );
}

function Sidebar({ page }: { page: Page }) {
  const { health, logsAvailable } = useShared();
  const down = (health?.providers ?? []).filter((p) => p.status === "down" || p.status === "degraded").length;
  return (
    <nav class="sidebar" aria-label="Pages">
      <a class="brand" href={hrefOf("overview")} onClick={(e) => onLinkClick(e, hrefOf("overview"))}>
        <img src="/ui/favicon.svg" alt="" width={26} height={26} />
        <span>Switchboard</span>
      </a>
      <ul>
        {NAV.map((n) => (
          <li key={n.page}>
            <a href={hrefOf(n.page)} class={page === n.page ? "active" : ""} aria-current={page === n.page ? "page" : undefined} onClick={(e) => onLinkClick(e, hrefOf(n.page))} data-testid={`nav-${n.page}`}>
              <Icon name={n.page} />
              <span>{n.label}</span>
              {n.page === "providers" && down > 0 && <span class="nav-count err">{down}</span>}
              {n.page === "logs" && logsAvailable === false && <span class="nav-count muted">off</span>}
            </a>
          </li>
        ))}
      </ul>
      <div class="sidebar-foot muted">
        {health ? `v${health.version}` : ""} · <Kbd>?</Kbd> shortcuts
      </div>
    </nav>
  );
}

function Help({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table class="shortcuts">
        <tbody>
          {NAV.map((n) => (
            <tr key={n.key}>
              <td>
                <Kbd>g</Kbd> <Kbd>{n.key}</Kbd>
              </td>
              <td>{n.label}</td>
            </tr>
          ))}
          <tr>
            <td>
              <Kbd>/</Kbd>
            </td>
            <td>Search the logs</td>
          </tr>
          <tr>
            <td>
              <Kbd>Esc</Kbd>
            </td>
            <td>Close a dialog or panel</td>
          </tr>
          <tr>
            <td>
              <Kbd>Tab</Kbd>
            </td>
            <td>Move between controls; Enter opens a log row</td>
          </tr>
        </tbody>
      </table>
    </Modal>
  );
}

/** Shown when the admin API refuses the dashboard: a gateway listening beyond loopback sets no cookie,
 * so the user types the admin token (the file admin-token in the gateway's data directory). */
function SignIn() {
  const { healthError, reloadHealth, reloadConfig } = useShared();
  const [token, setToken] = useState("");
  if (!(healthError instanceof ApiError) || healthError.status !== 401) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    setAdminToken(token.trim());
    try {
      // The token becomes the session cookie, which the live streams (refused before, and an
      // EventSource that was refused does not retry) and downloads need: start the page again.
      await api.startSession();
      window.location.reload();
      return;
    } catch {
      // a wrong token: the calls below fail again and this dialog stays
    }
    await Promise.all([reloadHealth(), reloadConfig()]);
  };
  return (
    <Modal title="The gateway needs its admin token" onClose={() => undefined}>
      <form class="form" onSubmit={submit}>
        <p>Gateway keys are on and this page was not opened on the gateway's own machine address, so the dashboard has no session. Paste the admin token from the file <code>admin-token</code> in the gateway's data directory (<code>~/.local/share/switchboard</code> on Linux), or an admin key. It is kept for this browser session.</p>
        <Field label="Admin token">
          <input type="password" value={token} onInput={(e) => setToken(val(e))} required autoComplete="off" />
        </Field>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Sign in
          </button>
        </div>
      </form>
    </Modal>
  );
}

function Current({ page }: { page: Page }) {
  switch (page) {
    case "providers":
      return <Providers />;
    case "routes":
      return <Routes />;
    case "connect":
      return <Connect />;
    case "logs":
      return <Logs />;
    case "keys":
      return <Keys />;
    case "settings":
      return <Settings />;
    default:
      return <Overview />;
  }
}

export function App() {
  const { page } = useLocation();
  const [help, setHelp] = useState(false);
  useShortcuts(() => setHelp(true));
  useEffect(() => {
    const label = NAV.find((n) => n.page === page)?.label ?? "Overview";
    document.title = `${label} · Switchboard`;
  }, [page]);
  return (
    <SharedProvider>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="layout">
        <Sidebar page={page} />
        <div class="column">
          <TopBar />
          <main id="main" tabIndex={-1} data-page={page}>
            <Current page={page} />
          </main>
        </div>
      </div>
      {help && <Help onClose={() => setHelp(false)} />}
      <SignIn />
      <Toasts />
    </SharedProvider>
  );
}
