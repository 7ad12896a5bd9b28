import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import ModalView from 'views/modal_view.js';
import Router from 'lib/router.js';

/** Discover public channels and join them, or create one. */
export default class ChannelBrowserDialog {
  #ctx;
  #modal;
  #list;
  #input;
  #timer = null;
  #seq = 0;

  /** @param ctx {chat, router, toast, newChannel} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.#modal = new ModalView('Browse channels', { wide: true });
    this.#input = Dom.h('input', { class: 'input', type: 'search', placeholder: 'Search channels', 'aria-label': 'Search channels', oninput: () => this.#queue() });
    this.#list = Dom.h('ul', { class: 'pick-list', role: 'list', 'aria-label': 'Channels' });
    this.#modal.body.append(
      Dom.h('div', { class: 'row' }, Dom.h('span', { class: 'input-icon grow' }, Icons.get('search', { size: 16 }), this.#input),
        Dom.h('button', { class: 'btn btn--secondary', type: 'button', onclick: () => { this.#modal.close(); ctx.newChannel(); } }, Icons.get('plus', { size: 16 }), 'Create channel')),
      this.#list,
    );
  }

  open() {
    this.#modal.open();
    this.#input.focus();
    this.#load();
  }

  #queue() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#load(), 200);
  }

  async #load() {
    const seq = ++this.#seq;
    const q = this.#input.value.trim();
    try {
      const channels = await this.#ctx.chat.api.channels(q);
      if (seq !== this.#seq) return;
      this.#render(Array.isArray(channels) ? channels : channels?.channels ?? []);
    } catch (err) {
      Dom.replace(this.#list, Dom.h('li', { class: 'pick-list__empty' }, `Could not load channels: ${err.message}`));
    }
  }

  #render(channels) {
    const { chat, router } = this.#ctx;
    if (channels.length === 0) {
      Dom.replace(this.#list, Dom.h('li', { class: 'pick-list__empty' }, 'No channels found.'));
      return;
    }
    Dom.replace(
      this.#list,
      channels.map((c) => {
        const joined = chat.rooms.has(c.id);
        const open = () => {
          this.#modal.close();
          router.go(Router.roomHref(c.id));
        };
        const join = async (e) => {
          e.currentTarget.disabled = true;
          try {
            const room = await chat.api.join(c.id);
            chat.addRoom(room?.id ? room : await chat.api.room(c.id));
            open();
          } catch (err) {
            this.#ctx.toast(`Could not join: ${err.message}`);
            e.currentTarget.disabled = false;
          }
        };
        return Dom.h(
          'li',
          { class: 'pick', dataset: { roomId: c.id } },
          Dom.h('span', { class: 'pick__glyph' }, Icons.get('hash', { size: 18 })),
          Dom.h(
            'span',
            { class: 'pick__text' },
            Dom.h('span', { class: 'pick__name' }, c.name),
            Dom.h('span', { class: 'pick__meta' }, [`${c.member_count ?? 0} member${c.member_count === 1 ? '' : 's'}`, c.topic].filter(Boolean).join(' · ')),
          ),
          joined
            ? Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: open, 'aria-label': `Open ${c.name}` }, 'Open')
            : Dom.h('button', { class: 'btn btn--primary btn--sm', type: 'button', onclick: join, 'aria-label': `Join ${c.name}` }, 'Join'),
        );
      }),
    );
  }
}
