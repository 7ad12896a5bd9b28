import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import RoomList from 'models/room_list.js';
import Router from 'lib/router.js';
import ModalView from 'views/modal_view.js';

const MAX_ROOMS = 8;
const MAX_PEOPLE = 6;

/**
 * Ctrl/Cmd+K: jump to a room or a person by typing part of the name.
 * Rooms you are in match at once (unread first when nothing is typed);
 * people come from user search and open (or start) the DM. ↑/↓ move,
 * Enter opens, Escape closes.
 */
export default class QuickSwitcherDialog {
  #ctx;
  #modal = new ModalView('Jump to…', { className: 'switcher' });
  #input;
  #list;
  #empty = Dom.h('p', { class: 'pick-list__empty', role: 'status', hidden: true }, 'Nothing matches.');
  #items = [];
  #index = 0;
  #searchSeq = 0;
  #timer = null;

  /** @param ctx {chat, router, toast} */
  constructor(ctx) {
    this.#ctx = ctx;
    const listId = `switcher-${crypto.randomUUID().slice(0, 6)}`;
    this.#list = Dom.h('ul', { class: 'switcher__list', role: 'listbox', id: listId, 'aria-label': 'Rooms and people' });
    this.#input = Dom.h('input', {
      class: 'input switcher__input',
      type: 'text',
      role: 'combobox',
      'aria-expanded': 'true',
      'aria-controls': listId,
      'aria-autocomplete': 'list',
      'aria-label': 'Room or person',
      placeholder: 'Find a room or person',
      autocomplete: 'off',
      spellcheck: 'false',
      oninput: () => this.#update(),
      onkeydown: (e) => this.#onKey(e),
    });
    this.#modal.body.append(
      Dom.h('span', { class: 'input-icon' }, Icons.get('search', { size: 16 }), this.#input),
      this.#list,
      this.#empty,
      Dom.h('p', { class: 'switcher__hint' }, '↑ ↓ to move · Enter to open · Esc to close'),
    );
    this.#modal.onClose(() => clearTimeout(this.#timer));
  }

  open() {
    this.#modal.open();
    this.#input.focus();
    this.#update();
    return this;
  }

  #update() {
    const q = this.#input.value.trim().toLowerCase().replace(/^[#@]/, '');
    const rooms = this.#matchRooms(q);
    this.#show(rooms.map((r) => ({ kind: 'room', room: r })));
    clearTimeout(this.#timer);
    if (q.length >= 1) this.#timer = setTimeout(() => this.#searchPeople(q, rooms), 150);
  }

  #matchRooms(q) {
    const all = this.#ctx.chat.rooms.all().filter((r) => !r.archived);
    if (!q) {
      return all
        .sort((a, b) => (b.unread ?? 0) - (a.unread ?? 0) || RoomList.activity(b) - RoomList.activity(a))
        .slice(0, MAX_ROOMS);
    }
    const score = (r) => {
      const names = [RoomList.name(r), r.peer?.username ?? ''].map((n) => n.toLowerCase());
      if (names.some((n) => n.startsWith(q))) return 0;
      if (names.some((n) => n.split(/[\s_.-]+/).some((w) => w.startsWith(q)))) return 1;
      if (names.some((n) => n.includes(q))) return 2;
      return -1;
    };
    return all
      .map((r) => [score(r), r])
      .filter(([s]) => s >= 0)
      .sort(([sa, a], [sb, b]) => sa - sb || RoomList.activity(b) - RoomList.activity(a))
      .slice(0, MAX_ROOMS)
      .map(([, r]) => r);
  }

  async #searchPeople(q, rooms) {
    const seq = ++this.#searchSeq;
    let users = [];
    try {
      users = await this.#ctx.chat.api.searchUsers(q);
    } catch {
      return;
    }
    if (seq !== this.#searchSeq || !this.#modal.el.open) return;
    const me = this.#ctx.chat.me.id;
    const dmPeers = new Set(rooms.filter((r) => r.kind === 'dm').map((r) => r.peer?.id));
    const people = (users ?? []).filter((u) => u.id !== me && !dmPeers.has(u.id)).slice(0, MAX_PEOPLE);
    const keep = this.#items[this.#index];
    this.#show([...rooms.map((r) => ({ kind: 'room', room: r })), ...people.map((u) => ({ kind: 'person', user: u }))], keep);
  }

  #show(items, keep = null) {
    this.#items = items;
    const kept = keep ? items.findIndex((i) => i.room?.id === keep.room?.id && i.user?.id === keep.user?.id) : -1;
    this.#index = Math.max(0, kept);
    this.#render();
  }

  #render() {
    const none = this.#items.length === 0;
    this.#list.hidden = none;
    this.#empty.hidden = !none;
    this.#input.setAttribute('aria-expanded', String(!none));
    if (none) {
      this.#list.replaceChildren();
      this.#input.removeAttribute('aria-activedescendant');
      return;
    }
    Dom.replace(
      this.#list,
      this.#items.map((item, i) => {
        const active = i === this.#index;
        const id = `${this.#list.id}-${i}`;
        let glyph;
        let name;
        let meta;
        if (item.kind === 'room') {
          const r = item.room;
          name = RoomList.name(r);
          if (r.kind === 'dm') {
            glyph = Avatar.create(r.peer, { size: 28 });
            meta = r.peer?.username ? `@${r.peer.username}` : 'Direct message';
          } else {
            glyph = Dom.h('span', { class: 'switcher__glyph' }, Icons.get(r.kind === 'group' ? 'lock' : 'hash', { size: 16 }));
            meta = r.kind === 'group' ? 'Group' : 'Channel';
          }
          if (r.unread) meta += ` · ${r.unread} unread`;
        } else {
          glyph = Avatar.create(item.user, { size: 28 });
          name = item.user.display_name || item.user.username;
          meta = `@${item.user.username} · Message`;
        }
        return Dom.h(
          'li',
          {
            id,
            role: 'option',
            class: ['switcher__item', active && 'switcher__item--active'],
            'aria-selected': active ? 'true' : 'false',
            onmousedown: (e) => e.preventDefault(),
            onclick: () => this.#choose(item),
          },
          glyph,
          Dom.h('span', { class: 'switcher__name' }, name),
          Dom.h('span', { class: 'switcher__meta' }, meta),
        );
      }),
    );
    this.#input.setAttribute('aria-activedescendant', `${this.#list.id}-${this.#index}`);
    this.#list.children[this.#index]?.scrollIntoView?.({ block: 'nearest' });
  }

  #onKey(e) {
    const n = this.#items.length;
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && n) {
      e.preventDefault();
      this.#index = (this.#index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.#render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const item = this.#items[this.#index];
      if (item) this.#choose(item);
    }
  }

  async #choose(item) {
    const { chat, router, toast } = this.#ctx;
    if (item.kind === 'room') {
      this.#modal.close();
      router.go(Router.roomHref(item.room.id));
      return;
    }
    try {
      const room = await chat.api.createRoom({ kind: 'dm', members: [item.user.id] });
      chat.addRoom(room);
      this.#modal.close();
      router.go(Router.roomHref(room.id));
    } catch (err) {
      toast(`Could not open the conversation: ${err.message}`);
    }
  }
}
