// Codes: mint N codes in batches (one request each, a progress bar between them) and download a
// template's codes as CSV (the API pages it; X-Next-Cursor names the next page).
// Minting N codes is one Intent: batch n goes under the key `<key>.<n>`, so a second click adds
// nothing and a retry after a lost answer replays the batches already minted and carries on.
import { Intent } from "./api.js";
import { h, say } from "./dom.js";
import { Reader, clearErrors, field, showErrors } from "./forms.js";
import { formatCount } from "./format.js";
import { templatePicker } from "./pickers.js";

// One request per 99 codes: the API writes 99 codes per DynamoDB transaction, so each request is one
// transaction, quick enough for API Gateway's time limit and for a progress bar that moves.
const BATCH = 99;
const MAX_CODES = 100000;

export function codesView(api) {
  const picker = templatePicker(api);
  const form = h("form", { id: "codes-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("template", "Template", picker.select),
      field("count", `How many codes (up to ${formatCount(MAX_CODES)})`,
        h("input", { type: "text", inputmode: "numeric", value: "1000" })),
      field("prefix", "Prefix (optional: A-Z, 0-9)", h("input", { type: "text", maxlength: 16, placeholder: "SPRING" }))),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Mint codes"),
      h("button", { type: "button", id: "download-csv", onclick: () => download() }, "Download CSV")));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const status = h("p", { class: "notice", role: "status" });
  const minting = new Intent();

  async function mint() {
    clearErrors(form);
    const read = new Reader(form);
    const total = read.integer("count");
    if (!Number.isInteger(total) || total < 1 || total > MAX_CODES) {
      showErrors(form, status, { message: "Check the highlighted fields.",
        details: [{ field: "count", message: `Enter a whole number from 1 to ${formatCount(MAX_CODES)}.` }] });
      return;
    }
    const templateId = picker.select.value;
    const prefix = read.text("prefix").trim().toUpperCase() || undefined;
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
          say(status, `${formatCount(minted)} of ${formatCount(total)} codes minted…`);
        }
      }, submit);
      say(status, `Minted ${formatCount(minted)} codes. Download them as CSV.`, "ok");
    } catch (error) {
      showErrors(form, status, error);
      status.textContent += ` ${formatCount(minted)} of ${formatCount(total)} codes were minted before this.`;
    }
  }

  async function download() {
    const templateId = picker.select.value;
    say(status, "Preparing the CSV…");
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
      say(status, `Downloaded ${formatCount(rows)} codes.`, "ok");
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    mint();
  });

  const element = h("section", { id: "view-codes" },
    h("div", { class: "card" }, h("h2", {}, "Redeemable codes"),
      h("p", { class: "hint" }, `Codes are minted ${BATCH} per request. Each code can be claimed once.`),
      form, progress, status));

  async function show() {
    try {
      await picker.refresh();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  return { id: "codes", title: "Codes", element, show };
}
