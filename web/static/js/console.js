// The console: the newest page of log lines (events.get_task_log 2.9), older pages on
// demand, a live tail while the task runs, search over the loaded lines, download.
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import { call, callBlob } from "./api.js";
import { notify } from "./ui.js";
import { download, ErrorBox, html } from "./util.js";

const PAGE = 500;

function lineKey(e) { return `${e.timestamp}|${e.worker || ""}|${e.msg}`; }

export function Console({ task, live }) {
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  const [more, setMore] = useState(false);
  const [total, setTotal] = useState(null);
  const [search, setSearch] = useState("");
  const [follow, setFollow] = useState(true);
  const box = useRef(null);
  const state = useRef({ events: [] });

  const setAll = (list) => { state.current.events = list; setEvents(list); };
  useEffect(() => {
    let stop = false;
    (async () => {
      try {
        const page = await call("events.get_task_log", { task: task.id, batch_size: PAGE, navigate_earlier: true });
        if (stop) return;
        setAll(page.events.slice().reverse());
        setTotal(page.total);
        setMore(page.events.length < page.total);
      } catch (ex) { setError(ex); }
    })();
    return () => { stop = true; };
  }, [task.id]);

  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(async () => {
      if (document.hidden) return;
      const list = state.current.events;
      const last = list.length ? list[list.length - 1].timestamp : undefined;
      try {
        const body = { task: task.id, batch_size: PAGE, navigate_earlier: false };
        if (last !== undefined) body.from_timestamp = last;
        const page = await call("events.get_task_log", body);
        const seen = new Set(list.map(lineKey));
        const fresh = page.events.filter((e) => !seen.has(lineKey(e)));
        if (fresh.length) setAll([...list, ...fresh]);
        setTotal(page.total);
      } catch (_) { /* next tick */ }
    }, 2000);
    return () => clearInterval(timer);
  }, [task.id, live]);

  useEffect(() => {
    if (follow && box.current && !search) box.current.scrollTop = box.current.scrollHeight;
  }, [events, follow, search]);

  const earlier = async () => {
    const list = state.current.events;
    if (!list.length) return;
    try {
      const page = await call("events.get_task_log", { task: task.id, batch_size: PAGE, navigate_earlier: true, from_timestamp: list[0].timestamp });
      const seen = new Set(list.map(lineKey));
      const older = page.events.slice().reverse().filter((e) => !seen.has(lineKey(e)));
      setAll([...older, ...list]);
      setMore(older.length > 0 && list.length + older.length < page.total);
      setFollow(false);
    } catch (ex) { setError(ex); }
  };
  const save = async () => {
    try {
      download(await callBlob("events.download_task_log", { task: task.id, line_type: "text" }), `task_${task.id}.log`);
    } catch (ex) { notify(`Download failed: ${ex.message}`, "error"); }
  };
  const needle = search.toLowerCase();
  const shown = needle ? events.filter((e) => String(e.msg).toLowerCase().includes(needle)) : events;
  return html`<div class="console-tab">
    <div class="toolbar">
      <input type="search" placeholder="Search the loaded lines" aria-label="Search the console" value=${search}
             data-testid="console-search" onInput=${(e) => setSearch(e.target.value)} />
      ${more && html`<button onClick=${earlier} data-testid="earlier">Load earlier lines</button>`}
      <label class="check"><input type="checkbox" checked=${follow} onChange=${(e) => setFollow(e.target.checked)} /> Follow</label>
      <button onClick=${save} data-testid="download-log">Download</button>
      <span class="muted small" data-testid="console-count">${events.length}${total !== null ? ` of ${total}` : ""} reports loaded${live ? " · live" : ""}</span>
    </div>
    <${ErrorBox} error=${error} />
    <div class="console" ref=${box} data-testid="console" onScroll=${(e) => {
      const el = e.currentTarget;
      if (el.scrollTop + el.clientHeight < el.scrollHeight - 20) setFollow(false);
    }}>${shown.map((e) => html`<div class=${`line level-${e.level || "info"}`}><span class="ts">${new Date(e.timestamp).toLocaleTimeString()}</span>${e.msg}</div>`)}
      ${!events.length && !error && html`<span class="muted">No console output.</span>`}
    </div>
  </div>`;
}
