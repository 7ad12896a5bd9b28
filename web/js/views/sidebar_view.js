import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Theme from 'helpers/theme.js';
import Markdown from 'helpers/markdown.js';
import RoomList from 'models/room_list.js';
import Router from 'lib/router.js';

const CONNECTION_LABEL = {
  ready: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  stopped: 'Disconnected',
};

/**
 * The left column: connection state, navigation, the room sections with
 * badges and presence, and the signed-in user.
 */
export default class SidebarView {
  el;
  #ctx;
  #list;
  #status;
  #me;
  #activeId = null;
  #off = [];

  /** @param ctx {chat, actions: {browseChannels, newDm, newGroup, newChannel, openProfile, openSearch}} */
  constructor(ctx) {
    this.#ctx = ctx;
    const { actions } = ctx;
    this.#status = Dom.h('span', { class: 'conn', role: 'status' });
    this.#list = Dom.h('nav', { class: 'sidebar__rooms', 'aria-label': 'Rooms' });
    this.#me = Dom.h('button', { class: 'me', type: 'button', onclick: actions.openProfile, 'aria-label': 'Profile and settings' });
    this.el = Dom.h(
      'aside',
      { class: 'sidebar', 'aria-label': 'Sidebar' },
      Dom.h(
        'header',
        { class: 'sidebar__header' },
        Dom.h('div', { class: 'brand' }, Dom.h('span', { class: 'brand__mark' }, Icons.get('chat', { size: 16 })), 'Hearth'),
        this.#status,
        Dom.h(
          'button',
          { class: 'icon-btn', type: 'button', 'aria-label': 'Toggle dark mode', title: 'Toggle dark mode', onclick: () => Theme.toggle() },
          Icons.get('moon', { className: 'only-light' }),
          Icons.get('sun', { className: 'only-dark' }),
        ),
      ),
      Dom.h(
        'div',
        { class: 'sidebar__nav' },
        Dom.h('button', { class: 'nav-item', type: 'button', onclick: actions.openSearch }, Icons.get('search'), 'Search'),
        Dom.h('button', { class: 'nav-item', type: 'button', onclick: actions.browseChannels }, Icons.get('compass'), 'Browse channels'),
      ),
      this.#list,
      Dom.h('footer', { class: 'sidebar__footer' }, this.#me),
    );
    const { chat } = ctx;
    this.#off.push(
      chat.rooms.on('change', () => this.#renderRooms()),
      chat.presence.on('change', () => this.#renderRooms()),
      chat.on('connection', (s) => this.#renderStatus(s)),
      chat.on('me', () => this.#renderMe()),
      ctx.session.on('user', () => this.#renderMe()),
    );
    this.#renderStatus(chat.connection);
    this.#renderRooms();
    this.#renderMe();
  }

  disconnect() {
    this.#off.forEach((off) => off());
  }

  set activeRoom(id) {
    this.#activeId = id;
    for (const a of this.#list.querySelectorAll('.room-item')) {
      const on = a.dataset.roomId === id;
      a.classList.toggle('room-item--active', on);
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  #renderStatus(state) {
    this.#status.className = `conn conn--${state}`;
    this.#status.title = CONNECTION_LABEL[state] ?? state;
    Dom.replace(this.#status, Dom.h('span', { class: 'conn__dot' }), Dom.h('span', { class: 'conn__label' }, CONNECTION_LABEL[state] ?? state));
    this.el.dataset.connection = state;
    // Your own dot says what others see: offline while this page is.
    this.#renderMe();
  }

  #renderMe() {
    const me = this.#ctx.chat.me;
    if (!me) return;
    Dom.replace(
      this.#me,
      Avatar.create(me, { size: 32, presence: this.#ctx.chat.connection === 'ready' ? 'online' : 'offline' }),
      Dom.h(
        'span',
        { class: 'me__text' },
        Dom.h('span', { class: 'me__name' }, me.display_name || me.username),
        Dom.h('span', { class: 'me__status' }, me.status_text || `@${me.username}`),
      ),
      Icons.get('settings', { className: 'me__gear' }),
    );
  }

  #renderRooms() {
    const { channels, groups, dms } = this.#ctx.chat.rooms.sections();
    const { actions } = this.#ctx;
    Dom.replace(
      this.#list,
      this.#section('Channels', channels, 'New channel', actions.newChannel),
      this.#section('Groups', groups, 'New group', actions.newGroup),
      this.#section('Direct messages', dms, 'New direct message', actions.newDm),
    );
    this.activeRoom = this.#activeId;
  }

  #section(title, rooms, addLabel, onAdd) {
    const id = `sec-${title.replace(/\W/g, '').toLowerCase()}`;
    return Dom.h(
      'section',
      { class: 'room-section', 'aria-labelledby': id },
      Dom.h(
        'div',
        { class: 'room-section__header' },
        Dom.h('h2', { class: 'room-section__title', id }, title),
        Dom.h('button', { class: 'icon-btn icon-btn--sm', type: 'button', 'aria-label': addLabel, title: addLabel, onclick: onAdd }, Icons.get('plus', { size: 16 })),
      ),
      rooms.length === 0
        ? Dom.h('p', { class: 'room-section__empty' }, title === 'Channels' ? 'Browse channels to join one.' : 'None yet.')
        : Dom.h('ul', { class: 'room-section__list', role: 'list' }, rooms.map((r) => Dom.h('li', null, this.#item(r)))),
    );
  }

  #item(room) {
    const { chat } = this.#ctx;
    const name = RoomList.name(room);
    const unread = room.unread ?? 0;
    const mentions = room.mention_count ?? 0;
    let icon;
    if (room.kind === 'dm') {
      icon = Avatar.create(room.peer ?? { id: room.id, display_name: name }, { size: 22, presence: room.peer ? chat.presence.status(room.peer.id) : null });
    } else if (room.kind === 'group') {
      icon = Dom.h('span', { class: 'room-item__glyph' }, Icons.get('lock', { size: 15 }));
    } else {
      icon = Dom.h('span', { class: 'room-item__glyph' }, Icons.get('hash', { size: 15 }));
    }
    const preview = room.kind !== 'channel' && room.last_message && !room.last_message.deleted ? Markdown.plain(room.last_message.body) : '';
    let label = name;
    if (unread) label += `, ${unread} unread`;
    if (mentions) label += `, ${mentions} mention${mentions > 1 ? 's' : ''}`;
    return Dom.h(
      'a',
      {
        class: ['room-item', unread > 0 && 'room-item--unread'],
        href: Router.roomHref(room.id),
        dataset: { roomId: room.id, kind: room.kind },
        'aria-label': label,
        title: preview ? `${name}: ${preview}` : name,
      },
      icon,
      Dom.h('span', { class: 'room-item__name' }, name),
      mentions > 0 && Dom.h('span', { class: 'badge badge--mention', title: 'Mentions' }, `@${mentions > 99 ? '99+' : mentions}`),
      unread > 0 && Dom.h('span', { class: 'badge badge--unread' }, unread > 99 ? '99+' : String(unread)),
    );
  }
}
