// The API client of both pages: this tab's bearer token, JSON in and out, errors as ApiError.
import { t } from "./i18n.js";

// Relative to the page, so the same files work at "/" locally and under API Gateway's stage ("/api/").
const BASE = new URL(".", document.baseURI);

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// No answer within this long (API Gateway gives up at 29 s) is an unknown outcome: the Intent keeps
// its key, and a retry of the same action (automatic, or the user's) is applied at most once.
const TIMEOUT_MS = 30000;

function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Api {
  constructor(storageKey) {
    this.storageKey = storageKey;
    this.onUnauthenticated = null; // set by the session: an expired token sends the user back to sign in
  }

  get token() {
    return sessionStorage.getItem(this.storageKey);
  }

  signIn(token) {
    sessionStorage.setItem(this.storageKey, token);
  }

  signOut() {
    sessionStorage.removeItem(this.storageKey);
  }

  // The raw Response of a successful call (for CSV); any refusal is thrown as ApiError.
  async send(method, path, { body, query, idempotencyKey } = {}) {
    const url = new URL(path.replace(/^\//, ""), BASE);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), TIMEOUT_MS);
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: timeout.signal });
    } catch {
      throw timeout.signal.aborted ? new ApiError(0, "TIMEOUT", t("error.TIMEOUT"))
        : new ApiError(0, "NETWORK", t("error.NETWORK"));
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.status === 401) this.onUnauthenticated?.(error);
      throw error;
    }
    return response;
  }

  async request(method, path, options) {
    const response = await this.send(method, path, options);
    return response.status === 204 ? null : response.json();
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }

  post(path, body, options = {}) {
    return this.request("POST", path, { ...options, body });
  }

  put(path, body) {
    return this.request("PUT", path, { body });
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  // A POST under a given Idempotency-Key, retried with that same key when the answer is lost or
  // the service is busy, so the API applies it once however many tries it takes. Pages do not
  // call this directly: an Intent (below) chooses the key.
  async postWithKey(path, body, idempotencyKey, attempts = 3) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.post(path, body, { idempotencyKey });
      } catch (error) {
        if (!outcomeUnknown(error) || attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 400 * attempt));
      }
    }
  }

  // Every item of a paginated list: pages of 100, following next_cursor to the end.
  async all(path, query = {}) {
    const items = [];
    let cursor = null;
    do {
      const page = await this.get(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }
}

// No answer, or one that says nothing was decided (timeout, busy, server error): the request may
// or may not have been applied, so a retry must carry the same Idempotency-Key.
function outcomeUnknown(error) {
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

// One action the user means to take (withdraw ¥12.50, claim this voucher, grant this list):
// ONE Idempotency-Key, whatever happens between the first click and the answer.
// - The key is made when the action starts, and kept by a second click, a double click, or a
//   retry after a timeout or a network error: the API then applies the action once.
// - A new key only after a definite answer (a success, or a refusal such as 409, which the API
//   stores and would replay), or when the action itself changes (another amount, another list).
// - While its request is in flight its buttons are disabled (a button drawn meanwhile, by a list
//   that refreshed, is disabled too: `bind` it), and any further start (a form submitted again
//   by Enter, a click that got through) joins the request in flight instead of sending another.
// `what` names the action (the path and body, say); `send(key)` does it, with that key (an
// action of several requests derives one key per request from it: `${key}.${n}`).
export class Intent {
  constructor() {
    this.key = null;
    this.what = null;
    this.inFlight = null;
    this.buttons = new Set();
  }

  run(what, send, ...buttons) {
    if (!this.inFlight) {
      const named = JSON.stringify(what);
      if (this.key === null || named !== this.what) {
        this.key = newIdempotencyKey();
        this.what = named;
      }
      this.inFlight = this.#settle(send, this.key);
    }
    for (const button of buttons) this.bind(button);
    return this.inFlight;
  }

  async #settle(send, key) {
    await null; // this.inFlight is set before anything below runs
    try {
      const result = await send(key);
      this.forget();
      return result;
    } catch (error) {
      if (!outcomeUnknown(error)) this.forget();
      throw error;
    } finally {
      this.inFlight = null;
      for (const button of this.buttons) button.disabled = false;
      this.buttons.clear();
    }
  }

  // A button that starts this action: disabled while it is in flight, enabled again after.
  bind(button) {
    if (this.inFlight) {
      button.disabled = true;
      this.buttons.add(button);
    }
    return button;
  }

  // A POST that creates or spends, as one intended action.
  post(api, path, body, ...buttons) {
    return this.run([path, body ?? null], (key) => api.postWithKey(path, body, key), ...buttons);
  }

  forget() {
    this.key = null;
    this.what = null;
  }
}

async function errorOf(response) {
  try {
    const { error } = await response.json();
    return new ApiError(response.status, error.code, error.message, error.details);
  } catch {
    return new ApiError(response.status, "HTTP_" + response.status, t("error.HTTP", { status: response.status }));
  }
}
