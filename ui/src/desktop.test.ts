import { describe, expect, it } from "vitest";
import { commandError, desktopBridge, stopGateway } from "./desktop";

describe("desktopBridge", () => {
  it("is absent in a browser and present in the app's window", () => {
    expect(desktopBridge({})).toBeNull();
    expect(desktopBridge({ __TAURI__: {} })).toBeNull();
    expect(desktopBridge({ __TAURI__: { core: {} } })).toBeNull();
    const bridge = { core: { invoke: async () => null } };
    expect(desktopBridge({ __TAURI__: bridge })).toBe(bridge);
  });

  it("stops through the gateway_stop command and reports the app's error message", async () => {
    const calls: string[] = [];
    const bridge = {
      core: {
        invoke: async <T,>(command: string): Promise<T> => {
          calls.push(command);
          throw { kind: "gateway", message: "the gateway did not stop" };
        },
      },
    };
    const err = await stopGateway(bridge).catch((e: unknown) => commandError(e));
    expect(calls).toEqual(["gateway_stop"]);
    expect(err).toBe("the gateway did not stop");
    expect(commandError("Command gateway_stop not allowed by ACL")).toBe("Command gateway_stop not allowed by ACL");
  });
});
