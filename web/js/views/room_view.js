import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import RoomList from 'models/room_list.js';
import TimelineView from 'views/timeline_view.js';
import ComposerView from 'views/composer_view.js';
import EmojiPickerView from 'views/emoji_picker_view.js';
import ModalView from 'views/modal_view.js';
import ProfileCardView from 'views/profile_card_view.js';

/** One open room: header, history, typing line and composer; files can be dropped on it. */
export default class RoomView {
  el;
  roomId;
  #ctx;
  #header;
  #timeline;
  #composer;
  #typing;
  #drop;
  #off = [];

  /** @param ctx {chat, media, uploader, toast, panels: {toggle(name), active}, onBack} */
  constructor(ctx, roomId) {
    this.#ctx = ctx;
    this.roomId = roomId;
    const { chat } = ctx;
    const room = chat.rooms.get(roomId);
    const dividerSeq = room && (room.unread ?? 0) > 0 ? room.read_seq ?? 0 : null;
    const actions = {
      react: (m, emoji) => chat.toggleReaction(roomId, m, emoji).catch((e) => ctx.toast(`Could not react: ${e.message}`)),
      pickReaction: (anchor, m) => EmojiPickerView.open(anchor, (emoji) => actions.react(m, emoji)),
      reply: (m) => this.#composer.replyTo(m),
      edit: (m) => this.#composer.edit(m),
      delete: async (m) => {
        const ok = await ModalView.confirm('Delete message?', 'This message will be removed for everyone.', { confirmLabel: 'Delete', danger: true });
        if (ok) chat.deleteMessage(roomId, m.id).catch((e) => ctx.toast(`Could not delete: ${e.message}`));
      },
      jump: (messageId) => this.#timeline.jumpTo({ messageId }),
      profile: (anchor, who) => ProfileCardView.open(anchor, who, { chat, router: ctx.router, toast: ctx.toast }),
      pin: (m, on) => chat.api.pin(roomId, m.id, on).catch((e) => ctx.toast(`Could not ${on ? 'pin' : 'unpin'}: ${e.message}`)),
      retry: (nonce) => chat.outbox.retry(nonce),
      discard: (nonce) => chat.outbox.discard(nonce),
    };
    this.#timeline = new TimelineView({ chat, media: ctx.media, actions, toast: ctx.toast }, roomId, dividerSeq);
    this.#composer = new ComposerView({ chat, uploader: ctx.uploader, toast: ctx.toast, onSent: () => this.#timeline.scrollToBottom() }, roomId);
    this.#header = Dom.h('header', { class: 'room-header' });
    this.#typing = Dom.h('div', { class: 'typing', 'aria-live': 'polite' });
    this.#drop = Dom.h('div', { class: 'drop-zone', hidden: true }, Icons.get('clip', { size: 28 }), Dom.h('span', null, 'Drop files to attach'));
    this.el = Dom.h(
      'section',
      { class: 'room', 'aria-label': room ? RoomList.name(room) : 'Room', dataset: { roomId } },
      this.#header,
      this.#timeline.el,
      Dom.h('div', { class: 'room__bottom' }, this.#typing, this.#composer.el),
      this.#drop,
    );
    this.#wireDrop();
    // @mentions in messages open the person's card.
    this.#timeline.el.addEventListener('click', (e) => {
      const mention = e.target.closest?.('.mention:not(.mention--room)');
      if (!mention) return;
      const username = mention.textContent.replace(/^@/, '');
      const member = chat.members(roomId).all().find((x) => x.user.username.toLowerCase() === username.toLowerCase());
      actions.profile(mention, member?.user ?? { username });
    });
    this.#off.push(
      chat.rooms.on('change', () => this.#renderHeader()),
      chat.presence.on('change', (id) => (id === null || id === chat.rooms.get(roomId)?.peer?.id) && this.#renderHeader()),
      chat.typing.on('change', (id) => id === roomId && this.#renderTyping()),
      chat.members(roomId).on('change', () => this.#renderTyping()),
    );
    this.#renderHeader();
    this.#renderTyping();
  }

  disconnect() {
    this.#off.forEach((off) => off());
    this.#timeline.disconnect();
    this.#composer.disconnect();
  }

  focusComposer() {
    this.#composer.focus();
  }

  jumpTo(target) {
    return this.#timeline.jumpTo(target);
  }

  refreshPanelButtons() {
    this.#renderHeader();
  }

  #renderHeader() {
    const { chat, panels } = this.#ctx;
    const room = chat.rooms.get(this.roomId);
    if (!room) return;
    const name = RoomList.name(room);
    let icon;
    let sub;
    if (room.kind === 'dm') {
      const status = room.peer ? chat.presence.status(room.peer.id) : 'offline';
      icon = Avatar.create(room.peer, { size: 32, presence: status });
      sub = status === 'online' ? 'Online' : status === 'idle' ? 'Away' : Format.lastSeen(room.peer && chat.presence.lastSeen(room.peer.id));
      if (room.peer?.username) sub = `@${room.peer.username} · ${sub}`;
    } else {
      icon = Dom.h('span', { class: 'room-header__glyph' }, Icons.get(room.kind === 'group' ? 'lock' : 'hash', { size: 18 }));
      sub = room.topic || `${room.member_count ?? 0} member${room.member_count === 1 ? '' : 's'}`;
    }
    const panelBtn = (panel, iconName, label, extra = null) =>
      Dom.h(
        'button',
        { class: ['icon-btn', panels.active === panel && 'icon-btn--on'], type: 'button', 'aria-label': label, title: label, 'aria-pressed': panels.active === panel ? 'true' : 'false', onclick: () => panels.toggle(panel) },
        Icons.get(iconName),
        extra,
      );
    Dom.replace(
      this.#header,
      Dom.h('button', { class: 'icon-btn room-header__back', type: 'button', 'aria-label': 'Back to conversations', onclick: this.#ctx.onBack }, Icons.get('back')),
      icon,
      Dom.h(
        'div',
        { class: 'room-header__text' },
        Dom.h('h1', { class: 'room-header__name' }, name, room.archived && Dom.h('span', { class: 'tag' }, 'Archived')),
        Dom.h('p', { class: 'room-header__sub' }, sub),
      ),
      Dom.h(
        'div',
        { class: 'room-header__actions' },
        panelBtn('search', 'search', 'Search messages'),
        room.kind !== 'dm' && panelBtn('pins', 'pin', 'Pinned messages'),
        room.kind !== 'dm' && panelBtn('members', 'users', 'Members', Dom.h('span', { class: 'icon-btn__count' }, String(room.member_count ?? ''))),
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Room settings', title: 'Room settings', onclick: () => this.#ctx.openSettings(this.roomId) }, Icons.get('info')),
      ),
    );
  }

  #renderTyping() {
    const { chat } = this.#ctx;
    const members = chat.members(this.roomId);
    const names = chat.typing.in(this.roomId).map((id) => {
      const u = members.get(id)?.user;
      return u?.display_name || u?.username || 'Someone';
    });
    this.#typing.classList.toggle('typing--on', names.length > 0);
    if (names.length === 0) {
      this.#typing.replaceChildren();
      return;
    }
    let text;
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else text = 'Several people are typing…';
    Dom.replace(this.#typing, Dom.h('span', { class: 'typing__dots', 'aria-hidden': 'true' }, Dom.h('i'), Dom.h('i'), Dom.h('i')), Dom.h('span', { class: 'typing__text' }, text));
  }

  #wireDrop() {
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    this.el.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      this.#drop.hidden = false;
    });
    this.el.addEventListener('dragover', (e) => {
      if (hasFiles(e)) e.preventDefault();
    });
    this.el.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) this.#drop.hidden = true;
    });
    this.el.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      this.#drop.hidden = true;
      this.#composer.addFiles([...e.dataTransfer.files]);
    });
  }
}
