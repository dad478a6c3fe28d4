// The desktop app around the dashboard. In Switchboard's own window the page can reach two of the app's
// commands (the app grants them to the dashboard's exact origin): the gateway's state and Stop. In a
// browser there is no such bridge and the dashboard shows no Stop button: stopping belongs to whoever
// started the gateway (the tray, or the terminal running `switchboard serve`).

interface TauriBridge {
  core: { invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> };
}

/** The app's command bridge, when the page runs in the desktop window. */
export function desktopBridge(w: unknown = globalThis): TauriBridge | null {
  const tauri = (w as { __TAURI__?: Partial<TauriBridge> }).__TAURI__;
  return tauri && typeof tauri.core?.invoke === "function" ? (tauri as TauriBridge) : null;
}

/** The message of a failed command (the app rejects with `{kind, message}` or a string). */
export function commandError(e: unknown): string {
  if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") {
    return (e as { message: string }).message;
  }
  return String(e);
}

/**
 * Asks the app to stop the gateway. The app first moves the window to its own page (the one that
 * offers Start), so on success this page goes away and the promise may never settle.
 */
export async function stopGateway(bridge: TauriBridge): Promise<void> {
  await bridge.core.invoke("gateway_stop");
}
