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

// A date and time in the operator's zone as Chinese admin pages write it, "2026-06-18 20:00",
// whatever the browser's language: a datetime-local input showed 12/03/2026, 08:03 PM in a Chinese
// page of an English browser. Typed in a text input (dateTimeInput) and read by Reader.time.
export function localDateTime(date) {
  const pad = (n) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function dateTimeInput(props = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 16,
    placeholder: t("form.datetimePlaceholder"), ...props });
}

// "2026-06-18 20:00" (or 2026/6/18, a T for the space, no time: midnight) -> a Date; else null.
const DATE_TIME = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?$/;

export function parseLocalDateTime(text) {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(year, month - 1, day, hour, minute);
  const exact = date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day
    && hour < 24 && minute < 60;
  return exact ? date : null;
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

  // A date and time typed in the operator's time zone (localDateTime) -> UTC ISO 8601 with a Z.
  time(name, apiField = name) {
    const text = this.text(name).trim();
    if (text === "") return undefined;
    const date = parseLocalDateTime(text);
    if (!date) this.problems.push({ field: apiField, message: "@form.datetime" });
    return date ? date.toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
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
