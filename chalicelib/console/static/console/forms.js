// Form plumbing of the console: reading typed values, and showing the API's validation details
// (error.details[].field, e.g. "total_stock" or "validity.days_after_claim") next to the fields.
import { h } from "./dom.js";
import { parseYuan } from "./format.js";
import { crossField, errorText, fieldText, t } from "./i18n.js";

// A labelled input inside a `.field` container named after the API field it feeds.
let fieldCount = 0; // ids stay unique when two forms have a field of the same name

export function field(name, label, control, hint) {
  control.id ||= `f-${name.replace(/\W/g, "-")}-${++fieldCount}`;
  control.name ||= name;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: control.id }, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

export function localDateTime(date) {
  const pad = (n) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// Reads a form's values into an API body. Each reader returns the value to send, or undefined
// to leave the field out (the API then says what is required), and records local problems.
export class Reader {
  constructor(form) {
    this.form = form;
    this.problems = [];
  }

  text(name) {
    return this.form.elements[name].value;
  }

  // An integer as typed; text that is not one is sent as it is, for the API to explain.
  integer(name) {
    const text = this.text(name).trim();
    if (text === "") return undefined;
    return /^-?\d+$/.test(text) ? Number(text) : text;
  }

  // Yuan typed by a person ("19.99") -> integer fen (1999).
  fen(name, apiField = name) {
    const text = this.text(name).trim();
    if (text === "") return undefined;
    const fen = parseYuan(text);
    if (fen === null) this.problems.push({ field: apiField, message: "@form.yuan" });
    return fen ?? undefined;
  }

  // A datetime-local input (the operator's time zone) -> UTC ISO 8601 with a Z.
  time(name) {
    const text = this.text(name);
    if (text === "") return undefined;
    return new Date(text).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  list(name) {
    return this.text(name).split(/[\s,]+/).filter(Boolean);
  }
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

// A local check's problems, shown as the API's would be: `problems` [{field, message: "@" + a catalogue key}].
export function showProblems(form, summary, problems) {
  showErrors(form, summary, { code: "CHECK_FIELDS", details: problems });
}

// Put each detail next to the visible field it names (or the nearest named parent: "scope.skus"
// falls back to "scope"), as a sentence in the page's language (i18n.js fieldText); whatever names
// no field ("body": a rule across fields) goes to the summary. `fieldOf` maps a code the API
// reports without details to the field it concerns (INSUFFICIENT_BALANCE -> "amount").
export function showErrors(form, summary, error, { overrides, fieldOf } = {}) {
  clearErrors(form);
  const general = [];
  const details = error.details ?? [];
  const own = fieldOf?.[error.code];
  if (own && !details.length) details.push({ field: own, message: `@${overrides?.[error.code] ?? `error.${error.code}`}` });
  for (const detail of details) {
    const rule = crossField(detail.message); // a rule across fields: shown beside the field it names
    const name = rule ? rule.field : detail.field;
    const text = rule ? t(rule.key) : fieldText(String(name).split(".").slice(-1)[0], detail.message);
    const container = fieldFor(form, String(name));
    if (!container) {
      general.push(text);
      continue;
    }
    const control = container.querySelector("input, select, textarea");
    const note = h("small", { class: "field-error", id: `${control.id}-error` }, text);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", note.id);
    container.append(note);
  }
  const headline = error.code === "CHECK_FIELDS" || error.code === "VALIDATION_ERROR" ? t("form.check")
    : errorText(error, overrides);
  summary.textContent = [headline, ...general].join(" ");
  summary.className = "notice error";
}

function fieldFor(form, name) {
  const parts = name.split(".");
  for (let n = parts.length; n > 0; n -= 1) {
    const wanted = parts.slice(0, n).join(".");
    const found = [...form.querySelectorAll("[data-field]")].find(
      (el) => el.dataset.field === wanted && !el.closest("[hidden]"));
    if (found) return found;
  }
  return null;
}
