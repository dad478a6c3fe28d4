// A time-series chart on uPlot (≈45 KB, canvas, fast with thousands of points): sized to its box,
// coloured from the theme's CSS variables, redrawn when the data or the theme changes.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  color: string; // a CSS variable name such as --accent, or a colour
  values: (number | null)[];
  unit?: string;
  bars?: boolean;
}

function cssColor(v: string): string {
  if (!v.startsWith("--")) return v;
  return getComputedStyle(document.documentElement).getPropertyValue(v).trim() || "#888";
}

export function TimeChart({ times, series, height = 180, theme, label }: { times: number[]; series: Series[]; height?: number; theme: string; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const grid = cssColor("--border");
    const pad = times.length > 1 ? (times[1] - times[0]) / 2 : 30;
    const text = cssColor("--muted");
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      // Half a bucket of room on each side, so the first and last bars are drawn whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - pad, max + pad] } },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 64,
          values: (_u, vals) => vals.map((v) => (v == null ? "" : `${+v.toFixed(1)}${series[0]?.unit ?? ""}`)),
        },
      ],
      series: [
        {},
        ...series.map((s) => {
          const c = cssColor(s.color);
          return {
            label: s.label,
            stroke: c,
            width: 2,
            fill: s.bars ? c + "55" : c + "18",
            paths: s.bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
            // Points make a lone measurement visible; bars need none.
            points: { show: !s.bars, size: 5, fill: c },
            spanGaps: !s.bars,
            value: (_u: uPlot, v: number | null) => (v == null ? "—" : `${+v.toFixed(1)}${s.unit ?? ""}`),
          } as uPlot.Series;
        }),
      ],
    };
    const data = [times, ...series.map((s) => s.values)] as uPlot.AlignedData;
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuild on theme or series shape changes; data-only changes go through setData below.
  }, [theme, series.length, height]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

/** A small horizontal meter (CPU, memory). */
export function Meter({ value, max, tone = "accent" }: { value: number; max: number; tone?: string }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div class="meter" role="meter" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
      <div class={`meter-fill tone-${tone}`} style={{ width: `${pct}%` }} />
    </div>
  );
}
