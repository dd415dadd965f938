// Workers: current task, queues, last report, and CPU / GPU / memory charts of the last
// hour from workers.get_stats.
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, fmtTime, html, Link, useLoad } from "./util.js";

const METRICS = [["cpu_usage", "CPU %"], ["gpu_usage", "GPU %"], ["memory_used", "Memory used"], ["gpu_memory_used", "GPU memory used"]];

export function Workers() {
  const { data, error } = useLoad(async () => (await call("workers.get_all", {})).workers, [], 10000);
  const [open, setOpen] = useState(null);
  return html`<section class="page">
    <div class="page-head"><h2>Workers</h2></div>
    <${ErrorBox} error=${error} />
    <table class="grid" data-testid="workers"><thead><tr><th>Worker</th><th>Current experiment</th><th>Queues</th><th>User</th><th>IP</th><th>Last report</th><th></th></tr></thead>
      <tbody>${(data || []).map((w) => html`<tr data-worker=${w.id}>
        <td>${w.id}</td>
        <td>${w.task && w.task.id ? html`<${Link} href=${`/projects/*/experiments/${w.task.id}`}>${w.task.name || w.task.id}<//>` : html`<span class="muted">idle</span>`}</td>
        <td>${(w.queues || []).map((q) => q.name || q.id).join(", ")}</td>
        <td>${w.user && (w.user.name || w.user.id)}</td><td>${w.ip}</td><td>${fmtTime(w.last_report_time || w.last_activity_time)}</td>
        <td><button class="small" onClick=${() => setOpen(open === w.id ? null : w.id)}>${open === w.id ? "Hide" : "Charts"}</button></td></tr>`)}
      ${data && !data.length && html`<tr><td colspan="7" class="muted">No workers: start an agent (clearml-agent daemon --queue default).</td></tr>`}</tbody></table>
    ${open && html`<${WorkerCharts} worker=${open} />`}
  </section>`;
}

function WorkerCharts({ worker }) {
  const { data, error } = useLoad(async () => {
    const to = Math.floor(Date.now() / 1000);
    const { workers } = await call("workers.get_stats", {
      worker_ids: [worker], from_date: to - 3600, to_date: to, interval: 60,
      items: METRICS.map(([key]) => ({ key, aggregation: "avg" })),
    });
    return (workers[0] && workers[0].metrics) || [];
  }, [worker], 30000);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<p class="loading">Loading statistics…</p>`;
  if (!data.length) return html`<p class="muted">No machine statistics reported in the last hour.</p>`;
  return html`<div class="charts" data-testid="worker-charts">${data.map((m) => html`<${StatChart} key=${m.metric} metric=${m} />`)}</div>`;
}

function StatChart({ metric }) {
  const el = useRef(null);
  useEffect(() => {
    const uPlot = window.uPlot;
    if (!uPlot || !el.current) return undefined;
    const dates = (metric.dates || []).map((d) => (d > 1e12 ? d / 1000 : d));
    const values = ((metric.stats || [])[0] || {}).values || [];
    const label = (METRICS.find(([k]) => k === metric.metric) || [])[1] || metric.metric;
    const plot = new uPlot({ title: label, width: 480, height: 200, series: [{}, { label, stroke: "#1f77b4", width: 1.5 }] }, [dates, values], el.current);
    return () => plot.destroy();
  }, [metric]);
  return html`<div class="chart" data-metric=${metric.metric} ref=${el}></div>`;
}
