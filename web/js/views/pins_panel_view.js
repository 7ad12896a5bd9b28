import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import Markdown from 'helpers/markdown.js';
import Router from 'lib/router.js';

/**
 * The room's pinned messages, newest first (`GET /rooms/{id}/pins`), kept
 * current from message events; a pin opens the message in the timeline, and
 * those who may pin can unpin from here.
 */
export default class PinsPanelView {
  el;
  #ctx;
  #roomId;
  #list = Dom.h('div', { class: 'panel__body pins' });
  /** id → message, in no order (sorted by seq when drawn). */
  #pins = new Map();
  #loaded = false;
  #off = [];

  /** @param ctx {chat, close, canPin, unpin(message)} */
  constructor(ctx, roomId) {
    this.#ctx = ctx;
    this.#roomId = roomId;
    this.el = Dom.h(
      'aside',
      { class: 'panel', 'aria-label': 'Pinned messages' },
      Dom.h(
        'header',
        { class: 'panel__header' },
        Dom.h('h2', { class: 'panel__title' }, 'Pinned messages'),
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close pinned messages', onclick: ctx.close }, Icons.get('x')),
      ),
      this.#list,
    );
    this.#off.push(ctx.chat.on('message', (m) => this.#onMessage(m)));
    Dom.replace(this.#list, Dom.h('div', { class: 'panel__empty', role: 'status' }, Dom.h('span', { class: 'spinner' }), 'Loading…'));
    this.#load();
  }

  disconnect() {
    this.#off.forEach((off) => off());
  }

  focus() {
    this.el.querySelector('.panel__header .icon-btn')?.focus();
  }

  async #load() {
    try {
      const page = await this.#ctx.chat.api.pins(this.#roomId);
      for (const m of page.messages ?? []) if (!this.#pins.has(m.id)) this.#pins.set(m.id, m);
      this.#loaded = true;
      this.#render();
    } catch (err) {
      Dom.replace(this.#list, Dom.h('div', { class: 'panel__empty', role: 'alert' }, `Could not load the pinned messages: ${err.message}`));
    }
  }

  #onMessage(m) {
    if (m.room_id !== this.#roomId) return;
    const had = this.#pins.get(m.id);
    if (had && (m.updated_seq ?? 0) < (had.updated_seq ?? 0)) return;
    if (m.pinned && !m.deleted) this.#pins.set(m.id, m);
    else if (had) this.#pins.delete(m.id);
    else return;
    if (this.#loaded) this.#render();
  }

  #render() {
    const pins = [...this.#pins.values()].sort((a, b) => b.seq - a.seq);
    if (pins.length === 0) {
      Dom.replace(
        this.#list,
        Dom.h(
          'div',
          { class: 'panel__empty' },
          Icons.get('pin', { size: 28 }),
          Dom.h('p', null, 'No pinned messages yet.'),
          this.#ctx.canPin() && Dom.h('p', null, 'Pin one from its actions to keep it here for everyone.'),
        ),
      );
      return;
    }
    Dom.replace(
      this.#list,
      Dom.h(
        'ul',
        { class: 'pins__list', role: 'list' },
        pins.map((m) => {
          const who = m.sender?.display_name || m.sender?.username || 'Anonymous';
          return Dom.h(
            'li',
            { class: 'pin', dataset: { messageId: m.id } },
            Dom.h(
              'a',
              { class: 'search-hit pin__link', href: Router.seqHref(this.#roomId, m.seq) },
              Avatar.create(m.sender, { size: 28, anonymous: !m.sender }),
              Dom.h(
                'span',
                { class: 'search-hit__text' },
                Dom.h('span', { class: 'search-hit__meta' }, Dom.h('strong', null, who), Dom.h('span', null, ` · ${Format.when(m.created_at)}`)),
                Dom.h('span', { class: 'search-hit__snippet' }, Markdown.plain(m.body) || (m.attachments?.length ? 'Attachment' : '')),
              ),
            ),
            this.#ctx.canPin() &&
              Dom.h(
                'button',
                { class: 'icon-btn icon-btn--sm pin__unpin', type: 'button', 'aria-label': `Unpin message from ${who}`, title: 'Unpin', onclick: () => this.#ctx.unpin(m) },
                Icons.get('x', { size: 16 }),
              ),
          );
        }),
      ),
    );
  }
}
