// Task actions, each through the API action the SDK uses; the server's message is shown
// when one fails. Every function takes a list of tasks (one for the page, the selection
// for the table) and returns true when something changed.
import { call, each } from "./api.js";
import { ask, confirmAction, notify } from "./ui.js";

const ARCHIVED = "archived";

async function run(label, tasks, action, bodyOf) {
  const failures = await each(tasks.map((t) => t.id), action, (id) => bodyOf(tasks.find((t) => t.id === id)));
  if (failures.length) notify(`${label} failed: ${failures.join("; ")}`, "error");
  else notify(`${label}: ${tasks.length} experiment${tasks.length === 1 ? "" : "s"}`);
  return failures.length < tasks.length;
}

export async function queueOptions() {
  const { queues } = await call("queues.get_all", { only_fields: ["id", "name"], order_by: ["name"] });
  return queues.map((q) => ({ value: q.id, label: q.name }));
}

export const ACTIONS = {
  async clone(tasks) {
    const task = tasks[0];
    const values = await ask({
      title: "Clone experiment",
      fields: [{ name: "name", label: "New name", value: `Clone of ${task.name}` }],
      submit: "Clone",
    });
    if (!values) return false;
    try {
      const { id } = await call("tasks.clone", { task: task.id, new_task_name: values.name });
      notify(`Cloned as ${values.name}`);
      return { id };
    } catch (ex) {
      notify(`Clone failed: ${ex.message}`, "error");
      return false;
    }
  },
  async enqueue(tasks) {
    const options = await queueOptions();
    if (!options.length) { notify("There is no queue: create one on the Queues page", "error"); return false; }
    const values = await ask({ title: "Enqueue", fields: [{ name: "queue", label: "Queue", value: options[0].value, options }], submit: "Enqueue" });
    if (!values) return false;
    return run("Enqueue", tasks, "tasks.enqueue", (t) => ({ task: t.id, queue: values.queue }));
  },
  dequeue: (tasks) => run("Dequeue", tasks, "tasks.dequeue", (t) => ({ task: t.id })),
  async abort(tasks) {
    if (!(await confirmAction("Abort", `Abort ${tasks.length} experiment(s)?`, "Abort"))) return false;
    return run("Abort", tasks, "tasks.stop", (t) => ({ task: t.id }));
  },
  async reset(tasks) {
    if (!(await confirmAction("Reset", "Reset deletes the experiments' results (scalars, logs, artifacts, output models).", "Reset"))) return false;
    return run("Reset", tasks, "tasks.reset", (t) => ({ task: t.id }));
  },
  archive: (tasks) => run("Archive", tasks, "tasks.edit", (t) => ({
    task: t.id, force: true, system_tags: [...new Set([...(t.system_tags || []), ARCHIVED])],
  })),
  restore: (tasks) => run("Restore", tasks, "tasks.edit", (t) => ({
    task: t.id, force: true, system_tags: (t.system_tags || []).filter((x) => x !== ARCHIVED),
  })),
  async publish(tasks) {
    if (!(await confirmAction("Publish", "Published experiments can no longer be changed.", "Publish"))) return false;
    return run("Publish", tasks, "tasks.publish", (t) => ({ task: t.id }));
  },
  async addTag(tasks) {
    const values = await ask({ title: "Add tag", fields: [{ name: "tag", label: "Tag" }], submit: "Add" });
    if (!values || !values.tag.trim()) return false;
    const tag = values.tag.trim();
    return run("Add tag", tasks, "tasks.edit", (t) => ({ task: t.id, force: true, tags: [...new Set([...(t.tags || []), tag])] }));
  },
  async removeTag(tasks) {
    const all = [...new Set(tasks.flatMap((t) => t.tags || []))];
    if (!all.length) { notify("No tags to remove"); return false; }
    const values = await ask({ title: "Remove tag", fields: [{ name: "tag", label: "Tag", value: all[0], options: all.map((t) => ({ value: t, label: t })) }], submit: "Remove" });
    if (!values) return false;
    return run("Remove tag", tasks, "tasks.edit", (t) => ({ task: t.id, force: true, tags: (t.tags || []).filter((x) => x !== values.tag) }));
  },
  async delete(tasks) {
    if (!(await confirmAction("Delete", `Delete ${tasks.length} experiment(s) for good?`, "Delete"))) return false;
    return run("Delete", tasks, "tasks.delete", (t) => ({ task: t.id }));
  },
};

// Which actions make sense for a task in its state (the server still has the last word).
export function allowed(task) {
  const s = task.status;
  const archived = (task.system_tags || []).includes(ARCHIVED);
  return {
    clone: true,
    enqueue: ["created", "stopped", "failed"].includes(s),
    dequeue: s === "queued",
    abort: ["in_progress", "queued"].includes(s),
    reset: !["created", "published"].includes(s),
    archive: !archived,
    restore: archived,
    publish: ["completed", "stopped"].includes(s),
    addTag: true,
    removeTag: (task.tags || []).length > 0,
    delete: true,
  };
}

export const ACTION_LABELS = [
  ["clone", "Clone"], ["enqueue", "Enqueue"], ["dequeue", "Dequeue"], ["abort", "Abort"], ["reset", "Reset"],
  ["archive", "Archive"], ["restore", "Restore"], ["publish", "Publish"], ["addTag", "Add tag"],
  ["removeTag", "Remove tag"], ["delete", "Delete"],
];
