// Programme settings (GET/PUT /admin/settings): paying with points and balance, the return cap,
// withdrawal limits and points expiry. Every admin role reads them; only an operator changes
// them (API.md "Compliance and operations"), so for other roles the form is read-only. Money is
// typed in yuan and sent in fen; the return cap is typed and shown as a percentage and sent in
// basis points. A save sends only the fields that changed (a partial PUT, audited).
import { h, say, sayError } from "./dom.js";
import { Reader, clearErrors, field, showErrors, showProblems } from "./forms.js";
import { formatBp, formatFen, formatTime, parsePercentBp } from "./format.js";
import { t } from "./i18n.js";

const FIELDS = ["points_per_yuan", "points_max_percent", "points_with_coupon", "balance_max_percent", "max_return_bp",
  "withdrawal_min", "withdrawal_daily_max", "points_valid_days"];
const BP = 10000;

export function settingsView(api) {
  const input = (props) => h("input", { type: "text", ...props });
  const form = h("form", { id: "settings-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("points_per_yuan", t("settings.pointsPerYuan"), input({ inputmode: "numeric" }), t("settings.pointsPerYuanHint")),
      field("points_max_percent", t("settings.pointsMaxPercent"), input({ inputmode: "numeric" }), t("settings.percentOfOrder")),
      field("points_with_coupon", t("settings.pointsWithCoupon"), h("input", { type: "checkbox" })),
      field("balance_max_percent", t("settings.balanceMaxPercent"), input({ inputmode: "numeric" }), t("settings.percentOfOrder")),
      field("max_return_bp", t("settings.maxReturn"), input({ inputmode: "decimal" }), t("settings.maxReturnHint")),
      field("withdrawal_min", t("settings.withdrawalMin"), input({ inputmode: "decimal" }), t("settings.zeroNone")),
      field("withdrawal_daily_max", t("settings.withdrawalDailyMax"), input({ inputmode: "decimal" }), t("settings.zeroNoLimit")),
      field("points_valid_days", t("settings.pointsValidDays"), input({ inputmode: "numeric" }), t("settings.zeroNever"))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("settings.save"))));
  const version = h("p", { class: "sub", id: "settings-version" });
  const status = h("p", { class: "notice", role: "status" });
  let current = null; // the settings as last read
  let editable = false;

  function fill(settings) {
    current = settings;
    const el = form.elements;
    for (const name of ["points_per_yuan", "points_max_percent", "balance_max_percent", "points_valid_days"]) {
      el[name].value = String(settings[name]);
    }
    el.points_with_coupon.checked = settings.points_with_coupon;
    el.max_return_bp.value = formatBp(settings.max_return_bp);
    el.withdrawal_min.value = yuan(settings.withdrawal_min);
    el.withdrawal_daily_max.value = yuan(settings.withdrawal_daily_max);
    version.textContent = settings.updated_at
      ? t("settings.version", { version: settings.version, time: formatTime(settings.updated_at), who: settings.updated_by ?? "" })
      : t("settings.defaults");
  }

  function lock() {
    for (const control of form.elements) control.disabled = !editable;
    form.querySelector("button[type=submit]").hidden = !editable;
  }

  async function load() {
    try {
      fill(await api.get("admin/settings"));
      lock();
      if (!editable) say(status, t("settings.readOnly"));
    } catch (error) {
      sayError(status, error);
    }
  }

  function read() {
    const reader = new Reader(form);
    const percent = reader.text("max_return_bp").trim();
    const bp = parsePercentBp(percent);
    if (bp === null || bp > BP) reader.problems.push({ field: "max_return_bp", message: "@settings.maxReturnRange" });
    const body = {
      points_per_yuan: reader.integer("points_per_yuan"),
      points_max_percent: reader.integer("points_max_percent"),
      points_with_coupon: form.elements.points_with_coupon.checked,
      balance_max_percent: reader.integer("balance_max_percent"),
      max_return_bp: bp ?? undefined,
      withdrawal_min: reader.fen("withdrawal_min"),
      withdrawal_daily_max: reader.fen("withdrawal_daily_max"),
      points_valid_days: reader.integer("points_valid_days"),
    };
    const { withdrawal_min: least, withdrawal_daily_max: most } = body;
    if (Number.isInteger(least) && Number.isInteger(most) && most > 0 && least > most) {
      reader.problems.push({ field: "withdrawal_min", message: "@settings.minAboveMax" });
    }
    return { body, problems: reader.problems };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { body, problems } = read();
    if (problems.length) {
      showProblems(form, status, problems);
      return;
    }
    const changes = Object.fromEntries(FIELDS.filter((name) => body[name] !== current?.[name]).map((name) => [name, body[name]]));
    if (!Object.keys(changes).length) {
      say(status, t("settings.unchanged"));
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      fill(await api.put("admin/settings", changes));
      say(status, t("settings.saved"), "ok");
    } catch (error) {
      showErrors(form, status, error);
    } finally {
      submit.disabled = false;
    }
  });

  const element = h("section", { id: "view-settings" },
    h("div", { class: "card" }, h("h2", {}, t("settings.title")), version, form, status));
  return {
    id: "settings", title: t("settings.title"), element, show: load,
    roles: ["operator", "marketing", "finance", "auditor"],
    signedIn: (roles) => { editable = roles.has("operator"); },
  };
}

function yuan(fen) {
  return formatFen(fen).replace(/^¥/, "").replace(/,/g, "");
}
