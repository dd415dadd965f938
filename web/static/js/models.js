// Models: the table (models.get_all_ex) and a model's page.
import { useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, fileUrl, fmtTime, html, Link, setQuery, Tags, useLoad, useLocation } from "./util.js";

const PAGE = 100;

export function Models() {
  const { query } = useLocation();
  const search = query.get("q") || "";
  const page = Number(query.get("page") || 0);
  const [text, setText] = useState(search);
  const { data, error, loading } = useLoad(async () => {
    const body = {
      only_fields: ["id", "name", "framework", "ready", "created", "user.name", "project.name", "task.name", "tags", "uri"],
      order_by: ["-created"], page, page_size: PAGE, system_tags: ["-archived"],
    };
    if (search) body.name = search.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return (await call("models.get_all_ex", body)).models;
  }, [search, page]);
  return html`<section class="page">
    <div class="page-head"><h2>Models</h2>
      <form class="search" onSubmit=${(e) => { e.preventDefault(); setQuery({ q: text, page: null }); }}>
        <input type="search" placeholder="Search models" aria-label="Search models" value=${text} onInput=${(e) => setText(e.target.value)} /></form></div>
    <${ErrorBox} error=${error} />
    <table class="grid" data-testid="models"><thead><tr><th>Name</th><th>Framework</th><th>Ready</th><th>Project</th><th>Task</th><th>User</th><th>Created</th><th>Tags</th></tr></thead>
      <tbody>${(data || []).map((m) => html`<tr>
        <td><${Link} href=${`/models/${m.id}`}>${m.name}<//></td><td>${m.framework}</td><td>${m.ready ? "published" : "draft"}</td>
        <td>${m.project && m.project.name}</td>
        <td>${m.task && html`<${Link} href=${`/projects/*/experiments/${m.task.id}`}>${m.task.name || m.task.id}<//>`}</td>
        <td>${m.user && m.user.name}</td><td>${fmtTime(m.created)}</td><td><${Tags} tags=${m.tags} /></td></tr>`)}
      ${data && !data.length && html`<tr><td colspan="8" class="muted">No models.</td></tr>`}</tbody></table>
    <div class="pager"><button disabled=${page === 0} onClick=${() => setQuery({ page: page - 1 || null })}>‹ Previous</button>
      <span>Page ${page + 1}</span><button disabled=${!data || data.length < PAGE} onClick=${() => setQuery({ page: page + 1 })}>Next ›</button>
      ${loading && html`<span class="muted">Loading…</span>`}</div>
  </section>`;
}

export function ModelPage({ id }) {
  const { data: model, error } = useLoad(async () => {
    const [{ model: m }, joined] = await Promise.all([
      call("models.get_by_id", { model: id }),
      call("models.get_all_ex", { id: [id], only_fields: ["user.name", "project.name", "task.name", "parent.name"] }),
    ]);
    return { ...m, joined: (joined.models && joined.models[0]) || {} };
  }, [id]);
  if (error) return html`<section class="page"><${ErrorBox} error=${error} /></section>`;
  if (!model) return html`<p class="loading">Loading…</p>`;
  const j = model.joined;
  const labels = Object.entries(model.labels || {});
  return html`<section class="page" data-model=${model.id}>
    <div class="page-head"><h2><${Link} href="/models" class="muted">Models<//> / ${model.name}</h2></div>
    <dl class="fields">
      <dt>Id</dt><dd><code>${model.id}</code></dd>
      <dt>Framework</dt><dd>${model.framework}</dd>
      <dt>State</dt><dd>${model.ready ? "published" : "draft"}</dd>
      <dt>Project</dt><dd>${j.project && j.project.name}</dd>
      <dt>Creating task</dt><dd>${model.task && html`<${Link} href=${`/projects/*/experiments/${model.task}`}>${(j.task && j.task.name) || model.task}<//>`}</dd>
      <dt>User</dt><dd>${j.user && j.user.name}</dd>
      <dt>Created</dt><dd>${fmtTime(model.created)}</dd>
      <dt>Tags</dt><dd><${Tags} tags=${model.tags} /></dd>
      <dt>File</dt><dd>${model.uri && html`<a href=${fileUrl(model.uri)} download target="_blank" rel="noopener noreferrer" data-testid="model-download">Download</a> <code class="small">${model.uri}</code>`}</dd>
      ${model.comment && html`<dt>Comment</dt><dd><pre class="text">${model.comment}</pre></dd>`}
    </dl>
    <h3>Labels</h3>
    ${labels.length ? html`<table class="grid kv"><tbody>${labels.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>` : html`<p class="muted">None.</p>`}
    <h3>Design</h3>
    ${model.design ? html`<pre class="code">${typeof model.design === "string" ? model.design : typeof model.design.design === "string" ? model.design.design : JSON.stringify(model.design, null, 2)}</pre>` : html`<p class="muted">None.</p>`}
    ${model.metadata && html`<h3>Metadata</h3><pre class="code">${JSON.stringify(model.metadata, null, 2)}</pre>`}
  </section>`;
}
