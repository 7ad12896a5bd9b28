import Emitter from 'lib/emitter.js';

const EXPIRE_MS = 6_000;

/** Who is typing where; entries expire after 6 s. Events: `change` (room id). */
export default class TypingTracker extends Emitter {
  #rooms = new Map();
  #timers = new Map();

  add(roomId, userId) {
    if (!this.#rooms.has(roomId)) this.#rooms.set(roomId, new Set());
    this.#rooms.get(roomId).add(userId);
    const key = `${roomId}:${userId}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.set(key, setTimeout(() => this.remove(roomId, userId), EXPIRE_MS));
    this.emit('change', roomId);
  }

  remove(roomId, userId) {
    const key = `${roomId}:${userId}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    if (this.#rooms.get(roomId)?.delete(userId)) this.emit('change', roomId);
  }

  in(roomId) {
    return [...(this.#rooms.get(roomId) ?? [])];
  }

  clear() {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#rooms.clear();
  }
}
