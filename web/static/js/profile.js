// Profile: the signed-in user, API credentials (created with auth.create_credentials; the
// secret is shown once, with a clearml.conf section), and for admins the users and
// their web sign-in passwords.
import { useState } from "../vendor/preact-hooks.mjs";
import { call } from "./api.js";
import { ask, confirmAction, notify } from "./ui.js";
import { ErrorBox, fmtTime, html, useLoad } from "./util.js";

function hostOf(config, urlKey, portKey, fallbackPort) {
  if (config[urlKey]) return config[urlKey];
  return `${location.protocol}//${location.hostname}:${config[portKey] || fallbackPort}`;
}

export function confSnippet(config, credentials) {
  const api = hostOf(config, "apiServer", "apiPort", 8008);
  const files = hostOf(config, "filesServer", "filesPort", 8081);
  return `api {
    web_server: ${location.origin}
    api_server: ${api}
    files_server: ${files}
    credentials {
        "access_key" = "${credentials.access_key}"
        "secret_key" = "${credentials.secret_key}"
    }
}
`;
}

export function Profile({ user, config }) {
  const creds = useLoad(async () => (await call("auth.get_credentials", {})).credentials, []);
  const [fresh, setFresh] = useState(null);
  const admin = ["admin", "root", "system"].includes(user.role);
  const create = async () => {
    const values = await ask({ title: "New credentials", fields: [{ name: "label", label: "Label (optional)" }], submit: "Create" });
    if (!values) return;
    try {
      const body = values.label.trim() ? { label: values.label.trim() } : {};
      const { credentials } = await call("auth.create_credentials", body);
      setFresh(credentials);
      creds.reload(true);
    } catch (ex) { notify(`Creating credentials failed: ${ex.message}`, "error"); }
  };
  const revoke = async (key) => {
    if (!(await confirmAction("Revoke", `Revoke access key ${key}? Clients using it stop working.`, "Revoke"))) return;
    try { await call("auth.revoke_credentials", { access_key: key }); creds.reload(true); } catch (ex) { notify(`Revoke failed: ${ex.message}`, "error"); }
  };
  return html`<section class="page">
    <div class="page-head"><h2>Profile</h2></div>
    <dl class="fields"><dt>Name</dt><dd data-testid="user-name">${user.name}</dd><dt>Role</dt><dd>${user.role}</dd>
      <dt>Company</dt><dd>${user.company && user.company.name}</dd><dt>User id</dt><dd><code>${user.id}</code></dd></dl>
    <h3>API credentials</h3>
    ${fresh && html`<div class="card fresh" data-testid="new-credentials">
      <p><strong>Copy the secret now: it is not shown again.</strong></p>
      <dl class="fields"><dt>Access key</dt><dd><code data-testid="access-key">${fresh.access_key}</code></dd>
        <dt>Secret key</dt><dd><code data-testid="secret-key">${fresh.secret_key}</code></dd></dl>
      <p>A section for <code>~/clearml.conf</code>:</p>
      <pre class="code" data-testid="conf-snippet">${confSnippet(config, fresh)}</pre>
      <button onClick=${() => navigator.clipboard && navigator.clipboard.writeText(confSnippet(config, fresh))}>Copy</button>
      <button onClick=${() => setFresh(null)}>Done</button></div>`}
    <button class="primary" onClick=${create} data-testid="create-credentials">Create new credentials</button>
    <${ErrorBox} error=${creds.error} />
    <table class="grid" data-testid="credentials"><thead><tr><th>Access key</th><th>Label</th><th>Last used</th><th></th></tr></thead>
      <tbody>${(creds.data || []).map((c) => html`<tr><td><code>${c.access_key}</code></td><td>${c.label}</td><td>${fmtTime(c.last_used)}</td>
        <td><button class="small link" onClick=${() => revoke(c.access_key)}>Revoke</button></td></tr>`)}</tbody></table>
    ${admin && html`<${Users} user=${user} />`}
  </section>`;
}

function Users({ user }) {
  const users = useLoad(async () => (await call("users.get_all_ex", { only_fields: ["id", "name", "created"] })).users, []);
  const system = ["root", "system"].includes(user.role);
  const create = async () => {
    const values = await ask({
      title: "New user",
      fields: [{ name: "name", label: "User name" }, { name: "password", label: "Password (8 characters or more)", type: "password" },
        { name: "role", label: "Role", value: "user", options: ["user", "admin"].map((r) => ({ value: r, label: r })) }],
      submit: "Create",
    });
    if (!values) return;
    try {
      await call("auth.create_user", { name: values.name.trim(), company: user.company.id, role: values.role, password: values.password });
      notify(`User ${values.name} created: they sign in with this name and password`);
      users.reload(true);
    } catch (ex) { notify(`Creating the user failed: ${ex.message}`, "error"); }
  };
  const setPassword = async (u) => {
    const values = await ask({ title: `Password of ${u.name}`, fields: [{ name: "password", label: "New password", type: "password" }], submit: "Set" });
    if (!values) return;
    try { await call("auth.edit_user", { user: u.id, password: values.password }); notify(`Password of ${u.name} set`); } catch (ex) { notify(`Setting the password failed: ${ex.message}`, "error"); }
  };
  return html`<div><h3>Users</h3>
    ${system && html`<button onClick=${create} data-testid="create-user">New user</button>`}
    <${ErrorBox} error=${users.error} />
    <table class="grid" data-testid="users"><thead><tr><th>Name</th><th>Id</th><th>Created</th><th></th></tr></thead>
      <tbody>${(users.data || []).map((u) => html`<tr><td>${u.name}</td><td><code class="small">${u.id}</code></td><td>${fmtTime(u.created)}</td>
        <td><button class="small link" onClick=${() => setPassword(u)}>Set password</button></td></tr>`)}</tbody></table></div>`;
}
