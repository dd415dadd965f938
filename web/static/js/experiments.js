// The experiments table of a project (or of all): server-side sort, filters, search and
// paging (tasks.get_all_ex), chosen hyper-parameter and metric columns, multi-select with
// bulk actions, and auto-refresh of the rows that are running.
import { useEffect, useMemo, useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ACTION_LABELS, ACTIONS, allowed } from "./actions.js";
import {
  ErrorBox, fmtDuration, fmtNumber, fmtTime, html, Link, navigate, setQuery, STATUSES, StatusBadge, TASK_TYPES,
  Tags, taskDuration, useLoad, useLocation,
} from "./util.js";

const BASE_FIELDS = ["id", "name", "status", "type", "user.name", "started", "completed", "last_update",
  "last_iteration", "tags", "system_tags", "project.name", "created"];
const COLUMNS = [
  ["name", "Name", "name"], ["status", "Status", "status"], ["type", "Type", "type"], ["user", "User", "user"],
  ["started", "Started", "started"], ["duration", "Duration", null], ["last_iteration", "Iteration", "last_iteration"],
  ["last_update", "Updated", "last_update"], ["tags", "Tags", null],
];
const PAGE_SIZES = [50, 100, 200];
const RUNNING = ["queued", "in_progress"];

function list(query, key) { return (query.get(key) || "").split(",").filter(Boolean); }
function hpPath(col) { return `hyperparams.${col.section}.${col.name}`; }
function metricPath(col) { return `last_metrics.${col.metric_hash}.${col.variant_hash}`; }
function columnsKey(project) { return `sm.columns.${project}`; }

function escapeKey(name) { return name.replace(/%/g, "%25").replace(/\./g, "%2E").replace(/^\$/, "%24"); }

export function Experiments({ project }) {
  const { query } = useLocation();
  const all = !project || project === "*";
  const filters = {
    status: list(query, "status"), type: list(query, "type"), user: list(query, "user"), tags: list(query, "tags"),
    q: query.get("q") || "", sort: query.get("sort") || "-last_update", archived: query.get("archived") === "1",
    page: Number(query.get("page") || 0), size: Number(query.get("size") || PAGE_SIZES[0]),
  };
  const [extra, setExtra] = useState(() => JSON.parse(localStorage.getItem(columnsKey(project)) || "[]"));
  const [selected, setSelected] = useState(new Set());
  const [text, setText] = useState(filters.q);
  const [chooser, setChooser] = useState(false);
  useEffect(() => { localStorage.setItem(columnsKey(project), JSON.stringify(extra)); }, [extra]);

  const onlyFields = useMemo(() => [...BASE_FIELDS, ...extra.map((c) => (c.kind === "hp" ? hpPath(c) : metricPath(c)))], [extra]);
  const body = () => {
    const b = {
      only_fields: onlyFields, order_by: [filters.sort], page: filters.page, page_size: filters.size,
      system_tags: [filters.archived ? "archived" : "-archived"],
    };
    if (!all) b.project = [project];
    if (filters.status.length) b.status = filters.status;
    if (filters.type.length) b.type = filters.type;
    if (filters.user.length) b.user = filters.user;
    if (filters.tags.length) b.tags = filters.tags;
    if (filters.q) b.search_text = filters.q;
    return b;
  };
  const key = JSON.stringify(body());
  const tasks = useLoad(async () => (await call("tasks.get_all_ex", body())).tasks, [key]);
  const [rows, setRows] = useState([]);
  useEffect(() => { if (tasks.data) setRows(tasks.data); }, [tasks.data]);

  // Rows that are queued or running are read again every 5 s.
  useEffect(() => {
    const timer = setInterval(async () => {
      const live = rows.filter((t) => RUNNING.includes(t.status)).map((t) => t.id);
      if (!live.length || document.hidden) return;
      try {
        const { tasks: fresh } = await call("tasks.get_all_ex", { id: live, only_fields: onlyFields });
        const byId = Object.fromEntries(fresh.map((t) => [t.id, t]));
        setRows((current) => current.map((t) => byId[t.id] || t));
      } catch (_) { /* the next tick tries again */ }
    }, 5000);
    return () => clearInterval(timer);
  }, [rows, onlyFields]);

  const meta = useLoad(async () => ({
    project: all ? null : await call("projects.get_by_id", { project }).then((r) => r.project).catch(() => null),
  }), [project]);
  // The user and tag lists are read when their filter opens: projects.get_task_tags reads
  // every task of the project, which would compete with the table's own first query.
  const loadUsers = async () => (await call("users.get_all_ex", { only_fields: ["id", "name"] })).users.map((u) => [u.id, u.name]);
  const loadTags = async () => (await call("projects.get_task_tags", all ? {} : { projects: [project] })).tags.map((x) => [x, x]);

  const pick = selected.size ? rows.filter((t) => selected.has(t.id)) : [];
  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id); else next.add(id);
    setSelected(next);
  };
  const allSelected = rows.length > 0 && rows.every((t) => selected.has(t.id));
  const bulk = async (action) => {
    const targets = pick.filter((t) => allowed(t)[action]);
    if (!targets.length) return;
    const result = await ACTIONS[action](targets);
    if (result && result.id) navigate(`/projects/${project || "*"}/experiments/${result.id}`);
    else if (result) { setSelected(new Set()); tasks.reload(true); }
  };
  const sortBy = (field) => {
    if (!field) return;
    setQuery({ sort: filters.sort === field ? `-${field}` : field, page: null });
  };
  const sortMark = (field) => (filters.sort === field ? " ▲" : filters.sort === `-${field}` ? " ▼" : "");
  const title = all ? "All experiments" : (meta.data && meta.data.project ? meta.data.project.name : "Experiments");

  return html`
    <section class="page">
      <div class="page-head">
        <h2><${Link} href="/projects" class="muted">Projects<//> / ${title}</h2>
        <form class="search" onSubmit=${(e) => { e.preventDefault(); setQuery({ q: text, page: null }); }}>
          <input type="search" placeholder="Search experiments" aria-label="Search experiments" data-testid="search"
                 value=${text} onInput=${(e) => setText(e.target.value)} />
        </form>
      </div>
      <div class="toolbar">
        <${MultiFilter} label="Status" name="status" values=${filters.status} options=${STATUSES.map((s) => [s, s.replace("_", " ")])} />
        <${MultiFilter} label="Type" name="type" values=${filters.type} options=${TASK_TYPES.map((s) => [s, s])} />
        <${MultiFilter} label="User" name="user" values=${filters.user} load=${loadUsers} />
        <${MultiFilter} label="Tags" name="tags" values=${filters.tags} load=${loadTags} />
        <label class="check"><input type="checkbox" checked=${filters.archived} onChange=${(e) => setQuery({ archived: e.target.checked ? "1" : null, page: null })} /> Archived</label>
        <button onClick=${() => setChooser(!chooser)} data-testid="columns">Columns</button>
        <span class="spacer"></span>
        ${pick.length > 0 && html`<span class="selection" data-testid="selection">${pick.length} selected:
          ${ACTION_LABELS.filter(([a]) => a !== "clone" && pick.some((t) => allowed(t)[a])).map(([a, label]) => html`
            <button data-action=${a} onClick=${() => bulk(a)}>${label}</button>`)}
          ${pick.length === 1 && html`<button data-action="clone" onClick=${() => bulk("clone")}>Clone</button>`}
          ${pick.length >= 2 && pick.length <= 10 && html`<button class="primary" data-testid="compare"
             onClick=${() => navigate(`/compare?ids=${pick.map((t) => t.id).join(",")}`)}>Compare</button>`}
        </span>`}
      </div>
      ${chooser && html`<${ColumnChooser} project=${project} all=${all} extra=${extra} setExtra=${setExtra} />`}
      <${ErrorBox} error=${tasks.error} />
      <div class="table-wrap">
      <table class="grid experiments" data-testid="experiments">
        <thead><tr>
          <th class="sel"><input type="checkbox" aria-label="Select all" checked=${allSelected}
              onChange=${() => setSelected(allSelected ? new Set() : new Set(rows.map((t) => t.id)))} /></th>
          ${COLUMNS.map(([k, label, field]) => html`<th class=${field ? "sortable" : ""} data-col=${k} onClick=${() => sortBy(field)}>${label}${field ? sortMark(field) : ""}</th>`)}
          ${extra.map((c) => {
            const field = c.kind === "hp" ? `${hpPath(c)}.value` : `${metricPath(c)}.value`;
            return html`<th class="sortable" data-col=${c.label} onClick=${() => sortBy(field)}>${c.label}${sortMark(field)}</th>`;
          })}
        </tr></thead>
        <tbody>
          ${rows.map((t) => html`<tr key=${t.id} class=${selected.has(t.id) ? "selected" : ""} data-id=${t.id}>
            <td class="sel"><input type="checkbox" aria-label="Select" checked=${selected.has(t.id)} onChange=${() => toggle(t.id)} /></td>
            <td class="name"><${Link} href=${`/projects/${(t.project && t.project.id) || project || "*"}/experiments/${t.id}`}>${t.name}<//>
              ${all && t.project && t.project.name && html`<div class="muted small">${t.project.name}</div>`}</td>
            <td><${StatusBadge} status=${t.status} /></td>
            <td>${t.type}</td>
            <td>${t.user && t.user.name}</td>
            <td>${fmtTime(t.started)}</td>
            <td>${fmtDuration(taskDuration(t))}</td>
            <td class="num">${t.last_iteration}</td>
            <td>${fmtTime(t.last_update)}</td>
            <td><${Tags} tags=${t.tags} /></td>
            ${extra.map((c) => html`<td class="num">${c.kind === "hp" ? cellHp(t, c) : cellMetric(t, c)}</td>`)}
          </tr>`)}
          ${!tasks.loading && !rows.length && html`<tr><td colspan=${10 + extra.length} class="muted">No experiments.</td></tr>`}
        </tbody>
      </table>
      </div>
      <div class="pager">
        <button disabled=${filters.page === 0} onClick=${() => setQuery({ page: filters.page - 1 || null })}>‹ Previous</button>
        <span data-testid="page">Page ${filters.page + 1}</span>
        <button disabled=${rows.length < filters.size} onClick=${() => setQuery({ page: filters.page + 1 })}>Next ›</button>
        <select aria-label="Rows per page" value=${filters.size} onChange=${(e) => setQuery({ size: e.target.value, page: null })}>
          ${PAGE_SIZES.map((n) => html`<option value=${n}>${n} rows</option>`)}
        </select>
        ${tasks.loading && html`<span class="muted">Loading…</span>`}
      </div>
    </section>`;
}

function cellHp(task, col) {
  const section = (task.hyperparams || {})[col.section] || {};
  const item = section[col.name];
  return item ? item.value : "";
}
function cellMetric(task, col) {
  const m = ((task.last_metrics || {})[col.metric_hash] || {})[col.variant_hash];
  return m ? fmtNumber(m.value) : "";
}

function MultiFilter({ label, name, values, options: given, load }) {
  const [loaded, setLoaded] = useState(null);
  const options = given || loaded || values.map((v) => [v, v]);
  const set = (value, on) => {
    const next = on ? [...values, value] : values.filter((v) => v !== value);
    setQuery({ [name]: next, page: null });
  };
  const onToggle = (e) => {
    if (e.currentTarget.open && load && loaded === null) load().then(setLoaded).catch(() => setLoaded([]));
  };
  return html`<details class="filter" data-filter=${name} onToggle=${onToggle}>
    <summary>${label}${values.length ? ` (${values.length})` : ""}</summary>
    <div class="menu">
      ${options.length === 0 && html`<span class="muted">none</span>`}
      ${options.map(([value, text]) => html`<label class="check"><input type="checkbox" value=${value}
          checked=${values.includes(value)} onChange=${(e) => set(value, e.target.checked)} /> ${text}</label>`)}
      ${values.length > 0 && html`<button class="link" onClick=${() => setQuery({ [name]: null, page: null })}>Clear</button>`}
    </div></details>`;
}

function ColumnChooser({ project, all, extra, setExtra }) {
  const { data, error } = useLoad(async () => {
    const [hp, metrics] = await Promise.all([
      call("projects.get_hyper_parameters", all ? {} : { projects: [project] }).then((r) => r.parameters),
      call("projects.get_unique_metric_variants", all ? {} : { project }).then((r) => r.metrics),
    ]);
    return { hp, metrics };
  }, [project]);
  const has = (label) => extra.some((c) => c.label === label);
  const toggle = (col) => setExtra(has(col.label) ? extra.filter((c) => c.label !== col.label) : [...extra, col]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<p class="loading">Loading columns…</p>`;
  return html`<div class="chooser" data-testid="column-chooser">
    <div><h4>Hyper-parameters</h4>
      ${data.hp.map((p) => {
        const col = { kind: "hp", section: escapeKey(p.section), name: escapeKey(p.name), label: `${p.section}/${p.name}` };
        return html`<label class="check"><input type="checkbox" checked=${has(col.label)} onChange=${() => toggle(col)} /> ${col.label}</label>`;
      })}
      ${!data.hp.length && html`<span class="muted">none</span>`}</div>
    <div><h4>Last metrics</h4>
      ${data.metrics.map((m) => {
        const col = { kind: "metric", metric_hash: m.metric_hash, variant_hash: m.variant_hash, label: `${m.metric} / ${m.variant}` };
        return html`<label class="check"><input type="checkbox" checked=${has(col.label)} onChange=${() => toggle(col)} /> ${col.label}</label>`;
      })}
      ${!data.metrics.length && html`<span class="muted">none</span>`}</div>
  </div>`;
}
