// What every page shares: the gateway's health (pushed over SSE, polled as a safety net), its effective
// config, the theme, whether the request log exists, and a key created in this session (kept in
// memory only, so the Connect page can put it into snippets right after it was shown once).

import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { api, exists, subscribe } from "./api";
import type { GatewayConfig, Health } from "./types";

export type Theme = "dark" | "light";

export interface Shared {
  health: Health | undefined;
  healthError: unknown;
  live: boolean;
  config: GatewayConfig | undefined;
  configError: unknown;
  reloadConfig: () => Promise<void>;
  reloadHealth: () => Promise<void>;
  theme: Theme;
  setTheme: (t: Theme) => void;
  logsAvailable: boolean | undefined;
  sessionKey: string | undefined;
  setSessionKey: (k: string | undefined) => void;
  baseUrl: string;
}

const Ctx = createContext<Shared | null>(null);

export function useShared(): Shared {
  const s = useContext(Ctx);
  if (!s) throw new Error("useShared outside <SharedProvider>");
  return s;
}

function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem("switchboard.theme");
    if (saved === "dark" || saved === "light") return saved;
  } catch {
    // storage may be off
  }
  return window.matchMedia?.("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function SharedProvider({ children }: { children: ComponentChildren }) {
  const [health, setHealth] = useState<Health>();
  const [healthError, setHealthError] = useState<unknown>();
  const [live, setLive] = useState(false);
  const [config, setConfig] = useState<GatewayConfig>();
  const [configError, setConfigError] = useState<unknown>();
  const [theme, setThemeState] = useState<Theme>(initialTheme);
  const [logsAvailable, setLogsAvailable] = useState<boolean>();
  const [sessionKey, setSessionKey] = useState<string>();

  const reloadHealth = useCallback(async () => {
    try {
      setHealth(await api.health());
      setHealthError(undefined);
    } catch (e) {
      setHealthError(e);
    }
  }, []);
  const reloadConfig = useCallback(async () => {
    try {
      setConfig(await api.config());
      setConfigError(undefined);
    } catch (e) {
      setConfigError(e);
    }
  }, []);

  useEffect(() => {
    void reloadHealth();
    void reloadConfig();
    void exists("/admin/logs?limit=1").then(setLogsAvailable);
    const stop = subscribe<Health>("/admin/health/stream", "health", (h) => {
      setHealth(h);
      setHealthError(undefined);
    }, setLive);
    // Discovery results and key changes are not pushed: a slow poll keeps them fresh.
    const timer = window.setInterval(() => void reloadHealth(), 5000);
    return () => {
      stop();
      window.clearInterval(timer);
    };
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const setTheme = (t: Theme) => {
    document.documentElement.dataset.theme = t;
    setThemeState(t);
    try {
      localStorage.setItem("switchboard.theme", t);
    } catch {
      // storage may be off
    }
  };

  const host = config ? (config.server.host === "0.0.0.0" || config.server.host === "::" ? "127.0.0.1" : config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host) : location.hostname;
  const port = config ? config.server.port : Number(location.port || 80);
  const baseUrl = `http://${host}:${port}/v1`;

  return (
    <Ctx.Provider value={{ health, healthError, live, config, configError, reloadConfig, reloadHealth, theme, setTheme, logsAvailable, sessionKey, setSessionKey, baseUrl }}>
      {children}
    </Ctx.Provider>
  );
}
