// Shared pieces: the html tag, routing, formatting, small hooks.
import { h } from "../vendor/preact.mjs";
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import htm from "../vendor/htm.mjs";

export const html = htm.bind(h);

// --- routing (History API; the server answers index.html for every app path) ---------
const listeners = new Set();
export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", path);
  listeners.forEach((fn) => fn());
}
window.addEventListener("popstate", () => listeners.forEach((fn) => fn()));
export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((t) => t + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}
export function Link({ href, children, ...rest }) {
  const onClick = (ev) => {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
export function setQuery(changes) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) q.delete(k);
    else q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const s = q.toString();
  navigate(location.pathname + (s ? `?${s}` : ""), { replace: true });
}

// --- formatting ---------------------------------------------------------------------
export function fmtTime(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  let s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${mm}m`;
  if (mm) return `${mm}m ${s}s`;
  return `${s}s`;
}
export function taskDuration(task) {
  if (!task.started) return null;
  const end = task.completed ? new Date(task.completed) : (task.status === "in_progress" ? new Date() : new Date(task.last_update || task.started));
  return (end - new Date(task.started)) / 1000;
}
export function fmtNumber(v) {
  if (v === null || v === undefined || v === "") return "";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}
export function fmtBytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0; let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

export const STATUSES = ["created", "queued", "in_progress", "stopped", "completed", "published", "failed", "closed", "publishing", "unknown"];
export const TASK_TYPES = ["training", "testing", "inference", "data_processing", "application", "monitor", "controller", "optimizer", "service", "qc", "custom"];
export function StatusBadge({ status }) {
  const s = status || "unknown";
  return html`<span class=${`status status-${s}`} data-status=${s}>${s.replace("_", " ")}</span>`;
}
export function Tags({ tags }) {
  return html`<span class="tags">${(tags || []).map((t) => html`<span class="tag">${t}</span>`)}</span>`;
}

// --- hooks --------------------------------------------------------------------------
// Calls load() now and whenever deps change; with every > 0, again every `every` ms while
// the page is visible. Returns {data, error, loading, reload}.
export function useLoad(load, deps, every = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const gen = useRef(0);
  const reload = async (background = false) => {
    const mine = ++gen.current;
    if (!background) setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === gen.current) setState({ data, error: null, loading: false });
    } catch (ex) {
      if (mine === gen.current) setState((s) => ({ data: background ? s.data : null, error: ex, loading: false }));
    }
  };
  useEffect(() => { reload(); }, deps);
  useEffect(() => {
    if (!every) return undefined;
    const timer = setInterval(() => { if (!document.hidden) reload(true); }, every);
    return () => clearInterval(timer);
  }, [every, ...deps]);
  return { ...state, reload };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">${error.message || String(error)}</div>`;
}

// A file URL the SDK stored (http://<file server>/path) as loaded on this origin (/files/path).
let filesHosts = [];
export function setFilesHosts(hosts) { filesHosts = hosts || []; }
export function fileUrl(url) {
  if (!url) return url;
  for (const host of filesHosts) {
    if (url.startsWith(`${host}/`)) return `/files/${url.slice(host.length + 1)}`;
  }
  return url;
}
export function isServedFile(url) { return typeof url === "string" && url.startsWith("/files/"); }

export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// Hyper-parameters of a task as {"Section/name": value}.
export function flatParams(task) {
  const out = {};
  for (const [section, items] of Object.entries(task.hyperparams || {})) {
    for (const [name, item] of Object.entries(items || {})) out[`${section}/${item.name || name}`] = item.value;
  }
  return out;
}
