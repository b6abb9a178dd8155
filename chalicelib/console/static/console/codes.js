// Codes: a toolbar to choose a template, mint codes for it (a dialog: N codes in batches, one
// request each, a progress bar between them) and download its codes as CSV (the API pages it;
// X-Next-Cursor names the next page); below, the template's first codes.
// Minting N codes is one Intent: batch n goes under the key `<key>.<n>`, so a second click adds
// nothing and a retry after a lost answer replays the batches already minted and carries on.
import { Intent } from "./api.js";
import { dataTable, h, openDialog, say, sayError } from "./dom.js";
import { Reader, clearErrors, field, showErrors, showProblems } from "./forms.js";
import { formatCount, formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";
import { templatePicker } from "./pickers.js";

// One request per 99 codes: the API writes 99 codes per DynamoDB transaction, so each request is one
// transaction, quick enough for API Gateway's time limit and for a progress bar that moves.
const BATCH = 99;
const MAX_CODES = 100000;
const PREFIX = /^[A-Z0-9]{0,16}$/; // the API's pattern of a prefix, after upper-casing
const LISTED = 50; // codes listed below the toolbar

export function codesView(api) {
  const picker = templatePicker(api);
  const form = h("form", { id: "codes-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("count", t("codes.count", { max: formatCount(MAX_CODES) }),
        h("input", { type: "text", inputmode: "numeric", value: "1000" })),
      field("prefix", t("codes.prefix"), h("input", { type: "text", maxlength: 16, placeholder: t("codes.prefixPlaceholder") }))),
    h("p", { class: "hint" }, t("codes.hint", { batch: BATCH })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("codes.mint"))));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const formStatus = h("p", { class: "notice", role: "status" });
  const status = h("p", { class: "notice", role: "status" });
  const list = h("div", { id: "code-list" });
  let dialog = null; // the mint form's dialog while it is open
  const minting = new Intent();

  async function mint() {
    clearErrors(form);
    const read = new Reader(form);
    const total = read.integer("count");
    const prefix = read.text("prefix").trim().toUpperCase() || undefined;
    const problems = [];
    if (!Number.isInteger(total) || total < 1 || total > MAX_CODES) problems.push({ field: "count", message: "@codes.countRange" });
    if (prefix && !PREFIX.test(prefix)) problems.push({ field: "prefix", message: "@field.prefix.pattern" });
    if (problems.length) {
      showProblems(form, formStatus, problems);
      return;
    }
    const templateId = picker.select.value;
    const submit = form.querySelector("button[type=submit]");
    if (minting.inFlight) return;
    progress.hidden = false;
    progress.max = total;
    progress.value = 0;
    let minted = 0;
    try {
      await minting.run([templateId, total, prefix ?? null], async (key) => {
        for (let n = 0; minted < total; n += 1) {
          const batch = await api.postWithKey(`admin/templates/${templateId}/codes`,
            { count: Math.min(BATCH, total - minted), prefix }, `${key}.${n}`);
          minted += batch.minted;
          progress.value = minted;
          say(formStatus, t("codes.progress", { minted: formatCount(minted), total: formatCount(total) }));
        }
      }, submit);
      say(status, t("codes.minted", { minted: formatCount(minted) }), "ok");
      dialog?.close();
      await listCodes();
    } catch (error) {
      showErrors(form, formStatus, error);
      formStatus.textContent += t("codes.mintedBefore", { minted: formatCount(minted), total: formatCount(total) });
    }
  }

  async function openForm() {
    if (!picker.select.options.length) await picker.refresh().catch(() => null); // the list still loading
    const chosen = picker.select.selectedOptions[0];
    if (!chosen) return say(status, t("codes.noTemplate"), "error");
    say(status, "");
    dialog?.close();
    clearErrors(form);
    say(formStatus, "");
    progress.hidden = true;
    dialog = openDialog({ id: "codes-dialog", title: t("codes.mintFor", { name: chosen.textContent }),
      body: [form, progress, formStatus] });
  }

  async function listCodes() {
    const templateId = picker.select.value;
    if (!templateId) return list.replaceChildren();
    const page = await api.get(`admin/templates/${templateId}/codes`, { limit: LISTED });
    if (templateId !== picker.select.value) return; // another template chosen meanwhile
    list.replaceChildren(dataTable([
      { label: t("codes.code"), cell: (c) => h("code", {}, c.code) },
      { label: t("col.status"), cell: (c) => tOr("codes.status", c.status) },
      { label: t("templates.batch"), cell: (c) => c.batch_id },
      { label: t("templates.batchCreated"), cell: (c) => formatTime(c.created_at) },
      { label: t("codes.claimedBy"), cell: (c) => (c.claimed_by ? t("common.atBy", { time: formatTime(c.claimed_at), who: c.claimed_by }) : "") },
    ], page.items, t("templates.noBatches")),
    ...(page.next_cursor ? [h("p", { class: "sub" }, t("codes.first", { n: LISTED }))] : []));
  }

  async function download() {
    const templateId = picker.select.value;
    say(status, t("codes.preparing"));
    try {
      const pages = [];
      let cursor = null;
      do {
        const response = await api.send("GET", `admin/templates/${templateId}/codes.csv`, { query: { cursor } });
        const text = await response.text();
        pages.push(pages.length ? text.slice(text.indexOf("\n") + 1) : text); // one header row in all
        cursor = response.headers.get("X-Next-Cursor");
      } while (cursor);
      const csv = pages.join("");
      const rows = csv.split("\n").filter((line) => line.trim()).length - 1;
      const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const link = h("a", { href: url, download: `codes-${templateId}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      say(status, t("codes.downloaded", { rows: formatCount(rows) }), "ok");
    } catch (error) {
      sayError(status, error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    mint();
  });

  picker.select.addEventListener("change", () => listCodes().catch((error) => sayError(status, error)));
  const element = h("section", { id: "view-codes" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("codes.heading")),
        h("div", { class: "actions" },
          h("label", { class: "inline" }, t("col.template"), picker.select),
          h("button", { type: "button", onclick: () => show() }, t("common.refresh")),
          h("button", { type: "button", id: "download-csv", onclick: () => download() }, t("codes.download")),
          h("button", { type: "button", class: "primary", id: "new-codes", onclick: openForm }, t("codes.new")))),
      status, list));

  async function show() {
    try {
      await picker.refresh();
      await listCodes();
    } catch (error) {
      sayError(status, error);
    }
  }

  return { id: "codes", title: t("codes.title"), element, show };
}
