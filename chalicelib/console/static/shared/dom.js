// Small helpers to build DOM and SVG elements without any framework.
import { errorText, t, tOr } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, props, children) {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

// h("button", {class: "primary", onclick: fn}, "Save")
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

export function svg(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

// A status line: role="status" so screen readers announce it; kind is "ok", "error" or "".
export function say(el, text, kind = "") {
  el.textContent = text;
  el.className = `notice ${kind}`.trim();
}

// An API error as a sentence in the page's language (see i18n.js errorText).
export function sayError(el, error, overrides) {
  say(el, errorText(error, overrides), "error");
}

// A table whose cells carry their column's label, so that on a phone each row reads as a card.
// columns: [{label, num?, cell: (row) => text or node}]
export function dataTable(columns, rows, emptyText) {
  if (!rows.length) return h("p", { class: "empty" }, emptyText);
  return h("table", { class: "stack" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col" }, c.label)))),
    h("tbody", {}, rows.map((row) => h("tr", {},
      columns.map((c) => h("td", { class: c.num ? "num" : null, "data-label": c.label },
        h("div", { class: "cell" }, c.cell(row))))))));
}

export function badge(status) {
  return h("span", { class: `badge ${status}` }, tOr("status", status));
}

// A labelled figure (a count, an amount) in a grid of `.figures`.
export function figure(label, value) {
  return h("div", { class: "figure" }, h("span", { class: "sub" }, label), h("strong", {}, value));
}

// A modal form or detail in a native <dialog>: a title, a close button (Esc closes it too), the
// body; focus on the first field. The dialog is removed from the page when it closes, and
// `onClose` runs; the body (a form kept by its view) can be shown again in a new one.
// Returns { dialog, close, setTitle }. On a phone width the dialog is full-screen (base.css).
export function openDialog({ id, title, body, onClose }) {
  const heading = h("h2", { id: `${id}-title` }, title);
  const dialog = h("dialog", { id, class: "modal", "aria-labelledby": heading.id },
    h("div", { class: "modal-head" }, heading,
      h("button", { type: "button", class: "modal-close", "aria-label": t("dialog.close"), title: t("dialog.close"),
        onclick: () => dialog.close() }, "\u00d7")),
    h("div", { class: "modal-body" }, body));
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = [...dialog.querySelectorAll(".modal-body :is(input:not([type=hidden]), select, textarea, button):not([disabled])")]
    .find((el) => !el.closest("[hidden]"));
  (first ?? dialog.querySelector(".modal-close")).focus();
  const close = () => {
    dialog.close();
    dialog.remove(); // at once: a dialog opened next may take the same id
  };
  return { dialog, close, setTitle: (text) => { heading.textContent = text; } };
}
