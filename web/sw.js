// Hearth's service worker: keeps the app shell for offline starts, shows Web
// Push notifications and opens the room when one is clicked. Served at /sw.js
// so its scope is the whole client.
//
// The shell is the page ("/") and the versioned assets it names
// (/v/<version>/…, immutable). Pages are fetched from the network first and
// the last good one is kept; versioned assets come from the cache first. On
// install the page is fetched once and everything it links is cached, so the
// first offline start works even though that first load was not controlled.
// When a new page names a new version, the old version's files are dropped.
// API calls and the gateway are never touched.

const CACHE = 'hearth-shell-v1';
const PAGE = '/';
const EXTRA = ['/manifest.webmanifest', '/favicon.svg', '/icons/icon-192.png', '/icons/icon-512.png'];

/** The `/v/<version>/…` URLs a page names (stylesheets, preloads, scripts, icons). */
function assetsOf(html) {
  return [...new Set([...html.matchAll(/(?:href|src)="(\/v\/[^"]+)"/g)].map((m) => m[1]))];
}

function versionOf(url) {
  return /^\/v\/([^/]+)\//.exec(new URL(url, self.location.origin).pathname)?.[1] ?? null;
}

/** Keeps `response` as the page and caches what it names; drops other versions. */
async function keepPage(response) {
  const cache = await caches.open(CACHE);
  const html = await response.clone().text();
  const assets = assetsOf(html);
  await cache.put(PAGE, response);
  const missing = [];
  for (const url of [...assets, ...EXTRA]) if (!(await cache.match(url))) missing.push(url);
  await Promise.all(missing.map((url) => cache.add(url).catch(() => {})));
  const current = new Set(assets.map(versionOf));
  for (const request of await cache.keys()) {
    const version = versionOf(request.url);
    if (version && !current.has(version)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      try {
        const response = await fetch(PAGE, { cache: 'no-cache' });
        if (response.ok) await keepPage(response);
      } catch {
        // offline at install: the next online page load fills the cache
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(request);
          // Every client route is the same page; keep it if it is the app.
          if (response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html')) {
            event.waitUntil(keepPage(response.clone()));
          }
          return response;
        } catch (err) {
          const cached = await caches.match(PAGE);
          if (cached) return cached;
          throw err;
        }
      })(),
    );
    return;
  }
  if (url.pathname.startsWith('/v/') || EXTRA.includes(url.pathname)) {
    event.respondWith(
      (async () => {
        const cached = await caches.match(request);
        if (cached && url.pathname.startsWith('/v/')) return cached;
        try {
          const response = await fetch(request);
          if (response.ok) {
            const copy = response.clone();
            event.waitUntil(caches.open(CACHE).then((c) => c.put(request, copy)));
          }
          return response;
        } catch (err) {
          if (cached) return cached;
          throw err;
        }
      })(),
    );
  }
});

/** `#/room/<id>` as the router builds it; the payload's `url` only if it is one of ours. */
function targetUrl(data) {
  const url = typeof data?.url === 'string' ? data.url : '';
  if (url.startsWith('/#/room/')) return url;
  if (typeof data?.room_id === 'string') return `/#/room/${encodeURIComponent(data.room_id)}`;
  return '/';
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data?.text() ?? '' };
  }
  const roomId = typeof data.room_id === 'string' ? data.room_id : null;
  const options = {
    body: typeof data.body === 'string' ? data.body : '',
    icon: '/icons/icon-192.png',
    badge: '/icons/maskable-192.png',
    data: { room_id: roomId, url: targetUrl(data) },
  };
  if (roomId) {
    options.tag = roomId;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(data.title || 'Hearth', options));
});

/**
 * Shows the room of a clicked notification: in an open window of the app
 * (told by a message, which works whether or not this worker controls it, and
 * without a reload), or in a new window.
 */
async function openRoom(data) {
  const href = new URL(targetUrl(data), self.location.origin).href;
  const roomId = typeof data?.room_id === 'string' ? data.room_id : null;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (!client) return self.clients.openWindow(href);
  await client.focus().catch(() => {});
  if (roomId) client.postMessage({ type: 'open-room', room_id: roomId });
  return client;
}
// Tests call it directly: a headless browser has no notification to click.
self.hearthOpenRoom = openRoom;

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openRoom(event.notification.data));
});
