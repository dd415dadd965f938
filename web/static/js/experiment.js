// One experiment: overview, execution, hyper-parameters & configuration, artifacts &
// models, console, scalars, plots, debug images; the actions of its state.
import { useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ACTION_LABELS, ACTIONS, allowed } from "./actions.js";
import { Console } from "./console.js";
import { DebugImages } from "./debug.js";
import { Plots } from "./plots.js";
import { Scalars } from "./scalars.js";
import { notify, Tabs } from "./ui.js";
import {
  ErrorBox, fileUrl, fmtBytes, fmtDuration, fmtTime, html, Link, navigate, StatusBadge, Tags, taskDuration, useLoad,
} from "./util.js";

const TABS = [["overview", "Overview"], ["execution", "Execution"], ["params", "Hyper-parameters"], ["artifacts", "Artifacts"],
  ["console", "Console"], ["scalars", "Scalars"], ["plots", "Plots"], ["debug", "Debug images"]];
const LIVE = ["queued", "in_progress"];
const DATA_TABS = ["console", "scalars", "plots", "debug"];

function dataTab(tab, task, live) {
  if (tab === "console") return html`<${Console} key="console" task=${task} live=${live} />`;
  if (tab === "scalars") return html`<${Scalars} key="scalars" task=${task} live=${live} />`;
  if (tab === "plots") return html`<${Plots} key="plots" task=${task} />`;
  return html`<${DebugImages} key="debug" task=${task} />`;
}

async function loadTask(id) {
  const [{ task }, joined] = await Promise.all([
    call("tasks.get_by_id", { task: id }),
    call("tasks.get_all_ex", { id: [id], only_fields: ["user.name", "project.name", "parent.name"] }),
  ]);
  const extra = (joined.tasks && joined.tasks[0]) || {};
  let queue = null;
  const queueId = task.execution && task.execution.queue;
  if (queueId) queue = await call("queues.get_by_id", { queue: queueId }).then((r) => r.queue).catch(() => null);
  return { ...task, user_info: extra.user, project_info: extra.project, parent_info: extra.parent, queue_info: queue };
}

export function Experiment({ project, id, tab }) {
  const current = TABS.some(([k]) => k === tab) ? tab : "overview";
  const { data: task, error, reload } = useLoad(() => loadTask(id), [id], 0);
  const live = task && LIVE.includes(task.status);
  useLoad(async () => { if (live) await reload(true); return null; }, [id, live], live ? 5000 : 0);
  const select = (key) => navigate(`/projects/${project}/experiments/${id}/${key === "overview" ? "" : key}`, { replace: true });
  const act = async (action) => {
    const result = await ACTIONS[action]([task]);
    if (result && result.id) navigate(`/projects/${project}/experiments/${result.id}`);
    else if (result && action === "delete") navigate(`/projects/${project}/experiments`);
    else if (result) reload(true);
  };
  if (error) return html`<section class="page"><${ErrorBox} error=${error} /></section>`;
  // The data tabs need only the id: they start reading while the task document loads (the
  // tab body keeps its place in the tree, so the tab is not mounted again when it arrives).
  if (!task && !DATA_TABS.includes(current)) return html`<p class="loading">Loading…</p>`;
  const can = task ? allowed(task) : {};
  const projectName = (task && task.project_info && task.project_info.name) || "";
  const head = task ? html`
      <div class="page-head">
        <h2><${Link} href="/projects" class="muted">Projects<//> /
          <${Link} href=${`/projects/${task.project || "*"}/experiments`} class="muted">${projectName || "All"}<//> /
          <span data-testid="task-name">${task.name}</span></h2>
        <${StatusBadge} status=${task.status} />
      </div>
      <div class="actions" data-testid="actions">
        ${ACTION_LABELS.filter(([a]) => can[a]).map(([a, label]) => html`<button data-action=${a} onClick=${() => act(a)}>${label}</button>`)}
      </div>
      <${Tabs} tabs=${TABS} current=${current} onSelect=${select} />` : html`<p class="loading">Loading…</p>`;
  return html`
    <section class="page experiment" data-task=${task ? task.id : ""}>
      <div class="experiment-head">${head}</div>
      <div class="tab-body">
        ${task && current === "overview" && html`<${Overview} task=${task} />`}
        ${task && current === "execution" && html`<${Execution} task=${task} />`}
        ${task && current === "params" && html`<${Params} task=${task} reload=${() => reload(true)} />`}
        ${task && current === "artifacts" && html`<${Artifacts} task=${task} />`}
        ${DATA_TABS.includes(current) && dataTab(current, task || { id }, live)}
      </div>
    </section>`;
}

function Fields({ rows }) {
  return html`<dl class="fields">${rows.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function Overview({ task }) {
  const parent = task.parent && html`<${Link} href=${`/projects/*/experiments/${task.parent}`}>${(task.parent_info && task.parent_info.name) || task.parent}<//>`;
  return html`<${Fields} rows=${[
    ["Id", html`<code>${task.id}</code>`], ["Status", html`<${StatusBadge} status=${task.status} />`],
    ["Status reason", task.status_reason], ["Status message", task.status_message], ["Type", task.type],
    ["User", task.user_info && task.user_info.name], ["Created", fmtTime(task.created)], ["Started", fmtTime(task.started)],
    ["Completed", fmtTime(task.completed)], ["Last update", fmtTime(task.last_update)], ["Duration", fmtDuration(taskDuration(task))],
    ["Last iteration", task.last_iteration], ["Worker", task.last_worker], ["Queue", task.queue_info && task.queue_info.name],
    ["Parent", parent], ["Tags", html`<${Tags} tags=${task.tags} />`], ["System tags", html`<${Tags} tags=${task.system_tags} />`],
    ["Comment", task.comment && html`<pre class="text">${task.comment}</pre>`],
  ]} />`;
}

function Execution({ task }) {
  const script = task.script || {};
  const execution = task.execution || {};
  const requirements = script.requirements || {};
  return html`<div>
    <${Fields} rows=${[
      ["Repository", script.repository], ["Branch", script.branch], ["Commit", script.version_num], ["Tag", script.tag],
      ["Entry point", script.entry_point], ["Working directory", script.working_dir], ["Binary", script.binary],
      ["Container", execution.docker_cmd], ["Framework", execution.framework],
    ]} />
    <h4>Uncommitted changes</h4>
    ${script.diff ? html`<pre class="code" data-testid="diff">${script.diff}</pre>` : html`<p class="muted">None.</p>`}
    <h4>Installed packages</h4>
    ${requirements.pip ? html`<pre class="code" data-testid="requirements">${Array.isArray(requirements.pip) ? requirements.pip.join("\n") : requirements.pip}</pre>` : html`<p class="muted">None recorded.</p>`}
    ${Object.entries(requirements).filter(([k]) => k !== "pip").map(([k, v]) => html`<h4>${k}</h4><pre class="code">${typeof v === "string" ? v : JSON.stringify(v, null, 2)}</pre>`)}
  </div>`;
}

function Params({ task, reload }) {
  const draft = task.status === "created";
  const [editing, setEditing] = useState(null);
  const sections = Object.entries(task.hyperparams || {});
  const config = Object.entries(task.configuration || {});
  const saveSection = async (section, items, values) => {
    const hyperparams = Object.entries(items).map(([key, item]) => ({
      section: item.section || section, name: item.name || key, value: values[key], type: item.type, description: item.description,
    }));
    try {
      await call("tasks.edit_hyper_params", { task: task.id, hyperparams });
      notify(`Saved ${section}`);
      setEditing(null);
      reload();
    } catch (ex) { notify(`Saving failed: ${ex.message}`, "error"); }
  };
  const saveConfig = async (name, item, value) => {
    try {
      await call("tasks.edit_configuration", { task: task.id, configuration: [{ name: item.name || name, value, type: item.type, description: item.description }] });
      notify(`Saved ${name}`);
      setEditing(null);
      reload();
    } catch (ex) { notify(`Saving failed: ${ex.message}`, "error"); }
  };
  return html`<div class="params">
    ${!draft && html`<p class="muted small">Only a draft (created) experiment can be edited: clone this one to change its parameters.</p>`}
    ${sections.length === 0 && html`<p class="muted">No hyper-parameters.</p>`}
    ${sections.map(([section, items]) => html`<${ParamSection} key=${section} section=${section} items=${items} draft=${draft}
        editing=${editing === `hp:${section}`} onEdit=${() => setEditing(`hp:${section}`)} onCancel=${() => setEditing(null)}
        onSave=${(values) => saveSection(section, items, values)} />`)}
    <h3>Configuration</h3>
    ${config.length === 0 && html`<p class="muted">No configuration objects.</p>`}
    ${config.map(([name, item]) => html`<${ConfigItem} key=${name} name=${name} item=${item} draft=${draft}
        editing=${editing === `cfg:${name}`} onEdit=${() => setEditing(`cfg:${name}`)} onCancel=${() => setEditing(null)}
        onSave=${(value) => saveConfig(name, item, value)} />`)}
  </div>`;
}

function ParamSection({ section, items, draft, editing, onEdit, onCancel, onSave }) {
  const [values, setValues] = useState(() => Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.value ?? ""])));
  return html`<div class="section" data-section=${section}>
    <h3>${section} ${draft && !editing && html`<button class="small" data-testid=${`edit-${section}`} onClick=${onEdit}>Edit</button>`}</h3>
    <table class="grid kv"><tbody>
      ${Object.entries(items).map(([key, item]) => html`<tr><th>${item.name || key}</th><td>
        ${editing ? html`<input name=${key} value=${values[key]} onInput=${(e) => setValues({ ...values, [key]: e.target.value })} />` : item.value}
        ${item.description && html`<div class="muted small">${item.description}</div>`}</td></tr>`)}
    </tbody></table>
    ${editing && html`<div class="buttons"><button onClick=${onCancel}>Cancel</button><button class="primary" data-testid="save" onClick=${() => onSave(values)}>Save</button></div>`}
  </div>`;
}

function ConfigItem({ name, item, draft, editing, onEdit, onCancel, onSave }) {
  const [value, setValue] = useState(item.value || "");
  return html`<div class="section" data-config=${name}>
    <h4>${item.name || name} <span class="muted small">${item.type}</span>
      ${draft && !editing && html`<button class="small" onClick=${onEdit}>Edit</button>`}</h4>
    ${editing ? html`<textarea rows="12" value=${value} onInput=${(e) => setValue(e.target.value)}></textarea>
        <div class="buttons"><button onClick=${onCancel}>Cancel</button><button class="primary" onClick=${() => onSave(value)}>Save</button></div>`
      : html`<pre class="code">${item.value}</pre>`}
  </div>`;
}

function Artifacts({ task }) {
  const artifacts = (task.execution && task.execution.artifacts) || [];
  const models = useLoad(async () => {
    const ids = [task.output && task.output.model, task.execution && task.execution.model].filter(Boolean);
    const byTask = await call("models.get_all_ex", { task: [task.id], only_fields: ["id", "name", "uri", "framework", "ready"] }).then((r) => r.models);
    const extra = ids.filter((m) => !byTask.some((x) => x.id === m));
    const more = extra.length ? await call("models.get_all_ex", { id: extra, only_fields: ["id", "name", "uri", "framework", "ready"] }).then((r) => r.models) : [];
    const input = task.execution && task.execution.model;
    return [...byTask, ...more].map((m) => ({ ...m, role: m.id === input ? "input" : "output" }));
  }, [task.id]);
  return html`<div>
    <h3>Artifacts</h3>
    ${artifacts.length === 0 && html`<p class="muted">No artifacts.</p>`}
    ${artifacts.length > 0 && html`<table class="grid" data-testid="artifacts"><thead><tr><th>Name</th><th>Type</th><th>Mode</th><th>Size</th><th>Preview</th><th></th></tr></thead><tbody>
      ${artifacts.map((a) => html`<tr><td>${a.key}</td><td>${a.type}</td><td>${a.mode}</td><td>${fmtBytes(a.content_size)}</td>
        <td><pre class="preview">${(a.type_data && a.type_data.preview) || ""}</pre></td>
        <td>${a.uri && html`<a href=${fileUrl(a.uri)} download target="_blank" rel="noopener noreferrer">Download</a>`}</td></tr>`)}
    </tbody></table>`}
    <h3>Models</h3>
    <${ErrorBox} error=${models.error} />
    ${models.data && models.data.length === 0 && html`<p class="muted">No models.</p>`}
    ${models.data && models.data.length > 0 && html`<table class="grid"><thead><tr><th>Name</th><th>Role</th><th>Framework</th><th></th></tr></thead><tbody>
      ${models.data.map((m) => html`<tr><td><${Link} href=${`/models/${m.id}`}>${m.name}<//></td><td>${m.role}</td><td>${m.framework}</td>
        <td>${m.uri && html`<a href=${fileUrl(m.uri)} download target="_blank" rel="noopener noreferrer">Download</a>`}</td></tr>`)}
    </tbody></table>`}
  </div>`;
}
