// Sign-in: a user name and password (fixed users, or users an admin gave a password), or
// an access key and secret. Both are sent once as Basic credentials to auth.login, which
// answers with the session cookie (HttpOnly, SameSite): the app never holds the token.
import { useState } from "../vendor/preact-hooks.mjs";
import { basic, call } from "./api.js";
import { html } from "./util.js";

export function Login({ onSignedIn }) {
  const [mode, setMode] = useState("password");
  const [name, setName] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (ev) => {
    ev.preventDefault();
    setBusy(true);
    setError("");
    try {
      await call("auth.login", {}, { headers: { Authorization: basic(name.trim(), secret) }, quiet401: true });
      setSecret("");
      onSignedIn();
    } catch (ex) {
      setError(ex.code === 401 ? `Sign-in failed: ${ex.message}` : ex.message);
    } finally {
      setBusy(false);
    }
  };
  const keys = mode === "keys";
  return html`
    <div class="login">
      <form class="card" onSubmit=${submit} data-testid="login-form">
        <h1>Stationmaster</h1>
        <div class="switch">
          <button type="button" class=${keys ? "" : "active"} onClick=${() => setMode("password")}>User name</button>
          <button type="button" class=${keys ? "active" : ""} data-testid="mode-keys" onClick=${() => setMode("keys")}>Access key</button>
        </div>
        <label>${keys ? "Access key" : "User name"}
          <input name="user" autocomplete="username" value=${name} onInput=${(e) => setName(e.target.value)} required /></label>
        <label>${keys ? "Secret key" : "Password"}
          <input name="secret" type="password" autocomplete="current-password" value=${secret} onInput=${(e) => setSecret(e.target.value)} required /></label>
        ${error && html`<div class="error" role="alert" data-testid="login-error">${error}</div>`}
        <button class="primary" type="submit" disabled=${busy}>Sign in</button>
      </form>
    </div>`;
}
