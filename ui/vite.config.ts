// The dashboard is served by the gateway at /ui/ (embedded in the binary from dist/). `npm run dev`
// serves it from Vite with the gateway's API proxied, for working on the UI with hot reload.
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

const gateway = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.SWITCHBOARD_URL ?? "http://127.0.0.1:4242";

export default defineConfig({
  base: "/ui/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      "/admin": { target: gateway, changeOrigin: false },
      "/v1": gateway,
      "/health": gateway,
      "/metrics": gateway,
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
