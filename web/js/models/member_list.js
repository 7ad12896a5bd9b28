import Emitter from 'lib/emitter.js';

const RANK = { member: 0, moderator: 1, admin: 2, owner: 3 };

/** The members of one room, with their roles and receipts. Events: `change`. */
export default class MemberList extends Emitter {
  loaded = false;
  #members = new Map();

  set(members) {
    this.#members = new Map(members.map((m) => [m.user.id, m]));
    this.loaded = true;
    this.emit('change');
  }

  get(userId) {
    return this.#members.get(userId) ?? null;
  }

  all() {
    return [...this.#members.values()];
  }

  upsert(member) {
    this.#members.set(member.user.id, { ...this.#members.get(member.user.id), ...member });
    this.emit('change');
  }

  /** A user's public profile changed (`user.updated`). */
  updateUser(user) {
    const m = this.#members.get(user.id);
    if (!m) return;
    this.#members.set(user.id, { ...m, user: { ...m.user, ...user } });
    this.emit('change');
  }

  remove(userId) {
    if (this.#members.delete(userId)) this.emit('change');
  }

  receipt(userId, kind, seq) {
    const m = this.#members.get(userId);
    if (!m) return;
    if (kind === 'read') {
      m.read_seq = Math.max(m.read_seq ?? 0, seq);
      m.delivered_seq = Math.max(m.delivered_seq ?? 0, seq);
    } else {
      m.delivered_seq = Math.max(m.delivered_seq ?? 0, seq);
    }
    this.emit('change');
  }

  static rank(role) {
    return RANK[role] ?? -1;
  }

  /** My rank in `room`: a server admin moderates every group and channel as its owner would. */
  static myRank(room, me) {
    if (me?.is_admin && room && room.kind !== 'dm' && room.my_role) return RANK.owner;
    return MemberList.rank(room?.my_role);
  }
}
