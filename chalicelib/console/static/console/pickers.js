// A select of every template, for the views that act on one (codes, grants, voucher rewards).
import { h } from "./dom.js";
import { tOr } from "./i18n.js";

export function templatePicker(api, name = "template") {
  const select = h("select", { name });

  async function refresh() {
    const chosen = select.value;
    const templates = await api.all("admin/templates");
    select.replaceChildren(...templates.map((t) =>
      h("option", { value: t.id }, `${t.name} · ${tOr("status", t.status)} · ${tOr("channel", t.claim_channel)}`)));
    if (templates.some((t) => t.id === chosen)) select.value = chosen;
    return templates;
  }

  return { select, refresh };
}
