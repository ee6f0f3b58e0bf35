// The record page: one button, a live level meter, details, and the queue of unsent recordings.
//
// Audio reaches IndexedDB a second at a time while recording, so nothing is lost if the tab is
// closed or the phone kills the browser: the next visit turns the pieces back into a recording.

import * as store from "./store.js";
import * as uploads from "./uploads.js";
import { say } from "./http.js";
import { queueItem, timeOf } from "./queue_list.js";

const $ = (id) => document.getElementById(id);
const ui = {
  button: $("record-button"), label: document.querySelector(".record-label"), hint: $("record-hint"),
  live: $("live"), elapsed: $("elapsed"), level: $("level"), hearing: $("hearing"),
  error: $("record-error"), prompts: document.querySelector(".prompts"),
  details: $("details"), detailsHeading: $("details-heading"), draftInfo: $("draft-info"),
  preview: $("preview"), title: $("title"), tags: $("tags"), moodClear: $("mood-clear"),
  detailsError: $("details-error"), discard: $("discard"), discardDialog: $("discard-dialog"),
  sending: $("sending"), sendingHeading: $("sending-heading"), progress: $("upload-progress"),
  sendingStatus: $("sending-status"), sendingNext: $("sending-next"), sentLink: $("sent-link"),
  again: $("record-again"), queue: $("queue"), queueList: $("queue-list"), file: $("file"),
};
const TYPES = ["audio/webm;codecs=opus", "audio/mp4;codecs=mp4a.40.2", "audio/mp4", "audio/ogg;codecs=opus"];
const TAG = /^[a-z0-9][a-z0-9_-]*(:[a-z0-9][a-z0-9_-]*)?$/;
const MAX_MB = Number(document.getElementById("file")?.dataset.maxMb ?? 200);

let session = null; // the recording in progress
let draft = null; // the recording whose details are being filled in
let sendingId = null; // the recording shown in the "Sending" section
let previewUrl = null;

function pickType() {
  if (!window.MediaRecorder?.isTypeSupported) return "";
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
}

const extension = (mime) => (mime.includes("mp4") ? "m4a" : mime.includes("ogg") ? "ogg" : "webm");
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

function setMode(mode) {
  document.body.dataset.recorder = mode;
  const recording = mode === "recording";
  ui.button.classList.toggle("is-recording", recording);
  ui.label.textContent = recording ? "Stop" : "Record";
  ui.hint.textContent = recording
    ? "Take your time. Tap Stop when you're done."
    : "Tap once to start, and again when you're done.";
  ui.live.hidden = !recording;
  ui.button.disabled = mode === "saving" || mode === "details";
  const busy = mode === "details" || mode === "sending";
  ui.button.closest(".recorder").hidden = busy;
  ui.file.closest(".upload-file").hidden = busy;
}

async function start() {
  say(ui.error, "");
  if (!navigator.mediaDevices?.getUserMedia || !window.MediaRecorder) {
    say(ui.error, "This browser can't record here. You can upload a voice memo instead, below.");
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    say(ui.error, error.name === "NotAllowedError"
      ? "Homeward needs to use the microphone. Allow it in your browser's settings, then tap Record again."
      : "No microphone could be opened. You can upload a voice memo instead, below.");
    return;
  }
  const wanted = pickType();
  const recorder = new MediaRecorder(stream, wanted ? { mimeType: wanted } : undefined);
  const mime = recorder.mimeType || wanted || "audio/webm";
  const id = uploads.newId();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().slice(0, 16).replace(/[-:T]/g, "");
  await store.put({
    id, account: uploads.account(), state: "recording", createdAt: Date.now(),
    recordedAt: startedAt.toISOString(), mime: mime.split(";")[0], name: `reflection-${stamp}.${extension(mime)}`,
  });
  const s = { id, recorder, stream, seq: 0, writes: Promise.resolve(), started: performance.now() };
  session = s;
  recorder.ondataavailable = (e) => {
    if (!e.data?.size) return;
    const seq = s.seq++;
    s.writes = s.writes.then(() => store.addChunk(id, seq, e.data));
  };
  recorder.onstop = () => finish(s);
  recorder.start(1000);
  setMode("recording");
  watchLevel(s);
  s.ticker = setInterval(() => {
    const seconds = (performance.now() - s.started) / 1000;
    ui.elapsed.textContent = clock(seconds);
  }, 250);
  try {
    s.wakeLock = await navigator.wakeLock?.request("screen");
  } catch {
    // Keeping the screen on is a nicety; recording works without it.
  }
}

function watchLevel(s) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  s.audio = new Context();
  s.audio.resume?.().catch(() => {}); // Safari may start it suspended after the permission prompt
  const analyser = s.audio.createAnalyser();
  analyser.fftSize = 1024;
  s.audio.createMediaStreamSource(s.stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let shown = 0;
  let heardAt = 0;
  let said = "";
  const frame = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    // Loudness in decibels, -55 dB (a quiet room) to -10 dB (speaking up), as 0 to 1.
    const rms = Math.sqrt(sum / samples.length);
    const level = Math.min(1, Math.max(0, (20 * Math.log10(rms + 1e-9) + 55) / 45));
    shown = Math.max(level, shown * 0.9);
    ui.level.style.transform = `scaleX(${shown.toFixed(3)})`;
    const now = performance.now();
    if (level > 0.25) heardAt = now;
    const words = now - heardAt < 1500 ? "I can hear you." : "Listening…";
    if (words !== said) {
      said = words;
      ui.hearing.textContent = words;
    }
    s.frame = requestAnimationFrame(frame);
  };
  frame();
}

function stop() {
  if (!session) return;
  setMode("saving");
  session.duration = (performance.now() - session.started) / 1000;
  session.recorder.stop();
}

async function finish(s) {
  clearInterval(s.ticker);
  cancelAnimationFrame(s.frame);
  s.stream.getTracks().forEach((t) => t.stop());
  s.audio?.close();
  s.wakeLock?.release?.().catch(() => {});
  session = null;
  await s.writes;
  const recording = await assemble(s.id, s.duration);
  if (recording) {
    showDetails(recording);
    return;
  }
  setMode("idle");
  say(ui.error, "That was too short to keep. Tap Record when you're ready.");
  ui.button.focus();
}

/** Turn the stored chunks of a recording into one Blob; the chunks go only once it is stored. */
async function assemble(id, duration) {
  const recording = await store.get(id);
  if (!recording) return null;
  const parts = await store.chunks(id);
  if (!parts.length) {
    await store.remove(id);
    return null;
  }
  const blob = new Blob(parts.map((p) => p.blob), { type: recording.mime });
  const done = { ...recording, state: "draft", blob, size: blob.size, duration: duration ?? null };
  await store.put(done);
  await store.dropChunks(id);
  return done;
}

function showDetails(recording) {
  draft = recording;
  setMode("details");
  ui.details.reset();
  say(ui.detailsError, "");
  ui.details.hidden = false;
  ui.prompts.hidden = true;
  const length = recording.duration ? `${clock(recording.duration)} long, ` : "";
  ui.draftInfo.textContent = recording.file
    ? `${recording.name} (${uploads.describeSize(recording.size)}). It stays on this phone until it's sent.`
    : `Recorded ${timeOf(recording.recordedAt)}, ${length}kept on this phone until it's sent.`;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(recording.blob);
  ui.preview.src = previewUrl;
  ui.detailsHeading.focus();
}

function readTags(raw) {
  const names = [];
  for (const piece of raw.split(",")) {
    const name = piece.trim().toLowerCase().replace(/\s+/g, "-");
    if (!name) continue;
    if (!TAG.test(name)) return { error: `“${piece.trim()}” can't be a tag: use letters, digits, - and _ (like school or tool:breathing).` };
    if (!names.includes(name)) names.push(name);
  }
  return { names };
}

async function send(event) {
  event.preventDefault();
  if (!draft) return;
  const { names, error } = readTags(ui.tags.value);
  if (error) {
    say(ui.detailsError, error);
    ui.tags.focus();
    return;
  }
  const mood = new FormData(ui.details).get("mood");
  const recording = { ...draft, title: ui.title.value.trim(), mood: mood ? Number(mood) : null, tags: names.join(",") };
  draft = null;
  sendingId = recording.id;
  ui.details.hidden = true;
  ui.sending.hidden = false;
  ui.sendingNext.hidden = true;
  ui.progress.hidden = false;
  ui.progress.value = 0;
  ui.sendingHeading.textContent = "Sending";
  ui.sendingStatus.textContent = "Sending your recording…";
  ui.sendingHeading.focus();
  setMode("sending");
  await uploads.enqueue(recording);
}

function onUpload({ detail }) {
  renderQueue();
  if (detail.id !== sendingId) return;
  if (detail.phase === "sending" && detail.total) {
    ui.progress.value = Math.round((100 * detail.loaded) / detail.total);
    ui.sendingStatus.textContent = `Sending… ${ui.progress.value}%`;
  } else if (detail.phase === "sent") {
    ui.progress.value = 100;
    ui.sendingHeading.textContent = "Sent";
    ui.sendingStatus.textContent = "Sent. Homeward is transcribing it now; it will be on your timeline in a moment.";
    if (detail.note?.id) ui.sentLink.href = `/notes/${detail.note.id}`;
    ui.sentLink.hidden = false;
    ui.sendingNext.hidden = false;
  } else if (["waiting", "signed-out", "refused"].includes(detail.phase)) {
    ui.progress.hidden = true;
    ui.sendingHeading.textContent = detail.phase === "refused" ? "Not sent" : "Waiting to send";
    ui.sendingStatus.textContent = detail.phase === "refused"
      ? `${detail.message} The recording is still on this phone, below.`
      : "Saved on this phone. It will send by itself when the connection is back; you can close this page.";
    ui.sentLink.hidden = true;
    ui.sendingNext.hidden = false;
  }
}

async function renderQueue() {
  const items = (await uploads.pending()).filter((r) => r.id !== sendingId || r.state === "refused");
  ui.queueList.replaceChildren(...items.map((r) => queueItem(r, confirmDiscard)));
  ui.queue.hidden = items.length === 0;
}

function confirmDiscard(id) {
  ui.discardDialog.returnValue = "";
  ui.discardDialog.showModal();
  ui.discardDialog.addEventListener("close", async () => {
    if (ui.discardDialog.returnValue !== "discard") return;
    await uploads.discard(id);
    if (draft?.id === id) {
      draft = null;
      reset();
    }
  }, { once: true });
}

function reset() {
  ui.details.hidden = true;
  ui.sending.hidden = true;
  ui.prompts.hidden = false;
  sendingId = null;
  ui.elapsed.textContent = "0:00";
  setMode("idle");
  ui.button.focus();
}

async function chooseFile() {
  const file = ui.file.files?.[0];
  if (!file) return;
  if (file.size > MAX_MB * 1024 * 1024) {
    say(ui.error, `That file is larger than ${MAX_MB} MB, the most Homeward takes.`);
    return;
  }
  const recording = {
    id: uploads.newId(), account: uploads.account(), state: "draft", createdAt: Date.now(),
    recordedAt: new Date(file.lastModified || Date.now()).toISOString(), mime: file.type,
    name: file.name, blob: file, size: file.size, file: true,
  };
  await store.put(recording);
  ui.file.value = "";
  showDetails(recording);
}

/** Bring back recordings from an earlier visit: cut-short ones first, then unsent drafts. */
async function recover() {
  const mine = (await store.all()).filter((r) => r.account === uploads.account());
  for (const r of mine.filter((x) => x.state === "recording")) await assemble(r.id, null);
  const drafts = (await store.all())
    .filter((r) => r.account === uploads.account() && r.state === "draft")
    .sort((a, b) => a.createdAt - b.createdAt);
  if (drafts.length) {
    showDetails(drafts[0]);
    ui.draftInfo.textContent = `This recording from ${timeOf(drafts[0].recordedAt)} hasn't been sent yet. ${ui.draftInfo.textContent}`;
  }
}

ui.button.addEventListener("click", () => (session ? stop() : start()));
ui.details.addEventListener("submit", send);
ui.discard.addEventListener("click", () => draft && confirmDiscard(draft.id));
ui.moodClear.addEventListener("click", () => {
  ui.details.querySelectorAll('input[name="mood"]').forEach((r) => { r.checked = false; });
});
ui.again.addEventListener("click", reset);
ui.file.addEventListener("change", chooseFile);
uploads.events.addEventListener("change", onUpload);
window.addEventListener("beforeunload", (e) => {
  if (session) e.preventDefault(); // a recording in progress: ask before leaving
});

setMode("idle");
ui.button.disabled = false;
recover().then(renderQueue);
