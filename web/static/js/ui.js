// Dialogs and notices.
import { render } from "../vendor/preact.mjs";
import { useEffect, useRef, useState } from "../vendor/preact-hooks.mjs";
import { html } from "./util.js";

// --- notices (the server's error message of a failed action) -------------------------
let pushNotice = () => {};
export function notify(text, kind = "info") { pushNotice({ text, kind, id: Math.random() }); }
export function Notices() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    pushNotice = (n) => {
      setItems((all) => [...all, n]);
      setTimeout(() => setItems((all) => all.filter((x) => x !== n)), n.kind === "error" ? 12000 : 4000);
    };
  }, []);
  return html`<div class="notices">${items.map((n) => html`
    <div class=${`notice notice-${n.kind}`} role=${n.kind === "error" ? "alert" : "status"}
         onClick=${() => setItems((all) => all.filter((x) => x !== n))}>${n.text}</div>`)}</div>`;
}

// --- a modal form ----------------------------------------------------------------------
// ask({title, fields: [{name, label, value, type, options}], submit}) → the values or null.
export function ask({ title, fields = [], submit = "OK", message = "" }) {
  return new Promise((resolve) => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const close = (value) => { render(null, host); host.remove(); resolve(value); };
    render(html`<${Dialog} title=${title} fields=${fields} submit=${submit} message=${message} close=${close} />`, host);
  });
}
export async function confirmAction(title, message, submit = "OK") {
  return (await ask({ title, message, submit })) !== null;
}

function Dialog({ title, fields, submit, message, close }) {
  const [values, setValues] = useState(Object.fromEntries(fields.map((f) => [f.name, f.value ?? ""])));
  const first = useRef(null);
  useEffect(() => {
    (first.current || document.querySelector(".dialog button.primary"))?.focus();
    const onKey = (ev) => { if (ev.key === "Escape") close(null); };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const set = (name) => (ev) => setValues({ ...values, [name]: ev.target.value });
  const onSubmit = (ev) => { ev.preventDefault(); close(values); };
  return html`
    <div class="backdrop" onClick=${(ev) => { if (ev.target === ev.currentTarget) close(null); }}>
      <form class="dialog" role="dialog" aria-label=${title} onSubmit=${onSubmit}>
        <h3>${title}</h3>
        ${message && html`<p>${message}</p>`}
        ${fields.map((f, i) => html`
          <label>${f.label}
            ${f.options
              ? html`<select name=${f.name} value=${values[f.name]} onChange=${set(f.name)} ref=${i === 0 ? first : null}>
                  ${f.options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select>`
              : f.type === "textarea"
                ? html`<textarea name=${f.name} rows="8" value=${values[f.name]} onInput=${set(f.name)} ref=${i === 0 ? first : null}></textarea>`
                : html`<input name=${f.name} type=${f.type || "text"} value=${values[f.name]} onInput=${set(f.name)} ref=${i === 0 ? first : null} />`}
          </label>`)}
        <div class="buttons">
          <button type="button" onClick=${() => close(null)}>Cancel</button>
          <button type="submit" class="primary">${submit}</button>
        </div>
      </form>
    </div>`;
}

export function Tabs({ tabs, current, onSelect }) {
  return html`<nav class="tabs" role="tablist">${tabs.map(([key, label]) => html`
    <button role="tab" aria-selected=${key === current} class=${key === current ? "tab active" : "tab"}
            data-tab=${key} onClick=${() => onSelect(key)}>${label}</button>`)}</nav>`;
}
