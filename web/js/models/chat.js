import Emitter from 'lib/emitter.js';
import Gateway from 'lib/gateway.js';
import RoomList from 'models/room_list.js';
import Timeline from 'models/timeline.js';
import Outbox from 'models/outbox.js';
import RoomListStorage from 'lib/room_list_storage.js';
import TypingTracker from 'models/typing_tracker.js';
import PresenceTracker from 'models/presence_tracker.js';
import MemberList from 'models/member_list.js';

const PAGE = 50;
const CATCH_UP_PAGE = 100;

/**
 * The client's state and the rules that keep it right: gateway events folded
 * into rooms, timelines and members; catching up after every (re)connect with
 * `after=` pages so nothing is missed or doubled; the outbox flushed when ready.
 *
 * Events: `connection` (state), `me`, `notification` (frame d), `room-gone` (id),
 * `message` (each message that arrives or changes, as it arrives),
 * `error` (message for a toast), `auth-lost` (`revoked` or `expired`).
 */
export default class Chat extends Emitter {
  api;
  gateway;
  rooms = new RoomList();
  outbox;
  typing = new TypingTracker();
  presence = new PresenceTracker();
  /** Rooms above this many members carry no presence events (from `ready`). */
  presenceRoomLimit = 100;
  activeRoomId = null;
  #session;
  #timelines = new Map();
  #members = new Map();
  #readTimers = new Map();
  /** Per room, the newest seq the reader has had on screen (reported by the timeline view). */
  #seen = new Map();
  #deliveredTimers = new Map();
  #lastTypingSent = new Map();
  #unsubscribe = [];
  #started = false;
  #keepTimer = null;
  #onVisibility = () => this.#visibilityChanged();

  constructor(session, api) {
    super();
    this.#session = session;
    this.api = api;
    this.gateway = new Gateway(session);
    this.outbox = new Outbox(this.gateway);
  }

  get me() {
    return this.#session.user;
  }

  get connection() {
    return this.gateway.state;
  }

  async start() {
    if (this.#started) return;
    this.#started = true;
    this.outbox.load(this.me.id);
    this.#unsubscribe.push(
      this.gateway.on('ready', (d) => this.#onReady(d)),
      this.gateway.on('event', (f) => this.#onEvent(f)),
      this.gateway.on('down', () => this.outbox.connectionLost()),
      this.gateway.on('state', (s) => this.emit('connection', s)),
      this.gateway.on('auth-lost', () => this.emit('auth-lost', 'expired')),
      this.gateway.on('revoked', () => this.emit('auth-lost', 'revoked')),
      this.outbox.on('sent', ({ message }) => this.#takeMessage(message, false)),
      this.rooms.on('change', () => this.#keepRooms()),
    );
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.gateway.start();
    await this.refreshRooms().catch(() => {});
  }

  stop() {
    this.#started = false;
    clearTimeout(this.#keepTimer);
    this.#keepTimer = null;
    this.#unsubscribe.forEach((off) => off());
    this.#unsubscribe = [];
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.gateway.stop();
    this.typing.clear();
  }

  /** Keeps the room list for an offline start, at most every 300 ms while it changes. */
  #keepRooms() {
    if (this.#keepTimer) return;
    this.#keepTimer = setTimeout(() => {
      this.#keepTimer = null;
      if (this.me) new RoomListStorage(this.me.id).save(this.rooms.all());
    }, 300);
  }

  async refreshRooms() {
    const storage = new RoomListStorage(this.me.id);
    let rooms;
    try {
      rooms = await this.api.rooms();
    } catch (err) {
      // Offline start: the last list, so the sidebar and the outbox show.
      if (this.rooms.all().length === 0 && !err.status) this.rooms.setAll(storage.load());
      throw err;
    }
    this.rooms.setAll(rooms);
    if (this.activeRoomId) this.markRead(this.activeRoomId);
  }

  // ---- timelines -------------------------------------------------------

  timeline(roomId) {
    if (!this.#timelines.has(roomId)) this.#timelines.set(roomId, new Timeline(roomId));
    return this.#timelines.get(roomId);
  }

  members(roomId) {
    if (!this.#members.has(roomId)) this.#members.set(roomId, new MemberList());
    return this.#members.get(roomId);
  }

  /**
   * Makes a room the visible one and loads what it needs. It is marked read
   * only as far as the timeline view reports the reader has seen ([`seen`]).
   */
  async openRoom(roomId) {
    this.activeRoomId = roomId;
    this.#seen.delete(roomId);
    const tl = this.timeline(roomId);
    const loads = [];
    if (!tl.loaded && !tl.loading) loads.push(this.#loadLatest(tl));
    loads.push(this.loadMembers(roomId));
    await Promise.allSettled(loads);
  }

  closeRoom() {
    if (this.activeRoomId) this.#seen.delete(this.activeRoomId);
    this.activeRoomId = null;
  }

  /** The reader has had everything up to `seq` of the open room on screen. */
  seen(roomId, seq) {
    if (seq <= (this.#seen.get(roomId) ?? 0)) return;
    this.#seen.set(roomId, seq);
    this.markRead(roomId);
  }

  async loadMembers(roomId) {
    try {
      const list = await this.api.members(roomId);
      this.members(roomId).set(list);
      // Presence of members we get no events for (rooms above the limit).
      this.presence.seed(list.map((m) => ({ user_id: m.user.id, status: m.presence })));
    } catch (err) {
      if (!err.isTransient) return;
      throw err;
    }
  }

  async #loadLatest(tl) {
    tl.loading = true;
    try {
      tl.setLatest(await this.api.messages(tl.roomId, { limit: PAGE }));
    } catch (err) {
      // Offline, the timeline says so and loads on reconnect (#onReady).
      if (!err.isNetwork) this.emit('error', `Could not load messages: ${err.message}`);
    } finally {
      tl.loading = false;
      tl.emit('change');
    }
  }

  async loadOlder(roomId) {
    const tl = this.timeline(roomId);
    if (!tl.loaded || tl.loadingOlder || !tl.hasMoreBefore) return false;
    tl.loadingOlder = true;
    tl.emit('change');
    try {
      const before = tl.oldestSeq ?? undefined;
      tl.addOlder(await this.api.messages(roomId, { before, limit: PAGE }));
      return true;
    } catch (err) {
      this.emit('error', `Could not load older messages: ${err.message}`);
      return false;
    } finally {
      tl.loadingOlder = false;
      tl.emit('change');
    }
  }

  /** Loads older pages until `found(timeline)` holds (jumping to a message). */
  async loadUntil(roomId, found, maxPages = 40) {
    const tl = this.timeline(roomId);
    while (!tl.loaded) {
      if (!tl.loading) await this.#loadLatest(tl);
      else await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < maxPages && !found(tl); i++) {
      if (!tl.hasMoreBefore) break;
      if (!(await this.loadOlder(roomId))) break;
    }
    return found(tl);
  }

  // ---- writing ---------------------------------------------------------

  send(roomId, fields) {
    const item = this.outbox.add({ room_id: roomId, ...fields });
    this.#lastTypingSent.delete(roomId);
    return item;
  }

  async edit(roomId, id, body) {
    const m = await this.api.editMessage(roomId, id, body);
    this.#takeMessage(m, false);
  }

  async deleteMessage(roomId, id) {
    const m = await this.api.deleteMessage(roomId, id);
    if (m?.id) this.#takeMessage(m, false);
  }

  async toggleReaction(roomId, message, emoji) {
    const mine = message.reactions.find((r) => r.emoji === emoji)?.me ?? false;
    const m = await this.api.react(roomId, message.id, emoji, !mine);
    if (m?.id) this.#takeMessage(m, false);
  }

  typingNow(roomId) {
    const last = this.#lastTypingSent.get(roomId) ?? 0;
    if (Date.now() - last < 3_000) return;
    if (this.gateway.send({ op: 'typing', room_id: roomId })) this.#lastTypingSent.set(roomId, Date.now());
  }

  /**
   * Marks the open room read as far as the reader has seen it, if the page is
   * visible. Having seen the newest message reads the room to its last seq
   * (edits and reactions after it included).
   */
  markRead(roomId) {
    if (document.visibilityState !== 'visible' || this.activeRoomId !== roomId) return;
    const room = this.rooms.get(roomId);
    const seen = this.#seen.get(roomId);
    if (!room || seen === undefined) return;
    const tl = this.#timelines.get(roomId);
    const newest = tl?.newest?.seq ?? 0;
    const all = seen >= newest && seen >= (room.last_message?.seq ?? 0);
    const seq = all ? Math.max(room.last_seq ?? 0, newest, seen) : seen;
    if (seq <= (room.read_seq ?? 0) && !(all && ((room.unread ?? 0) > 0 || (room.mention_count ?? 0) > 0))) return;
    const left = all ? [] : (tl?.messages ?? []).filter((m) => m.seq > seq && !m.deleted && m.sender?.id !== this.me.id);
    this.rooms.setRead(roomId, {
      read_seq: seq,
      unread: all ? 0 : Math.min(room.unread ?? 0, left.length),
      mention_count: all ? 0 : Math.min(room.mention_count ?? 0, left.filter((m) => RoomList.mentions(m, this.me.id)).length),
    });
    clearTimeout(this.#readTimers.get(roomId));
    this.#readTimers.set(
      roomId,
      setTimeout(async () => {
        try {
          const marker = await this.api.markRead(roomId, seq);
          if (marker) this.rooms.setRead(roomId, marker);
        } catch {
          this.gateway.send({ op: 'read', room_id: roomId, seq });
        }
      }, 250),
    );
  }

  /** A room was created or joined here: show it now rather than on the event. */
  addRoom(room) {
    this.rooms.upsert(room);
  }

  forgetRoom(roomId) {
    this.rooms.remove(roomId);
    this.#timelines.delete(roomId);
    this.#members.delete(roomId);
    this.outbox.dropRoom(roomId);
    this.emit('room-gone', roomId);
  }

  // ---- gateway ---------------------------------------------------------

  #onReady(ready) {
    if (ready.user) this.#session.user = ready.user;
    if (ready.presence_room_limit) this.presenceRoomLimit = ready.presence_room_limit;
    this.presence.reset(ready.presence ?? []);
    this.emit('me', this.me);
    // Snapshot what we hold before any live event of this connection arrives.
    const marks = new Map([...this.#timelines].filter(([, t]) => t.loaded).map(([id, t]) => [id, t.maxUpdatedSeq]));
    this.rooms.applyPositions(ready.rooms ?? []);
    this.outbox.flush();
    this.gateway.send({ op: 'presence', status: document.visibilityState === 'visible' ? 'active' : 'idle' });
    this.#catchUp(ready.rooms ?? [], marks);
    // The open room's first load failed (an offline start): load it now.
    const open = this.activeRoomId ? this.timeline(this.activeRoomId) : null;
    if (open && !open.loaded && !open.loading) this.#loadLatest(open);
    // The list itself (names, previews, rooms joined meanwhile) may have moved on too.
    this.refreshRooms().catch(() => {});
    for (const id of this.#members.keys()) this.loadMembers(id).catch(() => {});
  }

  async #catchUp(positions, marks) {
    const last = new Map(positions.map((p) => [p.id, p.last_seq]));
    await Promise.allSettled(
      [...marks].map(async ([roomId, held]) => {
        if (!last.has(roomId)) return;
        if (last.get(roomId) <= held) return;
        const tl = this.timeline(roomId);
        let after = held;
        for (let i = 0; i < 200; i++) {
          const page = await this.api.messages(roomId, { after, limit: CATCH_UP_PAGE });
          tl.merge(page.messages);
          for (const m of page.messages) this.#afterIncoming(m, false);
          const top = Math.max(after, ...page.messages.map((m) => m.updated_seq ?? m.seq));
          tl.advanceTo(page.has_more ? top : Math.max(top, last.get(roomId)));
          if (!page.has_more || top <= after) break;
          after = top;
        }
        if (roomId === this.activeRoomId) this.markRead(roomId);
      }),
    );
  }

  #onEvent({ t, d }) {
    const me = this.me?.id;
    switch (t) {
      case 'ack':
        this.#takeMessage(d.message, false);
        this.outbox.resolve(d.nonce, d.message);
        break;
      case 'error':
        if (d.nonce) this.outbox.reject(d.nonce, d);
        else this.emit('error', d.message);
        break;
      case 'message.created':
      case 'message.updated':
      case 'message.deleted': {
        const m = d.message;
        const isNew = t === 'message.created';
        if (m.nonce) this.outbox.resolve(m.nonce, m);
        this.#takeMessage(m, true);
        if (isNew && m.sender) this.typing.remove(m.room_id, m.sender.id);
        if (isNew && m.sender?.id !== me) this.#delivered(m.room_id, m.seq);
        break;
      }
      case 'reaction.updated':
        this.#timelines.get(d.room_id)?.applyReaction(d, me);
        break;
      case 'typing':
        if (d.user_id !== me) this.typing.add(d.room_id, d.user_id);
        break;
      case 'presence':
        this.presence.set(d.user_id, d.status, d.last_seen);
        break;
      case 'read':
      case 'delivered':
        this.#members.get(d.room_id)?.receipt(d.user_id, t, d.seq);
        if (t === 'read' && d.user_id === me) this.#readElsewhere(d.room_id, d.seq);
        break;
      case 'room.joined':
        if (this.rooms.has(d.room.id)) this.rooms.updateShared(d.room);
        else this.rooms.upsert(d.room);
        break;
      case 'room.updated':
        this.rooms.updateShared(d.room);
        break;
      case 'room.left':
        this.forgetRoom(d.room_id);
        break;
      case 'member.joined':
      case 'member.updated':
        this.#members.get(d.room_id)?.upsert(d.member);
        if (d.member.user.id === me) this.rooms.patch(d.room_id, { my_role: d.member.role });
        if (t === 'member.joined' && d.member.user.id !== me) {
          const room = this.rooms.get(d.room_id);
          if (room) this.rooms.patch(d.room_id, { member_count: (room.member_count ?? 0) + 1 });
        }
        break;
      case 'member.left':
        this.#members.get(d.room_id)?.remove(d.user_id);
        if (d.user_id === me) {
          this.forgetRoom(d.room_id);
          if (d.banned) this.emit('error', 'You were removed from a room.');
        }
        break;
      case 'notification':
        if (d.kind === 'added_to_room' && !this.rooms.has(d.room_id)) this.refreshRooms().catch(() => {});
        this.emit('notification', d);
        break;
      case 'user.updated':
        this.#userUpdated(d.user);
        break;
      case 'resync': {
        const marks = new Map([...this.#timelines].filter(([, tl]) => tl.loaded).map(([id, tl]) => [id, tl.maxUpdatedSeq]));
        this.rooms.applyPositions(d.rooms ?? []);
        this.#catchUp(d.rooms ?? [], marks);
        break;
      }
      default:
        break;
    }
  }

  /** Folds one message into its timeline and the room list. */
  #takeMessage(m, shared) {
    this.emit('message', m);
    const tl = this.#timelines.get(m.room_id);
    tl?.merge([m], { shared });
    tl?.noteChange(m.updated_seq ?? m.seq);
    this.#afterIncoming(m, true);
  }

  #afterIncoming(m, counts) {
    const active = this.activeRoomId === m.room_id && document.visibilityState === 'visible';
    this.rooms.onMessage(m, { meId: this.me?.id, counts: counts && !active });
    if (active) this.markRead(m.room_id);
    if (!this.rooms.has(m.room_id)) this.refreshRooms().catch(() => {});
  }

  #userUpdated(user) {
    if (user.id === this.me?.id) {
      // Our own public fields; the self-only ones we hold stay.
      this.#session.user = { ...this.me, ...user };
      this.emit('me', this.me);
    }
    this.rooms.updateUser(user);
    for (const members of this.#members.values()) members.updateUser(user);
    for (const tl of this.#timelines.values()) tl.updateSender(user);
  }

  #readElsewhere(roomId, seq) {
    const room = this.rooms.get(roomId);
    if (!room || seq <= (room.read_seq ?? 0)) return;
    if (seq >= (room.last_seq ?? 0)) {
      this.rooms.setRead(roomId, { read_seq: seq, unread: 0, mention_count: 0 });
    } else {
      this.api.room(roomId).then((r) => this.rooms.upsert(r), () => {});
    }
  }

  #delivered(roomId, seq) {
    clearTimeout(this.#deliveredTimers.get(roomId));
    this.#deliveredTimers.set(
      roomId,
      setTimeout(() => this.gateway.send({ op: 'delivered', room_id: roomId, seq }), 300),
    );
  }

  #visibilityChanged() {
    const visible = document.visibilityState === 'visible';
    this.gateway.send({ op: 'presence', status: visible ? 'active' : 'idle' });
    if (visible && this.activeRoomId) this.markRead(this.activeRoomId);
  }
}
