// Entry point: mounts the dashboard. The theme is applied before the first paint to avoid a flash.
// ./locale comes first: it must fix navigator.language before uPlot's module reads it.
import "./locale";
import { render } from "preact";
import { App } from "./app";
import "./styles.css";

try {
  const saved = localStorage.getItem("switchboard.theme");
  const light = saved ? saved === "light" : window.matchMedia?.("(prefers-color-scheme: light)").matches;
  document.documentElement.dataset.theme = light ? "light" : "dark";
} catch {
  document.documentElement.dataset.theme = "dark";
}

const root = document.getElementById("app");
if (root) render(<App />, root);
