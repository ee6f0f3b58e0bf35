// Talking to Homeward's JSON API from a signed-in page: the CSRF header, errors as sentences.

let token = null;

/** The CSRF token for this session's writes (from the page, or fetched afresh). */
export function csrfToken() {
  return token ?? document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** Ask the server for this session's CSRF token again (after a sign-in in another tab). */
export async function refreshCsrf() {
  const res = await fetch("/api/v1/sessions/current", {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!res.ok) throw Object.assign(new Error("signed out"), { status: res.status });
  token = (await res.json()).csrf_token;
  return token;
}

/** "the file is empty" -> "The file is empty." */
export function sentence(text) {
  const s = String(text || "").trim();
  if (!s) return "";
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
}

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API with the session cookie; resolves to the JSON answer, or throws ApiFailure. */
export async function api(method, url, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiFailure(0, "offline", "No connection right now. Please try again in a moment.");
  }
  if (res.ok) return res.status === 204 ? null : res.json();
  let code = "error";
  let message = "Something went wrong. Please try again.";
  try {
    const answer = await res.json();
    code = answer.error?.code ?? code;
    message = sentence(answer.error?.message) || message;
  } catch {
    // Not JSON: keep the general sentence.
  }
  throw new ApiFailure(res.status, code, message);
}

/** Show a message in an alert element (or hide it with an empty message). */
export function say(element, message) {
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}
