// Service worker: keeps this version of the page and its engine for offline use, and receives
// photos shared from the Android gallery (Web Share Target) without any server seeing them.
// Only the site's own files are cached; photos are never written to any cache or storage.
const VERSION = "__SITE_VERSION__";
const PRECACHE = ["__PRECACHE__"];
const CACHE = `geoscrub-${VERSION}`;
const SHARE_PATH = new URL("share-target", self.registration.scope).pathname;
// The face and word finder's models: downloaded only when the page's switch is turned on, then kept.
const LOOK_PATH = new URL("look/", self.registration.scope).pathname;
const shared = new Map(); // share id -> {files, taken}: held in memory until the page takes them

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (!key.startsWith("geoscrub-") || key === CACHE) continue;
      await keepUnchangedLook(key);
      await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // never asked for: the page's CSP allows no other origin
  if (request.method === "POST" && url.pathname === SHARE_PATH) {
    event.respondWith(receiveShare(event));
  } else if (request.method === "GET" || request.method === "HEAD") {
    event.respondWith(fromCache(request, event));
  }
});

async function fromCache(request, event) {
  const cache = await caches.open(CACHE);
  let hit = await cache.match(request, { ignoreSearch: true, ignoreMethod: true });
  if (!hit && request.mode === "navigate") hit = await cache.match("./");
  if (!hit && request.method === "GET" && new URL(request.url).pathname.startsWith(LOOK_PATH)) return keepLook(request, event);
  if (!hit) return fetch(request);
  if (request.method === "HEAD") return new Response(null, { status: hit.status, headers: hit.headers });
  return hit;
}

// A new version of the page keeps the finder's files it already had when they are the same
// (the same sha256 in both versions' look/look.json), so an update does not download them again.
async function keepUnchangedLook(oldKey) {
  try {
    const [older, newer] = [await caches.open(oldKey), await caches.open(CACHE)];
    const manifest = (cache) => cache.match(`${LOOK_PATH}look.json`).then((hit) => hit && hit.json());
    const [was, now] = [await manifest(older), await manifest(newer)];
    if (!was || !now || !was.sha256 || !now.sha256) return;
    for (const [name, digest] of Object.entries(now.sha256)) {
      if (was.sha256[name] !== digest) continue;
      const hit = await older.match(`${LOOK_PATH}${name}`);
      if (hit) await newer.put(`${LOOK_PATH}${name}`, hit);
    }
  } catch (error) {
    // the finder is then downloaded again when next used
  }
}

async function keepLook(request, event) {
  const response = await fetch(request);
  if (response.ok && response.status === 200) {
    const copy = response.clone(); // stored while the page reads the other copy
    event.waitUntil(caches.open(CACHE).then((cache) => cache.put(new URL(request.url).pathname, copy)).catch(() => {}));
  }
  return response;
}

async function receiveShare(event) {
  const form = await event.request.formData();
  const files = form.getAll("photos").filter((value) => value instanceof File);
  const id = self.crypto.randomUUID();
  let taken;
  const handedOver = new Promise((resolve) => { taken = resolve; });
  shared.set(id, { files, taken });
  // stay alive until the page has the photos (or give up after a minute and forget them)
  event.waitUntil(Promise.race([handedOver, new Promise((resolve) => setTimeout(resolve, 60000))])
    .then(() => shared.delete(id)));
  return Response.redirect(new URL(`./?share=${id}`, self.registration.scope).href, 303);
}

self.addEventListener("message", (event) => {
  const message = event.data;
  if (!message || message.type !== "take-share") return;
  const share = shared.get(message.id);
  shared.delete(message.id);
  event.source.postMessage({ type: "shared-files", files: share ? share.files : [] });
  if (share) share.taken();
});
