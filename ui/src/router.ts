// A tiny router for the dashboard's pages under /ui/: real paths (/ui/logs), so reloads and links
// work (the gateway answers every /ui/ path with the page), history for back and forward.

import { useEffect, useState } from "preact/hooks";

export const BASE = "/ui";

export const PAGES = ["overview", "providers", "routes", "connect", "logs", "keys", "settings"] as const;
export type Page = (typeof PAGES)[number];

/** The page a location path shows (`/ui/`, `/ui/logs`, `/ui/logs/` …); unknown paths show overview. */
export function pageOf(pathname: string): Page {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const first = rest.split("/").filter(Boolean)[0] ?? "overview";
  return (PAGES as readonly string[]).includes(first) ? (first as Page) : "overview";
}

export function hrefOf(page: Page, query?: Record<string, string>): string {
  const path = page === "overview" ? `${BASE}/` : `${BASE}/${page}`;
  const q = query ? new URLSearchParams(query).toString() : "";
  return q ? `${path}?${q}` : path;
}

const listeners = new Set<() => void>();

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  listeners.forEach((l) => l());
}

export function useLocation(): { page: Page; search: URLSearchParams } {
  const read = () => ({ page: pageOf(location.pathname), search: new URLSearchParams(location.search) });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return loc;
}

/** A left click without modifiers on an internal link navigates in place. */
export function onLinkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
