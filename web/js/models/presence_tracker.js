import Emitter from '../lib/emitter.js';

/** Online / idle / offline of the people we see. Events: `change` (user id). */
export default class PresenceTracker extends Emitter {
  #users = new Map();

  set(userId, status, lastSeen = null) {
    this.#users.set(userId, { status, last_seen: lastSeen });
    this.emit('change', userId);
  }

  status(userId) {
    return this.#users.get(userId)?.status ?? 'offline';
  }

  lastSeen(userId) {
    return this.#users.get(userId)?.last_seen ?? null;
  }
}
