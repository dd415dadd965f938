// Plots: the Plotly figures the SDK reports (events.get_task_plots), drawn with Plotly
// (loaded on first use: it is most of the app's weight). Table traces, which the
// cartesian bundle does not draw, become HTML tables.
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, html } from "./util.js";

// Plotly injects the map library's stylesheet as an inline <style> (refused by the app's
// policy, and useless to the cartesian bundle) unless an element with this id exists.
const PLOTLY_MAP_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53";

let plotly = null;
export function loadPlotly() {
  if (!document.getElementById(PLOTLY_MAP_STYLE_ID)) {
    const marker = document.createElement("meta");
    marker.id = PLOTLY_MAP_STYLE_ID;
    document.head.appendChild(marker);
  }
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      if (window.Plotly) { resolve(window.Plotly); return; }
      const script = document.createElement("script");
      script.src = "/static/vendor/plotly-cartesian.min.js";
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { plotly = null; reject(new Error("could not load Plotly")); };
      document.head.appendChild(script);
    });
  }
  return plotly;
}

function parse(event) {
  try {
    const figure = typeof event.plot_str === "string" ? JSON.parse(event.plot_str) : (event.plot_str || {});
    return { data: figure.data || [], layout: figure.layout || {} };
  } catch (_) {
    return { data: [], layout: {}, broken: true };
  }
}

export function Plots({ task }) {
  const [plots, setPlots] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    call("events.get_task_plots", { task: task.id, iters: 1 })
      .then((r) => setPlots((r.plots || []).slice().sort((a, b) => `${a.metric}/${a.variant}`.localeCompare(`${b.metric}/${b.variant}`))))
      .catch(setError);
  }, [task.id]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (plots === null) return html`<p class="loading">Loading plots…</p>`;
  if (!plots.length) return html`<p class="muted">No plots reported.</p>`;
  return html`<div class="plots" data-testid="plots">${plots.map((p) => html`<${Figure} key=${`${p.metric}/${p.variant}/${p.iter}`} event=${p} />`)}</div>`;
}

function Figure({ event }) {
  const el = useRef(null);
  const [error, setError] = useState(null);
  const figure = parse(event);
  const tables = figure.data.filter((t) => t.type === "table");
  const drawn = figure.data.filter((t) => t.type !== "table");
  useEffect(() => {
    if (!drawn.length || !el.current) return undefined;
    let gone = false;
    loadPlotly().then((Plotly) => {
      if (gone || !el.current) return;
      const layout = { ...figure.layout, autosize: true, height: figure.layout.height || 360 };
      Plotly.newPlot(el.current, drawn, layout, { displaylogo: false, responsive: true });
    }).catch(setError);
    return () => { gone = true; if (window.Plotly && el.current) window.Plotly.purge(el.current); };
  }, [event]);
  return html`<div class="figure" data-plot=${`${event.metric}/${event.variant}`}>
    <h4>${event.metric} / ${event.variant} <span class="muted small">iteration ${event.iter}</span></h4>
    <${ErrorBox} error=${error} />
    ${figure.broken && html`<p class="muted">This plot could not be read.</p>`}
    ${drawn.length > 0 && html`<div class="plotly" ref=${el}></div>`}
    ${tables.map((t) => html`<${TableTrace} trace=${t} />`)}
  </div>`;
}

function TableTrace({ trace }) {
  const header = (trace.header && trace.header.values) || [];
  const columns = (trace.cells && trace.cells.values) || [];
  const rows = columns.length ? columns[0].map((_, i) => columns.map((c) => c[i])) : [];
  return html`<table class="grid"><thead><tr>${header.map((h) => html`<th>${String(h)}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${r.map((v) => html`<td>${v === null || v === undefined ? "" : String(v)}</td>`)}</tr>`)}</tbody></table>`;
}
