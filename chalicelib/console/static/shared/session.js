// Sign in by pasting a token. It is kept in this tab's sessionStorage only and sent as a bearer
// token; the page reads its claims just to show who is signed in (the API verifies it).
import { say, sayError } from "./dom.js";
import { formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";

function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=");
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims.sub === "string" ? claims : null;
  } catch {
    return null;
  }
}

// `check()` makes one API call that the token must pass (it throws ApiError otherwise);
// `onSignedIn(claims)` starts the page (the token's claims: `sub`, `roles`).
// `refusals` maps an error code of the check to the key of what it means on this page.
export function startSession({ api, check, onSignedIn, refusals = {} }) {
  const form = document.getElementById("signin-form");
  const status = document.getElementById("signin-status");
  const who = document.getElementById("who-name");

  function show(signedIn) {
    document.getElementById("signin").hidden = signedIn;
    document.getElementById("app").hidden = !signedIn;
    document.getElementById("who").hidden = !signedIn;
  }

  function leave(message, kind = "") {
    api.signOut();
    form.reset();
    show(false);
    say(status, message, kind);
  }

  function refused(error) {
    leave("");
    sayError(status, error, refusals);
  }

  async function enter(token) {
    const claims = claimsOf(token);
    if (!claims) {
      say(status, t("session.notToken"), "error");
      return;
    }
    api.signIn(token);
    say(status, t("session.checking"));
    try {
      await check();
    } catch (error) {
      refused(error);
      return;
    }
    const roles = (claims.roles ?? []).length
      ? t("session.roles", { roles: claims.roles.map((role) => tOr("role", role)).join(t("list.sep")) }) : "";
    const until = claims.exp ? t("session.until", { time: formatTime(new Date(claims.exp * 1000).toISOString()) }) : "";
    who.textContent = `${claims.sub}${roles}${until}`;
    say(status, "");
    show(true);
    onSignedIn(claims);
  }

  api.onUnauthenticated = (error) => refused(error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    enter(form.elements.token.value.trim());
  });
  document.getElementById("sign-out").addEventListener("click", () => leave(t("session.signedOut")));
  if (api.token) enter(api.token);
  else show(false);
}
