// The upload queue: every recording waits in IndexedDB until the server answers 202.
//
// Each recording carries one Idempotency-Key, made when it was recorded and sent with every
// attempt, so a retry after a lost answer never makes a second note. Failures that may pass
// (no connection, a server error, a busy server) are retried by themselves: when the browser says
// it is back online, when the page is shown again, and on a timer that backs off. Refusals that
// will not pass (not audio, too large) keep the recording and say so; nothing is thrown away
// without the person asking.

import * as store from "./store.js";
import { csrfToken, refreshCsrf, sentence } from "./http.js";

export const events = new EventTarget();
// Inside the lock no other tab is sending, so a "sending" found there was cut short (a closed
// tab): it is sent again, with the same key.
const SENDABLE = ["queued", "waiting", "sending"];
export const PENDING = ["queued", "waiting", "sending", "refused"];
const BACKOFF_S = [3, 10, 30, 60, 120, 300];
let running = false;
let again = false;
let timer = null;

export function account() {
  return document.querySelector('meta[name="account-id"]')?.content ?? null;
}

/** A new id for a recording; it is also the Idempotency-Key of every attempt to send it. */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function emit(detail) {
  events.dispatchEvent(new CustomEvent("change", { detail }));
}

/** This account's recordings that have not reached the server, oldest first. */
export async function pending() {
  const mine = (await store.all()).filter(
    (r) => r.account === account() && PENDING.includes(r.state),
  );
  return mine.sort((a, b) => a.createdAt - b.createdAt);
}

async function update(recording, changes) {
  const fresh = await store.get(recording.id);
  if (!fresh) return null;
  const next = { ...fresh, ...changes };
  await store.put(next);
  return next;
}

/** Queue a recording (its details filled in) and start sending. */
export async function enqueue(recording) {
  await store.put({ ...recording, state: "queued", error: null });
  emit({ id: recording.id, phase: "queued" });
  kick();
}

/** Put a refused recording back in the queue for another try. */
export async function retry(id) {
  const recording = await store.get(id);
  if (recording) await enqueue(recording);
}

export async function discard(id) {
  await store.remove(id);
  emit({ id, phase: "discarded" });
}

function schedule(attempts) {
  clearTimeout(timer);
  const delay = BACKOFF_S[Math.min(attempts, BACKOFF_S.length) - 1] ?? BACKOFF_S[0];
  timer = setTimeout(kick, delay * 1000);
}

/** Send whatever is waiting; safe to call often (one run at a time, across tabs too). */
export function kick() {
  if (!account()) return;
  if (running) {
    again = true;
    return;
  }
  running = true;
  clearTimeout(timer);
  const locked = navigator.locks?.request
    ? (work) => navigator.locks.request("homeward-uploads", work)
    : (work) => work();
  locked(drain)
    .catch((error) => console.error("upload queue", error))
    .finally(() => {
      running = false;
      if (again) {
        again = false;
        kick();
      }
    });
}

async function drain() {
  for (const listed of await pending()) {
    const recording = await store.get(listed.id);
    if (!recording || !SENDABLE.includes(recording.state)) continue;
    if (!navigator.onLine) {
      await wait(recording, "No connection right now. It will send by itself when you're back online.");
      return;
    }
    if ((await attempt(recording)) === "stop") return;
  }
}

async function wait(recording, message) {
  const attempts = (recording.attempts ?? 0) + 1;
  await update(recording, { state: "waiting", error: message, attempts });
  emit({ id: recording.id, phase: "waiting", message });
  if (navigator.onLine) schedule(attempts);
}

async function attempt(recording, csrfRetried = false) {
  await update(recording, { state: "sending" });
  emit({ id: recording.id, phase: "sending", loaded: 0, total: recording.size });
  let answer;
  try {
    answer = await send(recording, (loaded, total) =>
      emit({ id: recording.id, phase: "sending", loaded, total }),
    );
  } catch {
    await wait(recording, "The connection dropped. It will send by itself when the connection is back.");
    return "stop";
  }
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    await store.remove(recording.id);
    emit({ id: recording.id, phase: "sent", note: body });
    return "next";
  }
  const code = body?.error?.code;
  if (status === 403 && code === "csrf" && !csrfRetried) {
    try {
      await refreshCsrf();
      return attempt(recording, true);
    } catch {
      // Signed out: handled below like a 401.
    }
  }
  if (status === 401 || status === 403) {
    await update(recording, { state: "waiting", error: "You're signed out. Sign in again and it will send." });
    emit({ id: recording.id, phase: "signed-out" });
    return "stop";
  }
  if (status === 409 || status === 429 || status >= 500 || status === 0) {
    await wait(recording, "Homeward is busy. It will try again in a moment.");
    return "stop";
  }
  const message = sentence(body?.error?.message) || "Homeward couldn't take this recording.";
  await update(recording, { state: "refused", error: message });
  emit({ id: recording.id, phase: "refused", message });
  return "next";
}

function send(recording, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/notes");
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Idempotency-Key", recording.id);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error("network"));
    xhr.onabort = () => reject(new Error("aborted"));
    xhr.ontimeout = () => reject(new Error("timeout"));
    const form = new FormData();
    form.append("audio", recording.blob, recording.name);
    form.append("recorded_at", recording.recordedAt);
    if (recording.title) form.append("title", recording.title);
    if (recording.mood) form.append("mood", String(recording.mood));
    if (recording.tags) form.append("tags", recording.tags);
    xhr.send(form);
  });
}

/** Start the queue on this page: now, when back online, and when the page is shown again. */
export function start() {
  if (!account()) return;
  window.addEventListener("online", kick);
  window.addEventListener("offline", () => emit({ phase: "offline" }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") kick();
  });
  store.keep();
  kick();
}

export function describeSize(bytes) {
  if (!bytes) return "";
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} KB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
