// Codes: mint N codes in batches (one request each, a progress bar between them) and download a
// template's codes as CSV (the API pages it; X-Next-Cursor names the next page).
// Minting N codes is one Intent: batch n goes under the key `<key>.<n>`, so a second click adds
// nothing and a retry after a lost answer replays the batches already minted and carries on.
import { Intent } from "./api.js";
import { h, say, sayError } from "./dom.js";
import { Reader, clearErrors, field, showErrors, showProblems } from "./forms.js";
import { formatCount } from "./format.js";
import { t } from "./i18n.js";
import { templatePicker } from "./pickers.js";

// One request per 99 codes: the API writes 99 codes per DynamoDB transaction, so each request is one
// transaction, quick enough for API Gateway's time limit and for a progress bar that moves.
const BATCH = 99;
const MAX_CODES = 100000;
const PREFIX = /^[A-Z0-9]{0,16}$/; // the API's pattern of a prefix, after upper-casing

export function codesView(api) {
  const picker = templatePicker(api);
  const form = h("form", { id: "codes-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("template", t("col.template"), picker.select),
      field("count", t("codes.count", { max: formatCount(MAX_CODES) }),
        h("input", { type: "text", inputmode: "numeric", value: "1000" })),
      field("prefix", t("codes.prefix"), h("input", { type: "text", maxlength: 16, placeholder: t("codes.prefixPlaceholder") }))),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("codes.mint")),
      h("button", { type: "button", id: "download-csv", onclick: () => download() }, t("codes.download"))));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const status = h("p", { class: "notice", role: "status" });
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
      showProblems(form, status, problems);
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
          say(status, t("codes.progress", { minted: formatCount(minted), total: formatCount(total) }));
        }
      }, submit);
      say(status, t("codes.minted", { minted: formatCount(minted) }), "ok");
    } catch (error) {
      showErrors(form, status, error);
      status.textContent += t("codes.mintedBefore", { minted: formatCount(minted), total: formatCount(total) });
    }
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

  const element = h("section", { id: "view-codes" },
    h("div", { class: "card" }, h("h2", {}, t("codes.heading")),
      h("p", { class: "hint" }, t("codes.hint", { batch: BATCH })),
      form, progress, status));

  async function show() {
    try {
      await picker.refresh();
    } catch (error) {
      sayError(status, error);
    }
  }

  return { id: "codes", title: t("codes.title"), element, show };
}
