// Recordings kept in this browser (IndexedDB) until the server has answered 202.
//
// "recordings" holds one row per recording: its audio (a Blob), the details typed before
// sending, and its state. "chunks" holds the audio of a recording still in progress, a second at
// a time, so a recording cut short by a crash or a closed tab can still be recovered.

const NAME = "homeward";
const VERSION = 1;
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("recordings")) {
        db.createObjectStore("recordings", { keyPath: "id" });
      }
      if (!db.objectStoreNames.contains("chunks")) {
        db.createObjectStore("chunks", { keyPath: ["recording", "seq"] });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = null;
      reject(request.error);
    };
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    let result;
    Promise.resolve(work(tx)).then((value) => { result = value; }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("the browser refused to store the recording"));
  });
}

const chunkRange = (id) => IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);

export const put = (recording) =>
  run(["recordings"], "readwrite", (tx) => { tx.objectStore("recordings").put(recording); });

export const get = (id) =>
  run(["recordings"], "readonly", (tx) => done(tx.objectStore("recordings").get(id)));

export const all = () =>
  run(["recordings"], "readonly", (tx) => done(tx.objectStore("recordings").getAll()));

/** Forget a recording and any chunks of it. */
export const remove = (id) =>
  run(["recordings", "chunks"], "readwrite", (tx) => {
    tx.objectStore("recordings").delete(id);
    tx.objectStore("chunks").delete(chunkRange(id));
  });

export const addChunk = (id, seq, blob) =>
  run(["chunks"], "readwrite", (tx) => {
    tx.objectStore("chunks").put({ recording: id, seq, blob });
  });

/** The chunks of a recording, in order. */
export const chunks = (id) =>
  run(["chunks"], "readonly", (tx) => done(tx.objectStore("chunks").getAll(chunkRange(id))));

export const dropChunks = (id) =>
  run(["chunks"], "readwrite", (tx) => { tx.objectStore("chunks").delete(chunkRange(id)); });

/** Ask the browser not to clear this storage when the phone runs low on space. */
export async function keep() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist();
    }
  } catch {
    // Best effort: some browsers ask the person, some decide by themselves.
  }
}
