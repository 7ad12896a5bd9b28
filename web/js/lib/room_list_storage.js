/**
 * The last room list the server sent, per user, in localStorage: a start
 * without network (the service worker's offline shell) shows the sidebar and
 * lets the outbox's pending messages be seen in their rooms.
 */
export default class RoomListStorage {
  #key;

  constructor(userId) {
    this.#key = `hearth.rooms.${userId}`;
  }

  load() {
    try {
      const rooms = JSON.parse(localStorage.getItem(this.#key) ?? '[]');
      return Array.isArray(rooms) ? rooms.filter((r) => typeof r?.id === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Signed out: no user's list stays behind. */
  static clearAll() {
    for (const key of Object.keys(localStorage)) if (key.startsWith('hearth.rooms.')) localStorage.removeItem(key);
  }

  save(rooms) {
    try {
      localStorage.setItem(this.#key, JSON.stringify(rooms));
    } catch {
      // storage full or blocked: the next online start fetches the list anyway
    }
  }
}
