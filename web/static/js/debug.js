// Debug images: per metric a grid of its variants at one iteration, an iteration slider
// over the latest iterations, a full-size viewer; audio and video samples get players.
import { useEffect, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, fileUrl, html } from "./util.js";

const ITERS = 20;
const AUDIO = /\.(wav|mp3|ogg|flac|m4a)(\?|$)/i;
const VIDEO = /\.(mp4|webm|mov|avi|mkv)(\?|$)/i;

export function DebugImages({ task }) {
  const [metrics, setMetrics] = useState(null);
  const [error, setError] = useState(null);
  const [viewer, setViewer] = useState(null);
  useEffect(() => {
    (async () => {
      try {
        const { metrics: found } = await call("events.get_task_metrics", { tasks: [task.id], event_type: "training_debug_image" });
        const names = (found[0] && found[0].metrics) || [];
        if (!names.length) { setMetrics([]); return; }
        const page = await call("events.debug_images", {
          metrics: names.map((metric) => ({ task: task.id, metric })), iters: ITERS, navigate_earlier: true,
        });
        setMetrics(page.metrics.filter((m) => m.iterations.length));
      } catch (ex) { setError(ex); }
    })();
  }, [task.id]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (metrics === null) return html`<p class="loading">Loading debug images…</p>`;
  if (!metrics.length) return html`<p class="muted">No debug images reported.</p>`;
  return html`<div data-testid="debug-images">
    ${metrics.map((m) => html`<${MetricImages} key=${m.metric} metric=${m} open=${setViewer} />`)}
    ${viewer && html`<div class="backdrop" onClick=${() => setViewer(null)} data-testid="viewer">
      <figure class="viewer"><img src=${viewer.src} alt=${viewer.label} /><figcaption>${viewer.label}</figcaption></figure></div>`}
  </div>`;
}

function MetricImages({ metric, open }) {
  const iterations = metric.iterations.slice().sort((a, b) => a.iter - b.iter);
  const [index, setIndex] = useState(iterations.length - 1);
  const current = iterations[Math.min(index, iterations.length - 1)];
  return html`<section class="debug-metric" data-metric=${metric.metric}>
    <h3>${metric.metric}</h3>
    ${iterations.length > 1 && html`<label class="slider">Iteration ${current.iter}
      <input type="range" min="0" max=${iterations.length - 1} value=${index} onInput=${(e) => setIndex(Number(e.target.value))} /></label>`}
    ${iterations.length === 1 && html`<p class="muted small">Iteration ${current.iter}</p>`}
    <div class="image-grid">${current.events.map((e) => {
      const src = fileUrl(e.url);
      const label = `${metric.metric} / ${e.variant} · iteration ${e.iter}`;
      let media;
      if (AUDIO.test(e.url || "")) media = html`<audio controls src=${src}></audio>`;
      else if (VIDEO.test(e.url || "")) media = html`<video controls src=${src}></video>`;
      else media = html`<img src=${src} alt=${label} loading="lazy" onClick=${() => open({ src, label })} />`;
      return html`<figure class="thumb" data-variant=${e.variant}>${media}<figcaption>${e.variant}
        <a href=${src} target="_blank" rel="noopener noreferrer" class="small">open</a></figcaption></figure>`;
    })}</div>
  </section>`;
}
