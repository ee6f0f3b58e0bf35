// One note: the sentence being played is highlighted, a tap on a sentence plays from there;
// editing, sharing and deleting go through the JSON API.

import { api, say } from "./http.js";

const $ = (id) => document.getElementById(id);
const article = $("note");
const noteId = article?.dataset.noteId;
const player = $("player");
const segments = [...document.querySelectorAll(".segment")].map((el) => ({
  el, start: Number(el.dataset.start), end: Number(el.dataset.end),
}));
let current = null;

function highlight() {
  const t = player.currentTime;
  const found = segments.find((s) => t >= s.start && t < s.end) ?? null;
  if (found === current) return;
  current?.el.classList.remove("playing");
  current?.el.removeAttribute("aria-current");
  current = found;
  if (!found) return;
  found.el.classList.add("playing");
  found.el.setAttribute("aria-current", "true");
  if (!player.paused) {
    const box = found.el.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) found.el.scrollIntoView({ block: "nearest" });
  }
}

function seek(segment) {
  player.currentTime = segment.start;
  highlight();
  player.play().catch(() => {
    // Playing may be refused (no sound device, a browser rule); the position still moved.
  });
}

// A browser's own recording (WebM from MediaRecorder) says nothing of its length, so players
// show no duration and no usable scrubber. Asking for a moment past the end makes the browser
// read to the end and learn it; then the player goes back to the start.
function learnDuration() {
  if (player.duration !== Infinity) return;
  const back = () => {
    if (!Number.isFinite(player.duration)) return;
    player.removeEventListener("durationchange", back);
    if (player.currentTime >= player.duration - 0.05) player.currentTime = 0; // unless moved
  };
  player.addEventListener("durationchange", back);
  player.currentTime = 1e6;
}

if (player) {
  if (player.readyState >= 1) learnDuration();
  else player.addEventListener("loadedmetadata", learnDuration, { once: true });
}

if (player && segments.length) {
  for (const s of segments) s.el.addEventListener("click", () => seek(s));
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
}

async function pollUntilDone() {
  for (;;) {
    await new Promise((r) => setTimeout(r, 1500));
    let note;
    try {
      note = await api("GET", `/api/v1/notes/${encodeURIComponent(noteId)}`);
    } catch {
      continue;
    }
    if (note.status !== "queued" && note.status !== "processing") return location.reload();
    const bar = article.querySelector("progress");
    const text = article.querySelector(".progress-text");
    if (bar) bar.value = Math.round(note.progress * 100);
    if (text && note.status === "processing") text.textContent = `Transcribing… ${bar.value}%`;
  }
}

if (noteId && ["queued", "processing"].includes(article.dataset.status)) pollUntilDone();

$("retry-button")?.addEventListener("click", async () => {
  try {
    await api("POST", `/api/v1/notes/${encodeURIComponent(noteId)}/retry`);
    location.reload();
  } catch (failure) {
    say($("retry-error"), failure.message);
  }
});

const editForm = $("edit-form");
editForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("edit-error");
  const data = new FormData(editForm);
  const body = {
    title: data.get("title").trim(),
    mood: data.get("mood") ? Number(data.get("mood")) : null,
    tags: data.get("tags").split(",").map((t) => t.trim()).filter(Boolean),
  };
  const transcript = $("edit-transcript");
  if (transcript && transcript.value !== transcript.defaultValue) body.transcript = transcript.value;
  try {
    await api("PATCH", `/api/v1/notes/${encodeURIComponent(noteId)}`, body);
    location.reload();
  } catch (failure) {
    say(error, failure.message);
  }
});

for (const row of document.querySelectorAll(".share-row")) {
  const therapist = encodeURIComponent(row.dataset.therapistId);
  const url = `/api/v1/notes/${encodeURIComponent(noteId)}/shares/${therapist}`;
  const error = $("share-error");
  const share = async () => {
    try {
      await api("PUT", url, { include_audio: row.querySelector(".include-audio").checked });
      location.reload();
    } catch (failure) {
      say(error, failure.message);
    }
  };
  row.querySelector(".share-button")?.addEventListener("click", share);
  // Once shared, the checkbox changes what is shared straight away.
  if (row.dataset.shared === "true") row.querySelector(".include-audio").addEventListener("change", share);
  row.querySelector(".revoke-button")?.addEventListener("click", async () => {
    try {
      await api("DELETE", url);
      location.reload();
    } catch (failure) {
      say(error, failure.message);
    }
  });
}

const deleteDialog = $("delete-dialog");
$("delete-button")?.addEventListener("click", () => {
  deleteDialog.returnValue = "";
  deleteDialog.showModal();
});
deleteDialog?.addEventListener("close", async () => {
  if (deleteDialog.returnValue !== "delete") return;
  try {
    await api("DELETE", `/api/v1/notes/${encodeURIComponent(noteId)}`);
    location.assign("/timeline");
  } catch (failure) {
    say($("delete-error"), failure.message);
  }
});
