import Dom from 'helpers/dom.js';
import EmojiCatalog from 'helpers/emoji_catalog.js';
import RoomList from 'models/room_list.js';

const MAX_ITEMS = 8;

/**
 * The composer's `:emoji` and `#channel` suggestions: typing `:ta` offers
 * 🎉 :tada: and friends, `#gen` the channels whose name starts so; ↑/↓ move,
 * Enter or Tab insert, Escape closes. (The @-mentions have their own menu.)
 */
export default class ComposerAutocomplete {
  el = Dom.h('ul', { class: 'mention-menu suggest-menu', role: 'listbox', id: `suggest-${crypto.randomUUID().slice(0, 6)}`, hidden: true });
  #input;
  #chat;
  #onChange;
  #items = [];
  #index = 0;
  /** The trigger in front of the caret: {kind: 'emoji'|'channel', start, query} */
  #trigger = null;

  /** @param onChange called after text was inserted */
  constructor(input, chat, onChange) {
    this.#input = input;
    this.#chat = chat;
    this.#onChange = onChange;
  }

  get open() {
    return !this.el.hidden;
  }

  get activeId() {
    return this.open ? `${this.el.id}-${this.#index}` : null;
  }

  /** Call on every input: finds a trigger before the caret and lists matches. */
  update() {
    const upto = this.#input.value.slice(0, this.#input.selectionStart);
    const emoji = upto.match(/(?:^|[\s(])(:([a-z0-9_+-]{2,}))$/i);
    const channel = upto.match(/(?:^|[\s(])(#([\w-]*))$/);
    if (emoji) {
      this.#trigger = { kind: 'emoji', start: upto.length - emoji[1].length, query: emoji[2].toLowerCase() };
      const catalog = EmojiCatalog.ready;
      if (!catalog) {
        EmojiCatalog.load().then(() => this.update(), () => {});
        return this.hide();
      }
      const tone = EmojiCatalog.tone;
      this.#show(
        'Emoji',
        catalog.search(this.#trigger.query, MAX_ITEMS).map((e) => {
          const ch = catalog.withTone(e, tone);
          const code = e.codes.find((c) => c.startsWith(this.#trigger.query)) ?? e.codes[0];
          return { icon: ch, iconClass: 'emoji-menu__emoji', name: `:${code}:`, hint: e.name, insert: `${ch} `, emoji: ch };
        }),
      );
    } else if (channel) {
      this.#trigger = { kind: 'channel', start: upto.length - channel[1].length, query: channel[2].toLowerCase() };
      const q = this.#trigger.query;
      const rooms = this.#chat.rooms
        .all()
        .filter((r) => r.kind === 'channel' && !r.archived && r.name?.toLowerCase().startsWith(q))
        .sort((a, b) => RoomList.name(a).localeCompare(RoomList.name(b)));
      this.#show(
        'Channels',
        rooms.slice(0, MAX_ITEMS).map((r) => ({ icon: '#', iconClass: 'mention-menu__at', name: r.name, hint: r.topic ?? '', insert: `#${r.name} ` })),
      );
    } else {
      this.hide();
    }
  }

  hide() {
    this.el.hidden = true;
    this.#items = [];
    this.#trigger = null;
  }

  /** Handles navigation keys; true when the key was used. */
  key(e) {
    if (!this.open) return false;
    const n = this.#items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.#index = (this.#index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.#render();
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      this.#pick(this.#items[this.#index]);
      return true;
    }
    if (e.key === 'Escape') {
      this.hide();
      return true;
    }
    return false;
  }

  #show(label, items) {
    this.#items = items;
    this.#index = 0;
    if (items.length === 0) return this.hide();
    this.el.setAttribute('aria-label', label);
    this.el.hidden = false;
    this.#render();
  }

  #pick(item) {
    const { start } = this.#trigger;
    const value = this.#input.value;
    const end = this.#input.selectionStart;
    const before = value.slice(0, start) + item.insert;
    this.#input.value = before + value.slice(end);
    this.#input.setSelectionRange(before.length, before.length);
    if (item.emoji) EmojiCatalog.remember(item.emoji);
    this.hide();
    this.#onChange();
  }

  #render() {
    Dom.replace(
      this.el,
      this.#items.map((item, i) =>
        Dom.h(
          'li',
          {
            id: `${this.el.id}-${i}`,
            class: ['mention-menu__item', i === this.#index && 'mention-menu__item--active'],
            role: 'option',
            'aria-selected': i === this.#index ? 'true' : 'false',
            onmousedown: (e) => {
              e.preventDefault();
              this.#pick(item);
            },
          },
          Dom.h('span', { class: item.iconClass }, item.icon),
          Dom.h('span', { class: 'mention-menu__name' }, item.name),
          item.hint && Dom.h('span', { class: 'mention-menu__handle' }, item.hint),
        ),
      ),
    );
  }
}
