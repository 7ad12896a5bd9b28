import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import RoomList from 'models/room_list.js';
import MemberList from 'models/member_list.js';
import TimelineKeys from 'views/timeline_keys.js';
import MessageView from 'views/message_view.js';
import AttachmentView from 'views/attachment_view.js';

const GROUP_WINDOW_MS = 5 * 60_000;

/** Pages loaded at most to reach the first unread message on opening. */
const MAX_UNREAD_PAGES = 10;

/**
 * The scrolling history of a room. Renders by reconciling keyed elements, so a
 * message is rebuilt only when it changed; keeps the reading position when
 * older pages are prepended; follows the bottom when the reader is there.
 * A room with unread messages opens at the first of them; what scrolls into
 * view is reported as seen, which is what marks the room read.
 */
export default class TimelineView {
  el;
  #list;
  #ctx;
  #roomId;
  #tl;
  #members;
  #nodes = new Map();
  #attachments = new Map();
  #stick = true;
  /** A smooth "Jump to latest" is under way: its own scroll events must not unstick it. */
  #jumping = false;
  #dividerSeq;
  #positioned = false;
  #scheduled = false;
  #toLatest;
  #toUnread;
  /** Set once the timeline holds the first unread message (or all it could load). */
  #unreadLoaded;
  #resize;
  #off = [];

  /**
   * @param ctx {chat, media, actions} actions: react, pickReaction, reply, edit, delete, retry, discard
   * @param roomId
   * @param dividerSeq the read marker when the room was opened: "new" goes after it
   */
  constructor(ctx, roomId, dividerSeq) {
    this.#ctx = ctx;
    this.#roomId = roomId;
    this.#dividerSeq = dividerSeq;
    this.#tl = ctx.chat.timeline(roomId);
    this.#members = ctx.chat.members(roomId);
    this.#list = Dom.h('div', { class: 'timeline__list' });
    this.#toLatest = Dom.h(
      'button',
      { class: 'to-latest', type: 'button', hidden: true, 'aria-label': 'Jump to latest messages', onclick: () => this.scrollToBottom(true) },
      Icons.get('back', { size: 16, className: 'rot-270' }),
      'Jump to latest',
    );
    this.#toUnread = Dom.h(
      'button',
      { class: 'to-unread', type: 'button', hidden: true, onclick: () => this.scrollToUnread() },
      Icons.get('back', { size: 16, className: 'rot-90' }),
      'Jump to unread',
    );
    this.el = Dom.h(
      'div',
      { class: 'timeline-wrap' },
      Dom.h('div', { class: 'timeline', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' }, this.#list),
      this.#toUnread,
      this.#toLatest,
    );
    this.#scroller.addEventListener('scroll', () => this.#onScroll(), { passive: true });
    // The reader taking over ends a jump (a smooth scroll stops there).
    for (const type of ['wheel', 'touchstart', 'keydown', 'mousedown']) {
      this.#scroller.addEventListener(type, () => { this.#jumping = false; }, { passive: true });
    }
    TimelineKeys.attach(this.#scroller);
    this.#resize = new ResizeObserver(() => {
      if (this.#stick) this.scrollToBottom();
    });
    this.#resize.observe(this.#list);
    const schedule = () => this.#schedule();
    this.#off.push(
      this.#tl.on('change', schedule),
      this.#members.on('change', schedule),
      ctx.chat.outbox.on('change', (roomId) => roomId === this.#roomId && schedule()),
    );
    this.#unreadLoaded = dividerSeq === null;
    if (!this.#unreadLoaded) {
      ctx.chat
        .loadUntil(roomId, (tl) => !tl.hasMoreBefore || (tl.oldestSeq !== null && tl.oldestSeq <= dividerSeq), MAX_UNREAD_PAGES)
        .finally(() => {
          this.#unreadLoaded = true;
          this.#schedule();
        });
    }
    this.render();
  }

  get #scroller() {
    return this.el.firstChild;
  }

  disconnect() {
    this.#off.forEach((off) => off());
    this.#resize.disconnect();
  }

  scrollToBottom(smooth = false) {
    this.#stick = true;
    const s = this.#scroller;
    // Renders meanwhile (read markers moving as messages pass) keep it
    // stuck to the bottom instead of restoring an anchor, which would stop
    // the smooth scroll half-way.
    this.#jumping = smooth;
    if (smooth) s.scrollTo({ top: s.scrollHeight, behavior: 'smooth' });
    else s.scrollTop = s.scrollHeight;
    this.#toLatest.hidden = true;
  }

  /** Brings the "New messages" divider (the first unread message) to the top. */
  scrollToUnread() {
    const divider = this.#list.querySelector('.new-divider');
    if (!divider) return;
    this.#stick = false;
    this.#jumping = false;
    this.#scroller.scrollTop = Math.max(0, divider.offsetTop - 60);
    this.#onScroll();
  }

  /** Scrolls to a message (loading older pages as needed) and flashes it. */
  async jumpTo({ messageId = null, seq = null }) {
    const found = await this.#ctx.chat.loadUntil(this.#roomId, (tl) =>
      messageId ? Boolean(tl.find(messageId)) : tl.oldestSeq !== null && tl.oldestSeq <= seq,
    );
    this.render();
    let el = null;
    if (messageId) el = this.#list.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
    else {
      const candidates = [...this.#list.querySelectorAll('[data-seq]')];
      el = candidates.find((c) => Number(c.dataset.seq) >= seq) ?? null;
    }
    if (!found || !el) {
      this.#ctx.toast?.('That message is no longer available.');
      return false;
    }
    this.#stick = false;
    this.#jumping = false;
    el.scrollIntoView({ block: 'center' });
    el.classList.remove('msg--flash');
    void el.offsetWidth;
    el.classList.add('msg--flash');
    el.focus({ preventScroll: true });
    this.#positioned = true;
    return true;
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.render();
    });
  }

  render() {
    const s = this.#scroller;
    const anchor = this.#stick ? null : this.#captureAnchor();
    Dom.reconcile(this.#list, this.#buildNodes());
    if (this.#stick) {
      s.scrollTop = s.scrollHeight;
    } else if (anchor) {
      // The anchor's element may have been rebuilt (e.g. it became grouped), so find it by id.
      const el = anchor.el.isConnected ? anchor.el : this.#list.querySelector(`[data-message-id="${CSS.escape(anchor.id)}"]`);
      if (el) s.scrollTop = el.offsetTop - anchor.delta;
    }
    if (!this.#positioned && this.#tl.loaded && this.#unreadLoaded) {
      this.#positioned = true;
      const divider = this.#list.querySelector('.new-divider');
      if (divider && s.scrollHeight - divider.offsetTop > s.clientHeight) {
        this.#stick = false;
        s.scrollTop = Math.max(0, divider.offsetTop - 60);
      } else if (!divider && this.#dividerSeq !== null && this.#tl.hasMoreBefore) {
        // More unread than we load at once: start at the oldest loaded.
        this.#stick = false;
        s.scrollTop = 0;
      }
    }
    if (!this.#positioned) return;
    if (this.#tl.loaded && this.#tl.hasMoreBefore && !this.#tl.loadingOlder && s.scrollHeight <= s.clientHeight + 50) {
      this.#ctx.chat.loadOlder(this.#roomId);
    }
    this.#reportSeen();
  }

  /** Tells the chat the newest message wholly on screen, and shows the jump buttons. */
  #reportSeen() {
    const s = this.#scroller;
    const bottom = s.scrollTop + s.clientHeight + 2;
    const divider = this.#list.querySelector('.new-divider');
    this.#toUnread.hidden = !divider || divider.offsetTop + divider.offsetHeight > s.scrollTop;
    if (s.clientHeight === 0) return;
    const items = this.#list.children;
    for (let i = items.length - 1; i >= 0; i--) {
      const el = items[i];
      if (!el.dataset.seq) continue;
      // Wholly on screen, or a tall one read into its upper half.
      if (el.offsetTop + el.offsetHeight <= bottom || el.offsetTop <= bottom - s.clientHeight / 2) {
        this.#ctx.chat.seen(this.#roomId, Number(el.dataset.seq));
        return;
      }
    }
  }

  #captureAnchor() {
    const top = this.#scroller.scrollTop;
    for (const el of this.#list.children) {
      if (el.offsetTop + el.offsetHeight > top && el.dataset.messageId) return { el, id: el.dataset.messageId, delta: el.offsetTop - top };
    }
    return null;
  }

  #onScroll() {
    const s = this.#scroller;
    const fromBottom = s.scrollHeight - s.scrollTop - s.clientHeight;
    if (this.#jumping) {
      if (fromBottom < 40) this.#jumping = false;
    } else {
      this.#stick = fromBottom < 40;
    }
    this.#toLatest.hidden = fromBottom < s.clientHeight;
    if (!this.#positioned) return;
    if (s.scrollTop < 400 && this.#tl.loaded && this.#tl.hasMoreBefore && !this.#tl.loadingOlder) {
      this.#ctx.chat.loadOlder(this.#roomId);
    }
    this.#reportSeen();
  }

  #buildNodes() {
    const { chat } = this.#ctx;
    const me = chat.me;
    const room = chat.rooms.get(this.#roomId);
    const tl = this.#tl;
    const nodes = [];
    const used = new Set();
    const keep = (key, build) => {
      used.add(key);
      let el = this.#nodes.get(key);
      if (!el) {
        el = build();
        this.#nodes.set(key, el);
      }
      nodes.push(el);
      return el;
    };
    if (!tl.loaded) {
      // A load that failed (offline start): say so, and still show the outbox.
      const waiting = !tl.loading && chat.connection !== 'ready';
      if (waiting) keep('waiting', () => Dom.h('div', { class: 'timeline__loading', role: 'status' }, 'Messages will load when you are back online.'));
      else keep('loading', () => Dom.h('div', { class: 'timeline__loading', role: 'status' }, Dom.h('span', { class: 'spinner' }), 'Loading messages…'));
      if (!waiting || chat.outbox.forRoom(this.#roomId).length === 0) {
        this.#gc(used);
        return nodes;
      }
    } else if (tl.hasMoreBefore) {
      keep('older', () => Dom.h('div', { class: 'timeline__older', role: 'status' }, Dom.h('span', { class: 'spinner' }), 'Loading older messages…'));
    } else {
      keep(`intro|${room?.name}|${room?.topic}`, () => TimelineView.#intro(room));
    }
    const myRank = MemberList.myRank(room, me);
    const peer = room?.kind === 'dm' ? this.#members.all().find((m) => m.user.id !== me.id) : null;
    const newest = tl.newest;
    let prev = null;
    let dividerShown = false;
    const items = [
      ...tl.messages.map((m) => ({ m, pending: null })),
      ...chat.outbox.forRoom(this.#roomId).map((item) => ({ m: TimelineView.#pendingShape(item, me), pending: item })),
    ];
    for (const { m, pending } of items) {
      const day = Format.dayKey(m.created_at);
      let breakGroup = false;
      if (!prev || Format.dayKey(prev.created_at) !== day) {
        keep(`day|${day}`, () => Dom.h('div', { class: 'day-sep', role: 'separator' }, Dom.h('span', null, Format.dayLabel(m.created_at))));
        breakGroup = true;
      }
      const mine = Boolean(m.sender && m.sender.id === me.id);
      if (!dividerShown && !pending && this.#dividerSeq !== null && m.seq > this.#dividerSeq && !mine) {
        dividerShown = true;
        keep('new', () => Dom.h('div', { class: 'new-divider', role: 'separator', 'aria-label': 'New messages' }, Dom.h('span', null, 'New messages')));
        breakGroup = true;
      }
      // A tombstone names no sender: it sits inside the run around it
      // rather than breaking it, and the run goes on past it.
      const tombstone = m.deleted && !m.sender;
      const grouped =
        !breakGroup &&
        prev &&
        !m.reply_to &&
        (tombstone || (m.sender && prev.sender?.id === m.sender.id && !m.anonymous)) &&
        new Date(m.created_at) - new Date(prev.created_at) < GROUP_WINDOW_MS;
      let receipt = null;
      if (peer && mine && !pending) {
        if ((peer.read_seq ?? 0) >= m.seq) receipt = 'read';
        else if ((peer.delivered_seq ?? 0) >= m.seq) receipt = 'delivered';
        else receipt = 'sent';
      }
      let seenBy = null;
      if (room?.kind === 'group' && newest && m === newest) {
        seenBy = this.#members
          .all()
          .filter((x) => x.user.id !== me.id && x.user.id !== m.sender?.id && (x.read_seq ?? 0) >= m.seq)
          .map((x) => x.user);
      }
      const replyTarget = m.reply_to ? tl.find(m.reply_to) : null;
      const mentionsMe = !mine && !m.deleted && RoomList.mentions(m, me.id);
      const canDelete = !pending && !m.deleted && (mine || myRank >= MemberList.rank('moderator'));
      const canPin = !pending && !m.deleted && room?.kind !== 'dm' && myRank >= MemberList.rank('moderator');
      const key = pending
        ? `p|${pending.nonce}|${pending.status}|${pending.error}|${grouped}`
        : [
            m.id,
            m.updated_seq,
            m.sender && `${m.sender.display_name}:${m.sender.avatar_url}`,
            m.edited_at,
            grouped,
            receipt,
            seenBy?.map((u) => u.id).join(','),
            replyTarget ? `${replyTarget.id}:${replyTarget.updated_seq}` : '',
            canDelete,
            canPin,
            mentionsMe,
            m.reactions.map((r) => `${r.emoji}${r.count}${r.me}`).join(),
          ].join('|');
      keep(key, () =>
        MessageView.build(m, {
          me,
          mine,
          grouped,
          pending,
          receipt,
          seenBy,
          replyTarget,
          mentionsMe,
          canEdit: mine && !pending,
          canDelete,
          canPin,
          attachment: (a) => this.#attachment(a),
          actions: this.#ctx.actions,
        }),
      );
      if (!tombstone || !grouped) prev = m;
    }
    this.#gc(used);
    return nodes;
  }

  #attachment(a) {
    let el = this.#attachments.get(a.id);
    if (!el) {
      el = AttachmentView.build(a, this.#ctx.media);
      this.#attachments.set(a.id, el);
    }
    return el;
  }

  #gc(used) {
    for (const key of this.#nodes.keys()) if (!used.has(key)) this.#nodes.delete(key);
  }

  static #pendingShape(item, me) {
    return {
      id: null,
      seq: Infinity,
      body: item.body,
      sender: item.anonymous ? null : me,
      anonymous: item.anonymous,
      created_at: item.created_at,
      reply_to: item.reply_to,
      reactions: [],
      attachments: [],
      deleted: false,
    };
  }

  static #intro(room) {
    const name = RoomList.name(room);
    let text;
    if (room?.kind === 'dm') text = `This is the beginning of your conversation with ${name}.`;
    else if (room?.kind === 'group') text = `This is the beginning of the private group ${name}.`;
    else text = `This is the very beginning of the #${name} channel.${room?.topic ? ` ${room.topic}` : ''}`;
    return Dom.h(
      'div',
      { class: 'timeline__intro' },
      room?.kind === 'dm'
        ? Avatar.create(room.peer, { size: 56 })
        : Dom.h('span', { class: 'timeline__intro-icon' }, Icons.get(room?.kind === 'group' ? 'lock' : 'hash', { size: 28 })),
      Dom.h('h3', { class: 'timeline__intro-title' }, room?.kind === 'channel' ? `#${name}` : name),
      Dom.h('p', { class: 'timeline__intro-text' }, text),
    );
  }
}
