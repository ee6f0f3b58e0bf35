// Homeward's service worker: keeps the app's own files and the record page, so that the record
// page opens with no connection. It never keeps anything from the API (notes, transcripts,
// audio): those are only ever read from the server. Served from /sw.js, which fills in VERSION.

const VERSION = "__VERSION__";
const SHELL = `homeward-shell-${VERSION}`;
const PAGES = "homeward-pages";
const SHELL_FILES = [
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/http.js",
  "/static/js/time.js",
  "/static/js/store.js",
  "/static/js/uploads.js",
  "/static/js/record.js",
  "/static/js/queue_list.js",
  "/static/icons/icon.svg",
  "/static/icons/sprite.svg",
  "/manifest.webmanifest",
  "/offline",
];
const RECORD_PAGES = ["/", "/record"];

async function keepRecordPage() {
  try {
    const response = await fetch("/record", { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) {
      await (await caches.open(PAGES)).put("/record", response);
    }
  } catch {
    // Offline while installing: the page is kept on the next visit instead.
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "reload" })));
    await keepRecordPage();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("homeward-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function page(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (url.pathname === "/record" && response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put("/record", copy));
    }
    return response;
  } catch (error) {
    if (RECORD_PAGES.includes(url.pathname)) {
      const kept = await caches.match("/record", { cacheName: PAGES });
      if (kept) return kept;
    }
    const offline = await caches.match("/offline", { cacheName: SHELL });
    if (offline) return offline;
    throw error;
  }
}

async function asset(request) {
  // Static files are versioned by the query string; the cache is versioned by VERSION.
  const kept = await caches.match(request, { cacheName: SHELL, ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(SHELL).then((cache) => cache.put(request, copy));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(asset(request));
  }
});
