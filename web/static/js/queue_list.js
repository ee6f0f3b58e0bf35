// One recording waiting on this phone, as a list item; with actions on the record page.

import * as uploads from "./uploads.js";

/** "Thu 17:32" in the reader's language and time zone. */
export const timeOf = (iso) =>
  new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" })
    .format(new Date(iso));

function button(text, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

/**
 * A <li> for a waiting recording. With ``onDiscard``, it offers to send it now, to save a copy
 * of the audio to the phone, and to discard it.
 */
export function queueItem(recording, onDiscard = null) {
  const li = document.createElement("li");
  li.className = "queue-item";
  li.dataset.id = recording.id;
  li.dataset.state = recording.state;
  const what = document.createElement("p");
  const strong = document.createElement("strong");
  strong.textContent = recording.title || `Recording from ${timeOf(recording.recordedAt)}`;
  what.append(strong, ` · ${uploads.describeSize(recording.size)}`);
  const status = document.createElement("p");
  status.className = recording.state === "refused" ? "error" : "muted";
  status.textContent = recording.state === "sending" ? "Sending…" : recording.error || "Waiting to send.";
  li.append(what, status);
  if (!onDiscard || recording.state === "sending") return li;
  const actions = document.createElement("div");
  actions.className = "actions";
  const again = recording.state === "refused" ? "Try again" : "Send now";
  actions.append(button(again, "quiet small", () => uploads.retry(recording.id)));
  const save = document.createElement("a");
  save.className = "button quiet small";
  save.textContent = "Save a copy";
  save.download = recording.name;
  save.href = URL.createObjectURL(recording.blob);
  actions.append(save, button("Discard", "danger small", () => onDiscard(recording.id)));
  li.append(actions);
  return li;
}
