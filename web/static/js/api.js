// Calls to the JSON API on this origin (/api/<service.action>), always POST with a JSON
// body: the web server refuses cookie-authenticated calls that are not (CSRF check).

export class ApiError extends Error {
  constructor(message, code, subcode, endpoint) {
    super(message);
    this.code = code;
    this.subcode = subcode;
    this.endpoint = endpoint;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function call(action, body = {}, { headers = {}, quiet401 = false } = {}) {
  let response;
  try {
    response = await fetch(`/api/${action}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  } catch (ex) {
    throw new ApiError(`network error calling ${action}: ${ex.message}`, 0, 0, action);
  }
  let envelope = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) envelope = await response.json();
  const meta = (envelope && envelope.meta) || {};
  if (!response.ok || (meta.result_code && meta.result_code !== 200)) {
    const code = meta.result_code || response.status;
    const message = meta.result_msg || `${response.status} ${response.statusText}`;
    if (code === 401 && !quiet401) onUnauthorized();
    throw new ApiError(message, code, meta.result_subcode || 0, action);
  }
  return envelope ? envelope.data : await response.text();
}

// A raw (non-JSON) answer, e.g. events.download_task_log: returns a Blob.
export async function callBlob(action, body = {}) {
  const response = await fetch(`/api/${action}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).meta.result_msg || message; } catch (_) { /* not JSON */ }
    throw new ApiError(message, response.status, 0, action);
  }
  return response.blob();
}

export function basic(user, secret) {
  const bytes = new TextEncoder().encode(`${user}:${secret}`);
  let text = "";
  bytes.forEach((b) => { text += String.fromCharCode(b); });
  return `Basic ${btoa(text)}`;
}

// Each of ids through one action (API 2.9 has no bulk actions): the errors, by id.
export async function each(ids, action, bodyOf) {
  const failures = [];
  for (const id of ids) {
    try {
      await call(action, bodyOf(id));
    } catch (ex) {
      failures.push(`${id}: ${ex.message}`);
    }
  }
  return failures;
}
