// Queues: length, the tasks in them (move up/down/top/bottom, remove = tasks.dequeue),
// create and delete queues.
import { call } from "./api.js";
import { ask, confirmAction, notify } from "./ui.js";
import { ErrorBox, fmtTime, html, Link, StatusBadge, useLoad } from "./util.js";

async function loadQueues() {
  const { queues } = await call("queues.get_all_ex", { order_by: ["name"] });
  // get_all_ex joins each entry's task ({id, name}); get_all gives the id alone.
  const taskId = (e) => (e.task && typeof e.task === "object" ? e.task.id : e.task);
  const ids = [...new Set(queues.flatMap((q) => (q.entries || []).map(taskId)))];
  const tasks = ids.length ? (await call("tasks.get_all_ex", { id: ids, only_fields: ["id", "name", "status", "project"] })).tasks : [];
  const byId = Object.fromEntries(tasks.map((t) => [t.id, t]));
  return queues.map((q) => ({ ...q, entries: (q.entries || []).map((e) => ({ ...e, task: taskId(e), info: byId[taskId(e)] })) }));
}

export function Queues() {
  const { data, error, reload } = useLoad(loadQueues, [], 5000);
  const run = async (label, action, body) => {
    try { await call(action, body); reload(true); } catch (ex) { notify(`${label} failed: ${ex.message}`, "error"); }
  };
  const create = async () => {
    const values = await ask({ title: "New queue", fields: [{ name: "name", label: "Name" }], submit: "Create" });
    if (values && values.name.trim()) run("Create queue", "queues.create", { name: values.name.trim() });
  };
  const remove = async (q) => {
    if (await confirmAction("Delete queue", `Delete queue ${q.name}?`, "Delete")) run("Delete queue", "queues.delete", { queue: q.id });
  };
  return html`<section class="page">
    <div class="page-head"><h2>Queues</h2><button onClick=${create} data-testid="new-queue">New queue</button></div>
    <${ErrorBox} error=${error} />
    ${(data || []).map((q) => html`<div class="queue card" data-queue=${q.name}>
      <h3>${q.name} <span class="muted small" data-testid="queue-length">${q.entries.length} queued</span>
        ${(q.system_tags || []).includes("default") && html`<span class="tag">default</span>`}
        <button class="small link" onClick=${() => remove(q)}>Delete</button></h3>
      ${q.entries.length === 0 ? html`<p class="muted small">Empty.</p>` : html`<table class="grid"><thead><tr><th>#</th><th>Experiment</th><th>Status</th><th>Added</th><th></th></tr></thead><tbody>
        ${q.entries.map((e, i) => html`<tr data-task=${e.task}><td>${i + 1}</td>
          <td><${Link} href=${`/projects/${(e.info && e.info.project) || "*"}/experiments/${e.task}`}>${(e.info && e.info.name) || e.task}<//></td>
          <td><${StatusBadge} status=${e.info && e.info.status} /></td><td>${fmtTime(e.added)}</td>
          <td class="row-actions">
            <button class="small" title="To the front" disabled=${i === 0} onClick=${() => run("Move", "queues.move_task_to_front", { queue: q.id, task: e.task })}>⤒</button>
            <button class="small" title="Up" data-testid="up" disabled=${i === 0} onClick=${() => run("Move", "queues.move_task_forward", { queue: q.id, task: e.task, count: 1 })}>↑</button>
            <button class="small" title="Down" data-testid="down" disabled=${i === q.entries.length - 1} onClick=${() => run("Move", "queues.move_task_backward", { queue: q.id, task: e.task, count: 1 })}>↓</button>
            <button class="small" title="To the back" disabled=${i === q.entries.length - 1} onClick=${() => run("Move", "queues.move_task_to_back", { queue: q.id, task: e.task })}>⤓</button>
            <button class="small" title="Remove from the queue (dequeue)" data-testid="dequeue" onClick=${() => run("Remove", "tasks.dequeue", { task: e.task })}>Remove</button>
          </td></tr>`)}</tbody></table>`}
    </div>`)}
    ${data && !data.length && html`<p class="muted">No queues.</p>`}
  </section>`;
}
