// The app shell: who is signed in, the navigation bar and the router.
import { render } from "../vendor/preact.mjs";
import { useEffect, useState } from "../vendor/preact-hooks.mjs";
import { call, setUnauthorizedHandler } from "./api.js";
import { Login } from "./login.js";
import { Notices } from "./ui.js";
import { html, Link, navigate, setFilesHosts, useLocation } from "./util.js";

const screens = {
  projects: () => import("./projects.js").then((m) => m.Projects),
  experiments: () => import("./experiments.js").then((m) => m.Experiments),
  experiment: () => import("./experiment.js").then((m) => m.Experiment),
  compare: () => import("./compare.js").then((m) => m.Compare),
  models: () => import("./models.js").then((m) => m.Models),
  model: () => import("./models.js").then((m) => m.ModelPage),
  queues: () => import("./queues.js").then((m) => m.Queues),
  workers: () => import("./workers.js").then((m) => m.Workers),
  profile: () => import("./profile.js").then((m) => m.Profile),
};

// Paths follow the reference web app's, so the links the SDKs print open the same screen.
const EXPERIMENT_TABS = {
  "info-output": "overview", execution: "execution", "hyper-params": "params", configuration: "params",
  artifacts: "artifacts", "output/log": "console", "output/metrics/scalar": "scalars",
  "output/metrics/plots": "plots", "output/debugImages": "debug",
};
export function route(path) {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (!parts.length) return { screen: "projects", params: {} };
  if (parts[0] === "projects" && parts.length === 1) return { screen: "projects", params: {} };
  // clearml 2.1 prints .../tasks/<id>/... to a server announcing API 2.31, .../experiments/<id>/... below
  if (parts[0] === "projects" && (parts[2] === "experiments" || parts[2] === "tasks") && parts[3]) {
    const rest = parts.slice(4).join("/");
    return { screen: "experiment", params: { project: parts[1], id: parts[3], tab: EXPERIMENT_TABS[rest] || rest || "overview" } };
  }
  if (parts[0] === "projects") return { screen: "experiments", params: { project: parts[1] } };
  if (parts[0] === "experiments") return { screen: "experiments", params: { project: "*" } };
  if (parts[0] === "compare") return { screen: "compare", params: {} };
  if (parts[0] === "models" && parts[1]) return { screen: "model", params: { id: parts[1] } };
  if (screens[parts[0]]) return { screen: parts[0], params: {} };
  return { screen: "notfound", params: {} };
}

function Shell({ user, config, onSignOut }) {
  const { path } = useLocation();
  const { screen, params } = route(path);
  // The component of the screen it was loaded for: never the previous screen's with new params.
  const [loaded, setLoaded] = useState({ name: null, component: null });
  useEffect(() => {
    let live = true;
    if (screens[screen]) screens[screen]().then((component) => { if (live) setLoaded({ name: screen, component }); });
    return () => { live = false; };
  }, [screen]);
  const Screen = loaded.name === screen ? loaded.component : null;
  const nav = [["/projects", "Projects", ["projects", "experiments", "experiment", "compare"]], ["/models", "Models", ["models", "model"]],
    ["/queues", "Queues", ["queues"]], ["/workers", "Workers", ["workers"]]];
  return html`
    <header class="topbar">
      <${Link} href="/projects" class="brand">Stationmaster<//>
      <nav>${nav.map(([href, label, names]) => html`<${Link} href=${href} class=${names.includes(screen) ? "active" : ""}>${label}<//>`)}</nav>
      <span class="spacer"></span>
      <${Link} href="/profile" class=${screen === "profile" ? "active user" : "user"} data-testid="profile-link">${user.name}<//>
      <button class="link" data-testid="sign-out" onClick=${onSignOut}>Sign out</button>
    </header>
    <main>
      ${screen === "notfound" ? html`<p>No such page. <${Link} href="/projects">Projects<//></p>`
        : Screen ? html`<${Screen} ...${params} user=${user} config=${config} />` : html`<p class="loading">Loading…</p>`}
    </main>
    <${Notices} />`;
}

function App() {
  const [state, setState] = useState({ user: undefined, config: {} });
  const load = async () => {
    const config = await fetch("/configuration.json").then((r) => r.json()).catch(() => ({}));
    setFilesHosts(config.filesHosts);
    try {
      const { user } = await call("users.get_current_user", {}, { quiet401: true });
      setState({ user, config });
    } catch (_) {
      setState({ user: null, config });
    }
  };
  useEffect(() => {
    setUnauthorizedHandler(() => setState((s) => ({ ...s, user: null })));
    load();
  }, []);
  const signOut = async () => {
    try { await call("auth.logout", {}); } catch (_) { /* signed out anyway */ }
    setState((s) => ({ ...s, user: null }));
    navigate("/login");
  };
  if (state.user === undefined) return html`<p class="loading">Loading…</p>`;
  if (state.user === null) {
    return html`<${Login} onSignedIn=${() => { load(); if (location.pathname === "/login") navigate("/projects"); }} />`;
  }
  if (location.pathname === "/login" || location.pathname === "/") navigate("/projects", { replace: true });
  return html`<${Shell} user=${state.user} config=${state.config} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById("app"));
