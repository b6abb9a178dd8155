// Grants (定向发放): issue a template's coupon to listed users and show what happened to each.
// The list is typed or pasted, or read from an uploaded CSV (its first column; csv.js), and the
// result table downloads as CSV (with the file's other columns, a name say, carried over).
// Granting a list is one Intent: chunk n goes under the key `<key>.<n>`, so a second click grants
// nothing more and a retry after a lost answer replays what was granted and carries on.
import { Intent } from "./api.js";
import { decodeCsv, parseCsv, spreadsheetSafe, toCsv, userIdsOf } from "./csv.js";
import { badge, dataTable, h, say, sayError } from "./dom.js";
import { clearErrors, field, showErrors, showProblems } from "./forms.js";
import { formatCount } from "./format.js";
import { t, tOr } from "./i18n.js";
import { templatePicker } from "./pickers.js";

const PER_REQUEST = 1000;
// The API reports a refused user by error code; grants.refusal.<code> says it in words.
// A user id as the API takes it (chalicelib/auth.py USER_ID): checked here, so a list is corrected in one round.
const USER_ID = /^[A-Za-z0-9_.@:\-]{1,128}$/;

// What happened to one user, in words: 已发放, or 未发放：库存已用完.
function resultText(outcome) {
  return outcome.status === "granted" ? tOr("status", "granted")
    : `${tOr("status", "refused")}${t("common.colon")}${tOr("grants.refusal", outcome.status)}`;
}

export function grantsView(api) {
  const picker = templatePicker(api);
  const users = h("textarea", { rows: 5, spellcheck: "false", placeholder: t("grants.usersPlaceholder") });
  // The browser's own file button speaks the browser's language: hidden, and a label of ours opens it.
  const file = h("input", { type: "file", id: "grant-file", class: "file-input", accept: ".csv,.txt,text/csv,text/plain" });
  const fileField = field("file", t("grants.file"), file, t("grants.fileHint"));
  file.after(h("label", { for: file.id, class: "file-button" }, t("grants.chooseFile")));
  const fileNote = h("p", { class: "hint", id: "grant-file-note", "aria-live": "polite" });
  const form = h("form", { id: "grant-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("template", t("col.template"), picker.select),
      field("user_ids", t("grants.users"), users),
      fileField),
    fileNote,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("grants.grant"))));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const status = h("p", { class: "notice", role: "status" });
  const dropBad = h("button", { type: "button", id: "grant-drop-bad", hidden: true });
  const download = h("button", { type: "button", id: "grant-download" }, t("grants.download"));
  const resultBar = h("div", { class: "toolbar", hidden: true }, h("h3", {}, t("grants.results")), download);
  const results = h("div", { id: "grant-results" });
  const granting = new Intent();
  let fromFile = { extra: new Map(), titles: [] }; // the last file's other columns, by user id
  let last = { templateId: null, outcomes: [] }; // the last grant's results, for the download

  function listed() {
    // One per line, or separated by commas (，), semicolons or tabs; a user listed twice is granted once.
    // Not by spaces: an id with a space in it (from a file) is one bad id, not two good ones.
    return [...new Set(users.value.split(/[\r\n,;\t\uff0c\uff1b]+/).map((id) => id.trim()).filter(Boolean))];
  }

  async function readFile() {
    const chosen = file.files[0];
    if (!chosen) return;
    try {
      const read = userIdsOf(parseCsv(decodeCsv(await chosen.arrayBuffer())));
      fromFile = read;
      users.value = read.ids.join("\n");
      const { header, blank, duplicate } = read.skipped;
      fileNote.textContent = t("grants.fileRead", { file: chosen.name, ids: formatCount(read.ids.length),
        skipped: formatCount(header + blank + duplicate), header, blank, duplicate });
    } catch {
      fileNote.textContent = t("grants.fileUnreadable", { file: chosen.name });
    } finally {
      file.value = ""; // the same file chosen again is read again
    }
  }

  async function grant() {
    clearErrors(form);
    dropBad.hidden = true;
    const ids = listed();
    if (!ids.length) {
      showProblems(form, status, [{ field: "user_ids", message: "@grants.noUsers" }]);
      return;
    }
    const bad = ids.filter((id) => !USER_ID.test(id));
    if (bad.length) {
      showProblems(form, status, [{ field: "user_ids", message: "@field.user_ids.pattern" }]);
      status.textContent += ` ${t("grants.badIds", { ids: bad.slice(0, 5).join(t("list.sep")) })}`;
      dropBad.textContent = t("grants.dropBad", { n: formatCount(bad.length) });
      dropBad.hidden = false;
      return;
    }
    const templateId = picker.select.value;
    const submit = form.querySelector("button[type=submit]");
    if (granting.inFlight) return;
    progress.hidden = ids.length <= PER_REQUEST;
    progress.max = ids.length;
    progress.value = 0;
    const outcomes = [];
    try {
      await granting.run([templateId, ids], async (key) => {
        for (let start = 0; start < ids.length; start += PER_REQUEST) {
          const report = await api.postWithKey(`admin/templates/${templateId}/grant`,
            { user_ids: ids.slice(start, start + PER_REQUEST) }, `${key}.${start / PER_REQUEST}`);
          outcomes.push(...report.results);
          progress.value = outcomes.length;
        }
      }, submit);
      const granted = outcomes.filter((r) => r.status === "granted").length;
      say(status, t("grants.done", { granted: formatCount(granted), total: formatCount(ids.length) }), granted ? "ok" : "error");
    } catch (error) {
      showErrors(form, status, error);
    } finally {
      last = { templateId, outcomes };
      resultBar.hidden = !outcomes.length;
      results.replaceChildren(dataTable([
        { label: t("col.user"), cell: (r) => r.user_id },
        { label: t("col.result"), cell: (r) => (r.status === "granted" ? badge("granted")
          : [badge("refused"), " ", tOr("grants.refusal", r.status)]) },
        { label: t("col.coupon"), cell: (r) => r.coupon_id ?? "" },
      ], outcomes, ""));
    }
  }

  // The result table as a CSV file: user, result in words, coupon id, then the file's other columns.
  function downloadResults() {
    const width = Math.max(0, ...last.outcomes.map((r) => fromFile.extra.get(r.user_id)?.length ?? 0));
    const titles = Array.from({ length: width }, (_, n) => fromFile.titles[n] || t("grants.column", { n: n + 2 }));
    const rows = [[t("col.user"), t("col.result"), t("col.coupon"), ...titles],
      ...last.outcomes.map((r) => [r.user_id, resultText(r), r.coupon_id ?? "", ...(fromFile.extra.get(r.user_id) ?? [])])];
    const safe = rows.map((row) => row.map(spreadsheetSafe));
    const url = URL.createObjectURL(new Blob([toCsv(safe)], { type: "text/csv;charset=utf-8" }));
    const stamp = new Date().toISOString().slice(0, 16).replace(/\D/g, "");
    const link = h("a", { href: url, download: `grants-${last.templateId}-${stamp}.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    grant();
  });
  file.addEventListener("change", () => readFile());
  dropBad.addEventListener("click", () => {
    users.value = listed().filter((id) => USER_ID.test(id)).join("\n");
    dropBad.hidden = true;
    clearErrors(form);
    say(status, "");
  });
  download.addEventListener("click", downloadResults);

  const element = h("section", { id: "view-grants" },
    h("div", { class: "card" }, h("h2", {}, t("grants.heading")), form, progress, status,
      dropBad, resultBar, results));

  async function show() {
    try {
      await picker.refresh();
    } catch (error) {
      sayError(status, error);
    }
  }

  return { id: "grants", title: t("grants.title"), element, show };
}
