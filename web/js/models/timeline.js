import Emitter from 'lib/emitter.js';

/**
 * The loaded messages of one room, contiguous from the oldest page fetched to
 * the newest, deduplicated by id and kept in seq order. A change is taken only
 * if it is at least as new (by `updated_seq`) as what is held.
 *
 * `maxUpdatedSeq` is the catch-up cursor: every change of the room with a seq
 * up to it is reflected here, so catching up asks for `after=maxUpdatedSeq`.
 * Live events can arrive slightly out of seq order, so the cursor moves past a
 * live change only once every seq below it has been seen ([`noteChange`]);
 * fetched pages move it directly ([`advanceTo`]). Events: `change`.
 */
export default class Timeline extends Emitter {
  roomId;
  loaded = false;
  loading = false;
  loadingOlder = false;
  hasMoreBefore = true;
  maxUpdatedSeq = 0;
  /** Seqs of live changes seen above the cursor, waiting for the ones below. */
  #aheadOfCursor = new Set();
  #byId = new Map();
  #list = [];

  constructor(roomId) {
    super();
    this.roomId = roomId;
  }

  get messages() {
    return this.#list;
  }

  get oldestSeq() {
    return this.#list[0]?.seq ?? null;
  }

  get newest() {
    return this.#list[this.#list.length - 1] ?? null;
  }

  find(id) {
    return this.#byId.get(id) ?? null;
  }

  findBySeq(seq) {
    return this.#list.find((m) => m.seq === seq) ?? null;
  }

  /**
   * @param {object[]} messages
   * @param {{shared?: boolean}} opts `shared`: from a frame sent to everyone, whose
   *   reactions' `me` cannot be trusted, so the held `me` flags are kept.
   */
  merge(messages, { shared = false } = {}) {
    let changed = false;
    for (const m of messages) {
      if (this.#put(m, shared)) changed = true;
    }
    if (changed) {
      this.#list.sort((a, b) => a.seq - b.seq);
      this.emit('change');
    }
    return changed;
  }

  /** The newest page, fetched when the room is opened. */
  setLatest(page) {
    this.merge(page.messages);
    this.advanceTo(page.last_seq ?? 0);
    if (!this.loaded) this.hasMoreBefore = page.has_more;
    this.loaded = true;
    this.emit('change');
  }

  /** An older page (`before=`). */
  addOlder(page) {
    this.hasMoreBefore = page.has_more;
    this.merge(page.messages);
    this.emit('change');
  }

  /** A reaction.updated frame; `me` is derived from who reacted. */
  applyReaction(ev, meId) {
    const m = this.#byId.get(ev.message_id);
    this.noteChange(ev.seq ?? 0);
    if (!m) return;
    if ((m.updated_seq ?? 0) > (ev.seq ?? 0)) return;
    const mine = new Map(m.reactions.map((r) => [r.emoji, r.me]));
    if (ev.user_id === meId) mine.set(ev.emoji, ev.added);
    const next = {
      ...m,
      updated_seq: ev.seq ?? m.updated_seq,
      reactions: ev.reactions.map((r) => ({ ...r, me: mine.get(r.emoji) ?? false })),
    };
    this.#byId.set(m.id, next);
    this.#list[this.#list.indexOf(m)] = next;
    this.emit('change');
  }

  /** A user's public profile changed: their messages show the new name and avatar. */
  updateSender(user) {
    let changed = false;
    this.#list = this.#list.map((m) => {
      if (m.sender?.id !== user.id) return m;
      const next = { ...m, sender: { ...m.sender, ...user } };
      this.#byId.set(m.id, next);
      changed = true;
      return next;
    });
    if (changed) this.emit('change');
  }

  clear() {
    this.#byId.clear();
    this.#list = [];
    this.loaded = false;
    this.hasMoreBefore = true;
    this.maxUpdatedSeq = 0;
    this.#aheadOfCursor.clear();
    this.emit('change');
  }

  /** A live change with this seq was applied (message event, ack, reaction). */
  noteChange(seq) {
    if (seq <= this.maxUpdatedSeq) return;
    this.#aheadOfCursor.add(seq);
    this.#settleCursor();
  }

  /** A fetched page reflects every change up to `seq`. */
  advanceTo(seq) {
    if (seq > this.maxUpdatedSeq) this.maxUpdatedSeq = seq;
    this.#settleCursor();
  }

  #settleCursor() {
    for (const s of this.#aheadOfCursor) if (s <= this.maxUpdatedSeq) this.#aheadOfCursor.delete(s);
    while (this.#aheadOfCursor.delete(this.maxUpdatedSeq + 1)) this.maxUpdatedSeq += 1;
  }

  #put(m, shared) {
    const old = this.#byId.get(m.id);
    if (old && (old.updated_seq ?? 0) > (m.updated_seq ?? 0)) return false;
    let next = m;
    if (old && shared) {
      const mine = new Map(old.reactions.map((r) => [r.emoji, r.me]));
      next = { ...m, reactions: m.reactions.map((r) => ({ ...r, me: mine.get(r.emoji) ?? false })) };
    }
    if (old && Timeline.#same(old, next)) return false;
    this.#byId.set(m.id, next);
    if (old) this.#list[this.#list.indexOf(old)] = next;
    else this.#list.push(next);
    return true;
  }

  static #same(a, b) {
    return (
      a.updated_seq === b.updated_seq &&
      a.body === b.body &&
      a.deleted === b.deleted &&
      a.pinned === b.pinned &&
      JSON.stringify(a.reactions) === JSON.stringify(b.reactions)
    );
  }
}
