// The server's HTTP API (spec/api.md) for the pages. Errors are thrown as ApiError with the
// server's stable `code`, so pages translate them (common.json "errors.<code>").

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || (status === 0 ? "network" : "http_" + status);
    this.details = body?.details || [];
    this.retryAfter = null;
  }
}

let csrfToken = sessionStorage.getItem("urna.csrf") || null;

/** Remembers the admin session's CSRF token (sent with every POST/PUT/DELETE). */
export function setCsrf(token) {
  csrfToken = token;
  if (token) sessionStorage.setItem("urna.csrf", token);
  else sessionStorage.removeItem("urna.csrf");
}

/**
 * Calls the API. `options`: method, json (a value to send as JSON), text (a raw body, e.g.
 * the ballot the booth made, or a roll's CSV with contentType), bearer (a trustee token),
 * raw (return the Response text instead of parsed JSON).
 */
export async function api(path, options = {}) {
  const method = options.method || (options.json !== undefined || options.text !== undefined ? "POST" : "GET");
  const headers = { Accept: "application/json" };
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers["Content-Type"] = options.contentType || "application/json";
    body = options.text;
  }
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, { error: "network", message: String(e) });
  }
  const text = await response.text();
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const error = new ApiError(response.status, parsed);
    error.retryAfter = Number(response.headers.get("retry-after")) || null;
    throw error;
  }
  if (options.raw) return text;
  if (response.status === 204 || text === "") return null;
  return JSON.parse(text);
}

/** Every line of an election's board, page by page: `onPage(lines, next)` for each page. */
export async function forEachBoardPage(id, onPage, pageSize = 1000) {
  let from = 0;
  for (;;) {
    const page = await api(`/elections/${encodeURIComponent(id)}/board?from=${from}&limit=${pageSize}`);
    await onPage(page.lines, page.next);
    if (page.next === undefined || page.next === null) return;
    from = page.next;
  }
}
