// Line charts with uPlot (bundled). Each chart sits in a figure with a text label for screen readers; the numbers
// it draws are also in a table beside it.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.js";

// Okabe-Ito: told apart also by most colour-blind readers.
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
const DASH = [[], [6, 3], [2, 2], [8, 3, 2, 3]];
const INT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]; // periods are whole numbers

/**
 * A line chart. x: numbers (period indices, or Unix seconds with time: true); series: [{label, values}] of the
 * same length as x (null: a gap). Returns a <figure>; the chart is drawn once it is in the page and follows its
 * width.
 */
export function lineChart({ id, title, x, series, xLabel, yLabel, time = false, height = 280 }) {
  const box = h("div", { class: "chart-box" });
  const fig = h("figure", { class: "chart", id, role: "group", "aria-label": title },
    h("figcaption", null, title), box);
  const opts = {
    width: 600,
    height,
    scales: { x: { time } },
    axes: [
      { label: xLabel, stroke: "#333", grid: { stroke: "#e5e5e5" }, ...(time ? {} : { incrs: INT_STEPS }) },
      { label: yLabel, stroke: "#333", grid: { stroke: "#e5e5e5" }, size: 70 },
    ],
    series: [
      { label: xLabel, value: time ? "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss} UTC" : (u, v) => (v == null ? "" : String(v)) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        dash: DASH[Math.floor(i / PALETTE.length) % DASH.length],
        width: 2,
        points: { show: x.length <= 60, size: 6 },
        spanGaps: false,
      })),
    ],
    legend: { live: true },
    ...(time ? { tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC") } : {}), // the API's times are UTC, as the tables'
  };
  const data = [Float64Array.from(x), ...series.map((s) => s.values.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null)))];
  let plot = null, lastWidth = 0;
  const draw = () => {
    const w = Math.floor(box.clientWidth);
    if (!w || w === lastWidth) return;
    lastWidth = w;
    if (!plot) plot = new uPlot({ ...opts, width: w }, data, box);
    else plot.setSize({ width: w, height });
  };
  const ro = new ResizeObserver(() => requestAnimationFrame(draw));
  ro.observe(box);
  fig.destroy = () => { ro.disconnect(); plot?.destroy(); };
  return fig;
}
