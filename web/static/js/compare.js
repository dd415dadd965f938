// Compare 2–10 experiments: scalars overlaid per metric, hyper-parameter differences,
// last metrics.
import { useEffect, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ChartGrid, chartsOfTasks, ScalarControls } from "./scalars.js";
import { Tabs } from "./ui.js";
import { ErrorBox, flatParams, fmtNumber, html, Link, StatusBadge, useLoad, useLocation } from "./util.js";

const KEYS = { iter: "iter", relative: "timestamp", wall: "timestamp" };

export function Compare() {
  const { query } = useLocation();
  const ids = (query.get("ids") || "").split(",").filter(Boolean).slice(0, 10);
  const [tab, setTab] = useState("scalars");
  const { data: tasks, error } = useLoad(async () => {
    const { tasks: found } = await call("tasks.get_all_ex", {
      id: ids, only_fields: ["id", "name", "status", "hyperparams", "last_metrics", "project.name", "last_iteration"],
    });
    return ids.map((id) => found.find((t) => t.id === id)).filter(Boolean);
  }, [ids.join(",")]);
  if (ids.length < 2) return html`<section class="page"><p>Select 2 to 10 experiments in a table to compare them.</p></section>`;
  return html`<section class="page compare">
    <div class="page-head"><h2>Compare ${ids.length} experiments</h2></div>
    <${ErrorBox} error=${error} />
    ${tasks && html`<div class="compared">${tasks.map((t) => html`<span class="pill">
        <${Link} href=${`/projects/${(t.project && t.project.id) || "*"}/experiments/${t.id}`}>${t.name}<//> <${StatusBadge} status=${t.status} /></span>`)}</div>`}
    <${Tabs} tabs=${[["scalars", "Scalars"], ["params", "Hyper-parameters"], ["metrics", "Last metrics"]]} current=${tab} onSelect=${setTab} />
    ${tasks && tab === "scalars" && html`<${CompareScalars} tasks=${tasks} />`}
    ${tasks && tab === "params" && html`<${ParamDiff} tasks=${tasks} />`}
    ${tasks && tab === "metrics" && html`<${MetricTable} tasks=${tasks} />`}
  </section>`;
}

function CompareScalars({ tasks }) {
  const [options, setOptions] = useState({ axis: "iter", smoothing: 0, log: false });
  const [charts, setCharts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const names = Object.fromEntries(tasks.map((t) => [t.id, t.name]));
    call("events.multi_task_scalar_metrics_iter_histogram", { tasks: tasks.map((t) => t.id), samples: 2000, key: KEYS[options.axis] })
      .then((r) => setCharts(chartsOfTasks(r.metrics, names))).catch(setError);
  }, [tasks, options.axis]);
  return html`<div><${ScalarControls} options=${options} setOptions=${setOptions} /><${ErrorBox} error=${error} />
    <${ChartGrid} charts=${charts} options=${options} origin=${null} /></div>`;
}

function ParamDiff({ tasks }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const params = tasks.map(flatParams);
  const keys = [...new Set(params.flatMap((p) => Object.keys(p)))].sort();
  const rows = keys.map((k) => ({ key: k, values: params.map((p) => p[k]), differs: new Set(params.map((p) => JSON.stringify(p[k] ?? null))).size > 1 }));
  return html`<div>
    <label class="check"><input type="checkbox" checked=${onlyDiff} onChange=${(e) => setOnlyDiff(e.target.checked)} /> Only differences</label>
    <table class="grid" data-testid="param-diff"><thead><tr><th>Parameter</th>${tasks.map((t) => html`<th>${t.name}</th>`)}</tr></thead>
    <tbody>${rows.filter((r) => !onlyDiff || r.differs).map((r) => html`<tr class=${r.differs ? "differs" : ""} data-param=${r.key}>
      <th>${r.key}</th>${r.values.map((v) => html`<td>${v === undefined ? html`<span class="muted">—</span>` : v}</td>`)}</tr>`)}
      ${!rows.length && html`<tr><td colspan=${tasks.length + 1} class="muted">No hyper-parameters.</td></tr>`}</tbody></table>
  </div>`;
}

function MetricTable({ tasks }) {
  const rows = {};
  tasks.forEach((t, i) => {
    for (const variants of Object.values(t.last_metrics || {})) {
      for (const m of Object.values(variants)) {
        const key = `${m.metric} / ${m.variant}`;
        rows[key] = rows[key] || new Array(tasks.length).fill(undefined);
        rows[key][i] = m;
      }
    }
  });
  const keys = Object.keys(rows).sort();
  return html`<table class="grid" data-testid="metric-table"><thead><tr><th>Metric</th>${tasks.map((t) => html`<th>${t.name}</th>`)}</tr></thead>
    <tbody>${keys.map((k) => html`<tr><th>${k}</th>${rows[k].map((m) => html`<td class="num">${m ? html`${fmtNumber(m.value)}
      <div class="muted small">min ${fmtNumber(m.min_value)} · max ${fmtNumber(m.max_value)}</div>` : ""}</td>`)}</tr>`)}
    ${!keys.length && html`<tr><td colspan=${tasks.length + 1} class="muted">No metrics.</td></tr>`}</tbody></table>`;
}
