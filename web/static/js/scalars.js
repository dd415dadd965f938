// Scalar charts with uPlot: one chart per metric with its series (legend click toggles a
// series), smoothing, x axis iteration / relative time / wall time, log scale, live
// refresh. The server downsamples each series to `samples` points (bucket averages).
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, html } from "./util.js";

const SAMPLES = 2000;
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const KEYS = { iter: "iter", relative: "timestamp", wall: "timestamp" };

function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let last = null;
  for (let i = 0; i < ys.length; i += 1) {
    const y = ys[i];
    if (y === null || y === undefined || Number.isNaN(y)) { out[i] = null; continue; }
    last = last === null ? y : last * weight + (1 - weight) * y;
    out[i] = last;
  }
  return out;
}

// [{metric, series: [{label, x, y}]}] from a single task's or several tasks' histogram.
export function chartsOfTask(metrics) {
  return Object.entries(metrics || {}).sort(([a], [b]) => a.localeCompare(b)).map(([metric, variants]) => ({
    metric,
    series: Object.entries(variants).sort(([a], [b]) => a.localeCompare(b)).map(([variant, s]) => ({ label: variant, x: s.x, y: s.y })),
  }));
}
export function chartsOfTasks(metrics, names) {
  return Object.entries(metrics || {}).sort(([a], [b]) => a.localeCompare(b)).map(([metric, variants]) => ({
    metric,
    series: Object.entries(variants).sort(([a], [b]) => a.localeCompare(b)).flatMap(([variant, byTask]) =>
      Object.entries(byTask).map(([taskId, s]) => ({ label: `${names[taskId] || taskId} · ${variant}`, x: s.x, y: s.y, task: taskId }))),
  }));
}

export function ScalarControls({ options, setOptions }) {
  const set = (k) => (e) => setOptions({ ...options, [k]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  return html`<div class="toolbar scalar-controls">
    <label>X axis <select value=${options.axis} onChange=${set("axis")} data-testid="x-axis">
      <option value="iter">Iterations</option><option value="relative">Relative time</option><option value="wall">Wall time</option></select></label>
    <label>Smoothing <input type="range" min="0" max="0.99" step="0.01" value=${options.smoothing} onInput=${set("smoothing")} data-testid="smoothing" />
      <span class="small">${Number(options.smoothing).toFixed(2)}</span></label>
    <label class="check"><input type="checkbox" checked=${options.log} onChange=${set("log")} data-testid="log-scale" /> Log scale</label>
  </div>`;
}

export function Scalars({ task, live }) {
  const [options, setOptions] = useState({ axis: "iter", smoothing: 0, log: false });
  const [charts, setCharts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const data = await call("events.scalar_metrics_iter_histogram", { task: task.id, samples: SAMPLES, key: KEYS[options.axis] });
        if (!stop) setCharts(chartsOfTask(data));
      } catch (ex) { if (!stop) setError(ex); }
    };
    load();
    const timer = live ? setInterval(() => { if (!document.hidden) load(); }, 10000) : null;
    return () => { stop = true; if (timer) clearInterval(timer); };
  }, [task.id, options.axis, live]);
  return html`<div>
    <${ScalarControls} options=${options} setOptions=${setOptions} />
    <${ErrorBox} error=${error} />
    <${ChartGrid} charts=${charts} options=${options} origin=${task.started ? new Date(task.started).getTime() : null} />
  </div>`;
}

export function ChartGrid({ charts, options, origin }) {
  if (charts === null) return html`<p class="loading">Loading scalars…</p>`;
  if (!charts.length) return html`<p class="muted">No scalars reported.</p>`;
  return html`<div class="charts" data-testid="charts">${charts.map((c) => html`<${Chart} key=${c.metric} chart=${c} options=${options} origin=${origin} />`)}</div>`;
}

function Chart({ chart, options, origin }) {
  const el = useRef(null);
  const plot = useRef(null);
  const points = chart.series.reduce((n, s) => n + s.y.filter((v) => v !== null && v !== undefined).length, 0);
  useEffect(() => {
    const uPlot = window.uPlot;
    if (!uPlot || !el.current) return undefined;
    const weight = Number(options.smoothing);
    const t0 = options.axis === "relative"
      ? Math.min(...chart.series.map((s) => (s.x.length ? s.x[0] : Infinity)), origin || Infinity) : 0;
    const pairs = chart.series.map((s) => {
      const xs = s.x.map((x) => (options.axis === "iter" ? x : (x - t0) / 1000));
      const ys = smooth(s.y, weight).map((y) => (options.log && !(y > 0) ? null : y));
      return [xs, ys];
    });
    const data = pairs.length === 1 ? pairs[0] : uPlot.join(pairs);
    const width = Math.max(320, Math.min(el.current.parentElement.clientWidth - 16, 720));
    const opts = {
      title: chart.metric,
      width,
      height: 260,
      scales: { x: { time: options.axis === "wall" }, y: { distr: options.log ? 3 : 1 } },
      axes: [{ label: { iter: "iteration", relative: "seconds", wall: "" }[options.axis] }, {}],
      series: [{}, ...chart.series.map((s, i) => ({
        label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, points: { show: false },
      }))],
      cursor: { drag: { x: true, y: false } },
    };
    plot.current = new uPlot(opts, data, el.current);
    return () => { plot.current.destroy(); plot.current = null; };
  }, [chart, options.axis, options.smoothing, options.log]);
  return html`<div class="chart" data-metric=${chart.metric} data-points=${points} data-series=${chart.series.length} ref=${el}></div>`;
}
