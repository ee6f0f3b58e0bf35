// The timeline: notes being transcribed show live progress and become their card when done;
// recordings still waiting on this phone are listed above the notes.

import { api } from "./http.js";
import { localTimes } from "./time.js";
import { queueItem } from "./queue_list.js";
import * as uploads from "./uploads.js";

const POLL_MS = 1500;
const cards = () => document.getElementById("cards");
const live = document.createElement("p");
live.className = "visually-hidden";
live.setAttribute("role", "status");
document.getElementById("main").append(live);

async function freshCard(id) {
  const res = await fetch(`/notes/${encodeURIComponent(id)}/card`, { credentials: "same-origin" });
  if (!res.ok) return null;
  // The card is rendered by the server's template, which escapes every word of the note.
  const template = document.createElement("template");
  template.innerHTML = (await res.text()).trim();
  const card = template.content.firstElementChild;
  if (card) localTimes(card);
  return card;
}

function showProgress(card, note) {
  const bar = card.querySelector("progress");
  const text = card.querySelector(".progress-text");
  if (!bar || !text) return;
  const percent = Math.round(note.progress * 100);
  bar.value = percent;
  text.textContent = note.status === "queued" ? "Waiting to be transcribed…" : `Transcribing… ${percent}%`;
}

async function follow(card) {
  const id = card.dataset.noteId;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let note;
    try {
      note = await api("GET", `/api/v1/notes/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error.status === 404) return card.remove();
      continue; // offline or busy: keep the card as it is and ask again
    }
    card.dataset.status = note.status;
    if (note.status === "queued" || note.status === "processing") {
      showProgress(card, note);
      continue;
    }
    const replacement = await freshCard(id);
    if (replacement && card.isConnected) {
      card.replaceWith(replacement);
      live.textContent = note.status === "failed"
        ? "A note couldn't be transcribed. The recording is kept."
        : "A note has been transcribed.";
    }
    return;
  }
}

function followAll(root = document) {
  for (const card of root.querySelectorAll('.card[data-status="queued"], .card[data-status="processing"]')) {
    if (card.dataset.followed) continue;
    card.dataset.followed = "1";
    follow(card);
  }
}

const filtered = () =>
  ["q", "tag", "since", "until", "cursor"].some((k) => new URLSearchParams(location.search).get(k));

async function addSent(note) {
  if (!note?.id || filtered() || document.getElementById(`note-${note.id}`)) return;
  const card = await freshCard(note.id);
  if (!card) return;
  let list = cards();
  if (!list) {
    list = document.createElement("ol");
    list.className = "cards";
    list.id = "cards";
    document.querySelector(".empty")?.replaceWith(list);
    if (!list.isConnected) document.getElementById("main").append(list);
  }
  list.prepend(card);
  followAll(list);
}

async function renderPending() {
  const section = document.getElementById("pending");
  const list = document.getElementById("pending-list");
  const items = await uploads.pending();
  list.replaceChildren(...items.map((r) => queueItem(r)));
  section.hidden = items.length === 0;
}

uploads.events.addEventListener("change", (e) => {
  renderPending();
  if (e.detail.phase === "sent") addSent(e.detail.note);
});
renderPending();
followAll();
