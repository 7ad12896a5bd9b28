// Hearth's service worker: shows Web Push notifications and opens the room
// when one is clicked. Served at /sw.js so its scope is the whole client.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** `#/room/<id>` as the router builds it; the payload's `url` only if it is one of ours. */
function targetUrl(data) {
  const url = typeof data?.url === 'string' ? data.url : '';
  if (url.startsWith('/#/room/')) return url;
  if (data?.room_id) return `/#/room/${encodeURIComponent(data.room_id)}`;
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
    icon: '/favicon.svg',
    data: { room_id: roomId, url: targetUrl(data) },
  };
  if (roomId) {
    options.tag = roomId;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(data.title || 'Hearth', options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const href = new URL(targetUrl(event.notification.data), self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const client = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (!client) return self.clients.openWindow(href);
      await client.focus();
      // A hash change only: the open app follows it without reloading.
      if (client.url !== href && 'navigate' in client) {
        try {
          await client.navigate(href);
        } catch {
          // not controlled by this worker; focusing is the best we can do
        }
      }
      return undefined;
    })(),
  );
});
