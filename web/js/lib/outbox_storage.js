/**
 * Keeps messages that are not acknowledged yet in localStorage, per user, so
 * they survive a reload or a closed tab and are sent when the client is back.
 */
export default class OutboxStorage {
  #key;

  constructor(userId) {
    this.#key = `hearth.outbox.${userId}`;
  }

  load() {
    try {
      const items = JSON.parse(localStorage.getItem(this.#key) ?? '[]');
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  save(items) {
    if (items.length === 0) localStorage.removeItem(this.#key);
    else localStorage.setItem(this.#key, JSON.stringify(items));
  }
}
