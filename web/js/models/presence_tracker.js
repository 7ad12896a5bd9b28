import Emitter from 'lib/emitter.js';

/**
 * Online / idle / offline of the people we see. Events: `change` (a user id,
 * or null when many changed at once).
 *
 * Two sources: `presence` events and `ready.presence` (live: only for people
 * we share a small room with, see docs/protocol.md), and member listings
 * (a snapshot: the only source for members of big rooms). A snapshot never
 * overrides what the live stream told us.
 */
export default class PresenceTracker extends Emitter {
  #users = new Map();

  /** A `presence` event. */
  set(userId, status, lastSeen = null) {
    this.#users.set(userId, { status, last_seen: lastSeen, live: true });
    this.emit('change', userId);
  }

  /** `ready.presence`: who is online or idle now; every other live one is offline. */
  reset(list) {
    const listed = new Set(list.map((p) => p.user_id));
    for (const [id, p] of this.#users) {
      if (p.live && !listed.has(id) && p.status !== 'offline') this.#users.set(id, { ...p, status: 'offline' });
    }
    for (const p of list) this.#users.set(p.user_id, { status: p.status, last_seen: p.last_seen ?? null, live: true });
    this.emit('change', null);
  }

  /** Statuses from a member listing (`[{user_id, status}]`), for those the live stream does not cover. */
  seed(list) {
    let changed = false;
    for (const { user_id: id, status } of list) {
      const cur = this.#users.get(id);
      if (!status || cur?.live || cur?.status === status) continue;
      this.#users.set(id, { status, last_seen: cur?.last_seen ?? null, live: false });
      changed = true;
    }
    if (changed) this.emit('change', null);
  }

  status(userId) {
    return this.#users.get(userId)?.status ?? 'offline';
  }

  lastSeen(userId) {
    return this.#users.get(userId)?.last_seen ?? null;
  }
}
