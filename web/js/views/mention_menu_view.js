import Dom from 'helpers/dom.js';
import Avatar from 'helpers/avatar.js';

/** The @-mention suggestions above the composer, driven by its keyboard. */
export default class MentionMenuView {
  el = Dom.h('ul', { class: 'mention-menu', role: 'listbox', id: `mentions-${crypto.randomUUID().slice(0, 6)}`, hidden: true, 'aria-label': 'Mention someone' });
  #items = [];
  #index = 0;
  #onPick;

  constructor(onPick) {
    this.#onPick = onPick;
  }

  get open() {
    return !this.el.hidden;
  }

  /** @param users UserSummary list, already filtered */
  show(users) {
    this.#items = users.slice(0, 8);
    this.#index = 0;
    if (this.#items.length === 0) {
      this.hide();
      return;
    }
    this.el.hidden = false;
    this.#render();
  }

  hide() {
    this.el.hidden = true;
    this.#items = [];
  }

  /** Handles navigation keys; true when the key was used. */
  key(e) {
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const n = this.#items.length;
      this.#index = (this.#index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.#render();
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      this.#onPick(this.#items[this.#index]);
      this.hide();
      return true;
    }
    if (e.key === 'Escape') {
      this.hide();
      return true;
    }
    return false;
  }

  get activeId() {
    return this.open ? `${this.el.id}-${this.#index}` : null;
  }

  #render() {
    Dom.replace(
      this.el,
      this.#items.map((u, i) =>
        Dom.h(
          'li',
          {
            id: `${this.el.id}-${i}`,
            class: ['mention-menu__item', i === this.#index && 'mention-menu__item--active'],
            role: 'option',
            'aria-selected': i === this.#index ? 'true' : 'false',
            onmousedown: (e) => {
              e.preventDefault();
              this.#onPick(u);
              this.hide();
            },
          },
          u.special ? Dom.h('span', { class: 'mention-menu__at' }, '@') : Avatar.create(u, { size: 22 }),
          Dom.h('span', { class: 'mention-menu__name' }, u.display_name || u.username),
          Dom.h('span', { class: 'mention-menu__handle' }, u.special ? u.hint : `@${u.username}`),
        ),
      ),
    );
  }
}
