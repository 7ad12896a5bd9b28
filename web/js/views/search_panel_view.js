import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import Markdown from 'helpers/markdown.js';
import RoomList from 'models/room_list.js';
import Router from 'lib/router.js';

/** Full-text search over readable messages; a result opens its room at the message. */
export default class SearchPanelView {
  el;
  #ctx;
  #input;
  #scope;
  #results;
  #timer = null;
  #seq = 0;

  /** @param ctx {chat, router, close, roomId} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.#input = Dom.h('input', { class: 'input input--search', type: 'search', placeholder: 'Search messages', 'aria-label': 'Search messages', oninput: () => this.#queue() });
    this.#scope = Dom.h(
      'label',
      { class: 'check' },
      Dom.h('input', { type: 'checkbox', onchange: () => this.#run() }),
      Dom.h('span', null, 'Only this room'),
    );
    this.#scope.hidden = !ctx.roomId;
    this.#results = Dom.h('div', { class: 'panel__body search-results', 'aria-live': 'polite' });
    this.el = Dom.h(
      'aside',
      { class: 'panel', 'aria-label': 'Search' },
      Dom.h(
        'header',
        { class: 'panel__header' },
        Dom.h('h2', { class: 'panel__title' }, 'Search'),
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close search', onclick: ctx.close }, Icons.get('x')),
      ),
      Dom.h(
        'form',
        { class: 'panel__search', role: 'search', onsubmit: (e) => { e.preventDefault(); this.#run(); } },
        Dom.h('span', { class: 'input-icon' }, Icons.get('search', { size: 16 }), this.#input),
        this.#scope,
      ),
      this.#results,
    );
    this.#hint('Find messages by words they contain.');
  }

  disconnect() {
    clearTimeout(this.#timer);
  }

  focus() {
    this.#input.focus();
  }

  #queue() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(), 250);
  }

  async #run() {
    const q = this.#input.value.trim();
    const seq = ++this.#seq;
    if (q.length < 2) {
      this.#hint('Type at least two characters.');
      return;
    }
    Dom.replace(this.#results, Dom.h('div', { class: 'panel__empty' }, Dom.h('span', { class: 'spinner' }), 'Searching…'));
    const onlyHere = this.#scope.querySelector('input').checked && this.#ctx.roomId;
    try {
      const page = await this.#ctx.chat.api.search(q, { roomId: onlyHere ? this.#ctx.roomId : undefined });
      if (seq !== this.#seq) return;
      this.#render(page.results ?? [], q);
    } catch (err) {
      if (seq !== this.#seq) return;
      this.#hint(err.status === 404 ? 'Search is not available on this server yet.' : `Search failed: ${err.message}`);
    }
  }

  #hint(text) {
    Dom.replace(this.#results, Dom.h('div', { class: 'panel__empty' }, Icons.get('search', { size: 28 }), Dom.h('p', null, text)));
  }

  #render(results, q) {
    if (results.length === 0) {
      this.#hint(`No messages match “${q}”.`);
      return;
    }
    const { chat } = this.#ctx;
    Dom.replace(
      this.#results,
      Dom.h('p', { class: 'search-results__count' }, `${results.length} result${results.length === 1 ? '' : 's'}`),
      Dom.h(
        'ul',
        { class: 'search-results__list', role: 'list' },
        results.map(({ message, room_id, snippet, highlights }) => {
          const room = chat.rooms.get(room_id);
          const who = message.sender?.display_name || message.sender?.username || 'Anonymous';
          return Dom.h(
            'li',
            null,
            Dom.h(
              'a',
              { class: 'search-hit', href: Router.seqHref(room_id, message.seq), dataset: { messageId: message.id }, onclick: () => this.#ctx.onPick?.() },
              Avatar.create(message.sender, { size: 28, anonymous: !message.sender }),
              Dom.h(
                'span',
                { class: 'search-hit__text' },
                Dom.h(
                  'span',
                  { class: 'search-hit__meta' },
                  Dom.h('strong', null, who),
                  Dom.h('span', null, ` in ${room ? (room.kind === 'channel' ? '#' : '') + RoomList.name(room) : 'a room'} · ${Format.when(message.created_at)}`),
                ),
                Dom.h('span', { class: 'search-hit__snippet' }, Array.isArray(highlights) && typeof snippet === 'string'
                  ? SearchPanelView.#marked(snippet, highlights)
                  : SearchPanelView.#highlight(Markdown.plain(String(snippet || message.body).replace(/<\/?(?:b|mark|em|strong)>/g, '')), q)),
              ),
            ),
          );
        }),
      ),
    );
  }

  /**
   * The server's plain-text snippet with its matches (`[start, end)` offsets
   * in code points) as text nodes and <mark>; Markdown markers are dropped
   * from the text around them.
   */
  static #marked(snippet, highlights) {
    const chars = Array.from(snippet);
    const plain = (from, to) => chars.slice(from, to).join('').replace(/```[\w+-]*/g, '').replace(/(\*\*|__|~~|`)/g, '');
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const h of highlights) {
      const [start, end] = Array.isArray(h) ? h : [];
      if (!(Number.isInteger(start) && Number.isInteger(end) && start >= last && end > start && end <= chars.length)) continue;
      frag.append(plain(last, start), Dom.h('mark', null, chars.slice(start, end).join('')));
      last = end;
    }
    frag.append(plain(last, chars.length));
    return frag;
  }

  /** Marks the query words in a snippet (as text nodes and <mark>). */
  static #highlight(text, q) {
    const words = q.split(/\s+/).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const frag = document.createDocumentFragment();
    if (!words.length) {
      frag.append(text);
      return frag;
    }
    const re = new RegExp(`(${words.join('|')})`, 'gi');
    let last = 0;
    for (const m of text.matchAll(re)) {
      frag.append(text.slice(last, m.index), Dom.h('mark', null, m[0]));
      last = m.index + m[0].length;
    }
    frag.append(text.slice(last));
    return frag;
  }
}
