// On every page: local times, the service worker, confirmations, sign-out, the upload queue.

import { localTimes } from "./time.js";
import * as uploads from "./uploads.js";

const PAGE_CACHE = "homeward-pages";

function confirmations() {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return;
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirmed) return;
      event.preventDefault();
      document.getElementById("confirm-text").textContent = form.dataset.confirm;
      dialog.returnValue = "";
      dialog.showModal();
      dialog.addEventListener("close", () => {
        if (dialog.returnValue !== "ok") return;
        form.dataset.confirmed = "1";
        form.requestSubmit();
      }, { once: true });
    });
  }
}

function signOut() {
  for (const form of document.querySelectorAll("form[data-sign-out]")) {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.cleared) return;
      event.preventDefault();
      // The kept copy of the record page names this account: it goes with the session.
      try {
        await caches?.delete(PAGE_CACHE);
      } catch {
        // No cache storage: nothing was kept.
      }
      form.dataset.cleared = "1";
      form.requestSubmit();
    });
  }
}

function queueStatus() {
  const status = document.getElementById("queue-status");
  if (!status) return;
  const onRecordPage = Boolean(document.getElementById("record-button"));
  const render = async (detail) => {
    if (detail?.phase === "sending" && detail.total) {
      status.textContent = `Sending a recording… ${Math.round((100 * detail.loaded) / detail.total)}%`;
      status.hidden = onRecordPage;
      return;
    }
    const waiting = (await uploads.pending()).length;
    const link = document.createElement("a");
    link.href = "/record#queue";
    link.textContent = "See them";
    status.replaceChildren(
      waiting === 1
        ? "1 recording is waiting to send from this phone. "
        : `${waiting} recordings are waiting to send from this phone. `,
      link,
    );
    status.hidden = waiting === 0 || onRecordPage;
  };
  uploads.events.addEventListener("change", (e) => render(e.detail));
  render();
}

function serviceWorker() {
  if (!("serviceWorker" in navigator) || !document.querySelector('meta[name="account-id"]')) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("service worker not registered", error);
  });
}

localTimes();
confirmations();
signOut();
if (document.querySelector('meta[name="account-role"]')?.content === "client") {
  queueStatus();
  uploads.start();
}
serviceWorker();
