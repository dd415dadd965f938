// Projects: name, task counts per status, last update; search by name.
import { useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ErrorBox, fmtDuration, fmtTime, html, Link, setQuery, Tags, useLocation, useLoad } from "./util.js";

function escapeRegex(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

export function Projects() {
  const { query } = useLocation();
  const search = query.get("q") || "";
  const [text, setText] = useState(search);
  const { data, error, loading } = useLoad(async () => {
    const body = {
      include_stats: true,
      only_fields: ["id", "name", "description", "last_update", "created", "tags"],
      order_by: ["-last_update"],
      page: 0,
      page_size: 500,
    };
    if (search) body.name = escapeRegex(search);
    return (await call("projects.get_all_ex", body)).projects;
  }, [search]);
  const onSearch = (ev) => { ev.preventDefault(); setQuery({ q: text }); };
  return html`
    <section class="page">
      <div class="page-head">
        <h2>Projects</h2>
        <form class="search" onSubmit=${onSearch}>
          <input type="search" placeholder="Search projects" aria-label="Search projects" value=${text}
                 onInput=${(e) => setText(e.target.value)} />
        </form>
        <${Link} href="/projects/*/experiments" class="button">All experiments<//>
      </div>
      <${ErrorBox} error=${error} />
      ${loading && !data ? html`<p class="loading">Loading…</p>` : html`
      <table class="grid" data-testid="projects">
        <thead><tr><th>Name</th><th>Experiments</th><th>Running</th><th>Completed</th><th>Failed</th><th>Run time</th><th>Last update</th><th>Tags</th></tr></thead>
        <tbody>
          ${(data || []).map((p) => {
            const counts = (p.stats && p.stats.active && p.stats.active.status_count) || {};
            const total = Object.values(counts).reduce((a, b) => a + b, 0);
            return html`<tr>
              <td><${Link} href=${`/projects/${p.id}/experiments`}>${p.name}<//>
                ${p.description && html`<div class="muted small">${p.description}</div>`}</td>
              <td class="num" data-testid="task-count">${total}</td>
              <td class="num">${(counts.in_progress || 0) + (counts.queued || 0)}</td>
              <td class="num">${(counts.completed || 0) + (counts.published || 0) + (counts.closed || 0)}</td>
              <td class="num">${counts.failed || 0}</td>
              <td>${fmtDuration(p.stats && p.stats.active && p.stats.active.total_runtime)}</td>
              <td>${fmtTime(p.last_update || p.created)}</td>
              <td><${Tags} tags=${p.tags} /></td>
            </tr>`;
          })}
          ${data && !data.length && html`<tr><td colspan="8" class="muted">No projects${search ? " match" : " yet: run an experiment with the SDK"}.</td></tr>`}
        </tbody>
      </table>`}
    </section>`;
}
