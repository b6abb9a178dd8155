// The API client of both pages: this tab's bearer token, JSON in and out, errors as ApiError.

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
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "NETWORK", "The service cannot be reached. Check your connection and try again.");
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

  // A POST that creates or spends: one Idempotency-Key, retried with that same key when the answer
  // is lost or the service is busy, so the API applies it once however many tries it takes.
  async postOnce(path, body, attempts = 3) {
    const idempotencyKey = newIdempotencyKey();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.post(path, body, { idempotencyKey });
      } catch (error) {
        const retriable = error.status === 0 || error.status === 429 || error.status >= 500;
        if (!retriable || attempt >= attempts) throw error;
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

async function errorOf(response) {
  try {
    const { error } = await response.json();
    return new ApiError(response.status, error.code, error.message, error.details);
  } catch {
    return new ApiError(response.status, "HTTP_" + response.status,
      `The service answered with status ${response.status}. Try again in a moment.`);
  }
}
