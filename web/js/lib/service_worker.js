/**
 * Registers web/sw.js for the whole client (the offline shell, Web Push) and
 * follows what it asks of the page: `open-room` when a notification is
 * clicked.
 */
export default class ServiceWorker {
  /** @param {(roomId: string) => void} onOpenRoom */
  static start(onOpenRoom) {
    if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker.addEventListener('message', (e) => {
      const d = e.data;
      if (d?.type === 'open-room' && typeof d.room_id === 'string' && d.room_id) onOpenRoom(d.room_id);
    });
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // no offline shell; the app works without it
    });
  }
}
