import Emitter from 'lib/emitter.js';

/** Fields of a room that are the same for every member (safe to take from shared frames). */
const SHARED_FIELDS = [
  'name', 'topic', 'description', 'avatar_url', 'anonymous_allowed', 'archived', 'member_count', 'kind',
];

/**
 * The rooms the user belongs to, with their unread and mention counts and last
 * message: what the sidebar shows. Events: `change`.
 */
export default class RoomList extends Emitter {
  #rooms = new Map();

  get(id) {
    return this.#rooms.get(id) ?? null;
  }

  has(id) {
    return this.#rooms.has(id);
  }

  all() {
    return [...this.#rooms.values()];
  }

  /** Replaces everything with the server's list. */
  setAll(rooms) {
    this.#rooms = new Map(rooms.map((r) => [r.id, { ...r }]));
    this.emit('change');
  }

  /** A room as seen by this user (GET /rooms/{id}, room.joined, create, join). */
  upsert(room) {
    const old = this.#rooms.get(room.id);
    this.#rooms.set(room.id, { ...old, ...room });
    this.emit('change');
  }

  /** A room.updated frame: only the shared fields are taken. */
  updateShared(room) {
    const old = this.#rooms.get(room.id);
    if (!old) return;
    for (const key of SHARED_FIELDS) if (key in room) old[key] = room[key];
    this.emit('change');
  }

  patch(id, fields) {
    const room = this.#rooms.get(id);
    if (!room) return;
    Object.assign(room, fields);
    this.emit('change');
  }

  remove(id) {
    if (this.#rooms.delete(id)) this.emit('change');
  }

  /** `ready.rooms` / `resync.rooms`. Unknown ids mean the list is stale. */
  applyPositions(positions) {
    let stale = false;
    for (const p of positions) {
      const room = this.#rooms.get(p.id);
      if (!room) {
        stale = true;
        continue;
      }
      room.last_seq = Math.max(room.last_seq ?? 0, p.last_seq);
      room.read_seq = p.read_seq;
      room.unread = p.unread;
      room.mention_count = p.mention_count ?? room.mention_count ?? 0;
    }
    const ids = new Set(positions.map((p) => p.id));
    for (const id of [...this.#rooms.keys()]) {
      if (!ids.has(id)) {
        this.#rooms.delete(id);
        stale = true;
      }
    }
    this.emit('change');
    return stale;
  }

  /** A message created, edited or deleted in a room. */
  onMessage(message, { meId, counts }) {
    const room = this.#rooms.get(message.room_id);
    if (!room) return;
    const isNew = message.seq > (room.last_message?.seq ?? -1);
    if (isNew || room.last_message?.id === message.id) room.last_message = message;
    room.last_seq = Math.max(room.last_seq ?? 0, message.updated_seq ?? message.seq);
    if (counts && isNew && !message.deleted && message.sender?.id !== meId && message.seq > (room.read_seq ?? 0)) {
      room.unread = (room.unread ?? 0) + 1;
      if (RoomList.mentions(message, meId)) room.mention_count = (room.mention_count ?? 0) + 1;
    }
    this.emit('change');
  }

  /** The caller's read marker moved. */
  /** A user's public profile changed: DM peers and last-message senders follow. */
  updateUser(user) {
    let changed = false;
    for (const room of this.#rooms.values()) {
      if (room.peer?.id === user.id) {
        room.peer = { ...room.peer, ...user };
        changed = true;
      }
      if (room.last_message?.sender?.id === user.id) {
        room.last_message = { ...room.last_message, sender: { ...room.last_message.sender, ...user } };
        changed = true;
      }
    }
    if (changed) this.emit('change');
  }

  setRead(id, { read_seq, unread, mention_count }) {
    const room = this.#rooms.get(id);
    if (!room) return;
    room.read_seq = Math.max(room.read_seq ?? 0, read_seq);
    if (unread !== undefined) room.unread = unread;
    if (mention_count !== undefined) room.mention_count = mention_count;
    this.emit('change');
  }

  /** Sum shown in the tab title: unread in DMs and mentions elsewhere, else all unread. */
  get titleCount() {
    let n = 0;
    for (const r of this.#rooms.values()) n += r.unread ?? 0;
    return n;
  }

  /** Sidebar sections: channels by name, groups and DMs by recent activity. */
  sections() {
    const byActivity = (a, b) => RoomList.activity(b) - RoomList.activity(a) || RoomList.name(a).localeCompare(RoomList.name(b));
    const all = this.all().filter((r) => !r.archived);
    return {
      channels: all.filter((r) => r.kind === 'channel').sort((a, b) => RoomList.name(a).localeCompare(RoomList.name(b))),
      groups: all.filter((r) => r.kind === 'group').sort(byActivity),
      dms: all.filter((r) => r.kind === 'dm').sort(byActivity),
    };
  }

  static activity(room) {
    const at = room.last_message?.created_at ?? room.created_at;
    return at ? new Date(at).getTime() : 0;
  }

  static name(room) {
    if (!room) return '';
    if (room.kind === 'dm') return room.peer?.display_name || room.peer?.username || room.name || 'Direct message';
    return room.name || (room.kind === 'group' ? 'Unnamed group' : 'channel');
  }

  static mentions(message, meId) {
    return Boolean(message.mentions_room || message.mentions?.includes(meId));
  }
}
