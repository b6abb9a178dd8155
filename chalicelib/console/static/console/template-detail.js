// A template's details: its claim window, validity, scope, limits, prices, counters and its code
// batches, with Edit and Delete for a draft that has issued nothing and Duplicate for any.
// The batches are those of the template's first codes (GET /admin/templates/{id}/codes, one
// page): enough to name them; the Codes section downloads them all.
import { badge, dataTable, figure, h, say, sayError } from "./dom.js";
import { formatCount, formatFen, formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";
import { describeOffer, describeScope, describeValidity } from "./offers.js";

const CODES_PAGE = 100;

export function templateDetail(api, { edit, remove, duplicate }) {
  const body = h("div", { class: "detail-body" });
  const status = h("p", { class: "notice", role: "status" });
  const element = h("div", { class: "card", id: "template-detail", hidden: true, "aria-live": "polite" }, body, status);
  let shown = null; // the id shown

  async function open(id) {
    shown = id;
    element.hidden = false;
    say(status, t("common.loading"));
    try {
      const [template, codes] = await Promise.all([
        api.get(`admin/templates/${id}`),
        api.get(`admin/templates/${id}/codes`, { limit: CODES_PAGE }),
      ]);
      if (shown !== id) return;
      body.replaceChildren(...render(template, codes).flat().filter(Boolean));
      say(status, "");
      element.scrollIntoView({ block: "nearest" });
    } catch (error) {
      sayError(status, error);
    }
  }

  function render(x, codes) {
    const editable = x.status === "draft" && !x.claimed;
    const row = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
    return [
      h("div", { class: "toolbar" },
        h("h2", {}, x.name, " ", badge(x.status)),
        h("div", { class: "actions" },
          editable ? h("button", { type: "button", onclick: () => edit(x) }, t("templates.edit")) : null,
          editable ? h("button", { type: "button", class: "danger", onclick: () => remove(x) }, t("templates.delete")) : null,
          h("button", { type: "button", onclick: () => duplicate(x) }, t("templates.duplicate")),
          h("button", { type: "button", onclick: close }, t("templates.closeDetail")))),
      h("div", { class: "figures" },
        figure(t("col.claimed"), formatCount(x.claimed)),
        figure(t("col.redeemed"), formatCount(x.redeemed)),
        figure(t("col.remaining"), t("common.of", { part: formatCount(x.remaining), whole: formatCount(x.total_stock) }))),
      h("dl", { class: "facts" },
        row(t("col.offer"), describeOffer(x)),
        row(t("templates.channel"), tOr("channel", `${x.claim_channel}.long`)),
        row(t("templates.claimWindow"), t("templates.fromUntil", { from: formatTime(x.claim_starts_at), until: formatTime(x.claim_ends_at) })),
        row(t("templates.validity"), describeValidity(x.validity)),
        row(t("templates.scope"), describeScope(x.scope)),
        row(t("templates.limits"), t("templates.limitsText", { stock: formatCount(x.total_stock), perUser: formatCount(x.per_user_limit), shards: formatCount(x.stock_shards ?? 1) })),
        row(t("templates.priceShort"), x.price ? formatFen(x.price) : t("templates.notForSale")),
        row(t("templates.pointsPriceShort"), x.points_price ? t("common.points", { n: formatCount(x.points_price) }) : t("templates.notForPoints")),
        row(t("templates.createdAt"), formatTime(x.created_at)),
        row(t("templates.id"), x.id)),
      h("h3", {}, t("templates.batches")),
      batches(codes),
    ];
  }

  function batches(codes) {
    const byBatch = new Map();
    for (const code of codes.items) {
      const seen = byBatch.get(code.batch_id) ?? { id: code.batch_id, codes: 0, claimed: 0, created_at: code.created_at };
      seen.codes += 1;
      if (code.status === "claimed") seen.claimed += 1;
      byBatch.set(code.batch_id, seen);
    }
    return [
      dataTable([
        { label: t("templates.batch"), cell: (b) => b.id },
        { label: t("templates.batchCreated"), cell: (b) => formatTime(b.created_at) },
        { label: t("templates.batchCodes"), num: true, cell: (b) => formatCount(b.codes) },
        { label: t("col.claimed"), num: true, cell: (b) => formatCount(b.claimed) },
      ], [...byBatch.values()], t("templates.noBatches")),
      codes.next_cursor ? h("p", { class: "sub" }, t("templates.batchesFirst", { n: CODES_PAGE })) : null,
    ];
  }

  function close() {
    shown = null;
    element.hidden = true;
  }

  return { element, open, close, refresh: (id) => (shown === id ? open(id) : undefined) };
}
