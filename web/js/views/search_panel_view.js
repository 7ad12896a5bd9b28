import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import Markdown from 'helpers/markdown.js';
import RoomList from 'models/room_list.js';
import Router from 'lib/router.js';
import SearchQuery from 'helpers/search_query.js';

const LABEL = { from: 'From', in: 'In', has: 'Has', before: 'Before', after: 'After', on: 'On' };

/**
 * Full-text search over readable messages; a result opens its room at the
 * message. Operators typed in the box (helpers/search_query.js) become the
 * API's filters and show as chips that remove them.
 */
export default class SearchPanelView {
  el;
  #ctx;
  #input;
  #scope;
  #chips;
  #results;
  #timer = null;
  #seq = 0;
  /** `from:` names already looked up: lower-case username → user or null. */
  #users = new Map();

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
    this.#chips = Dom.h('div', { class: 'chips search-chips', role: 'list', 'aria-label': 'Search filters' });
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
        this.#chips,
        this.#scope,
      ),
      this.#results,
    );
    this.#hint('Find messages by words they contain, narrowed with from:@name, in:#channel, has:image, has:file, has:link, before:, after: or on:YYYY-MM-DD.');
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
    const text = this.#input.value;
    const seq = ++this.#seq;
    const { words, operators } = SearchQuery.parse(text);
    const { filters, chips } = await this.#filters(operators);
    if (seq !== this.#seq) return;
    this.#renderChips(chips);
    const q = words.trim();
    const hasFilter = Object.values(filters).some((v) => v !== undefined);
    if (chips.some((c) => c.error)) {
      this.#hint(chips.find((c) => c.error).error);
      return;
    }
    if (!hasFilter && q.length < 2) {
      this.#hint('Type at least two characters.');
      return;
    }
    Dom.replace(this.#results, Dom.h('div', { class: 'panel__empty' }, Dom.h('span', { class: 'spinner' }), 'Searching…'));
    const onlyHere = this.#scope.querySelector('input').checked && this.#ctx.roomId;
    if (onlyHere && !filters.roomId) filters.roomId = this.#ctx.roomId;
    try {
      const page = await this.#ctx.chat.api.search(q, filters);
      if (seq !== this.#seq) return;
      this.#render(page.results ?? [], q || text.trim());
    } catch (err) {
      if (seq !== this.#seq) return;
      this.#hint(err.status === 404 ? 'Search is not available on this server yet.' : `Search failed: ${err.message}`);
    }
  }

  /** The API filters the operators stand for, and a chip for each (with an error if it names nothing). */
  async #filters(operators) {
    const { chat } = this.#ctx;
    const filters = { roomId: undefined, from: undefined, has: undefined, before: undefined, after: undefined };
    const chips = [];
    for (const op of operators) {
      const chip = { op, label: `${LABEL[op.key]}: ${op.value}`, error: null };
      chips.push(chip);
      if (op.key === 'from') {
        const user = await this.#user(op.value);
        if (user) {
          filters.from = user.id;
          chip.label = `From: ${user.display_name || user.username}`;
        } else chip.error = `No user “${SearchQuery.name(op.value)}”.`;
      } else if (op.key === 'in') {
        const name = SearchQuery.name(op.value);
        const room = chat.rooms.all().find((r) => RoomList.name(r).toLowerCase() === name || (r.kind === 'dm' && r.peer?.username?.toLowerCase() === name));
        if (room) {
          filters.roomId = room.id;
          chip.label = `In: ${room.kind === 'channel' ? '#' : ''}${RoomList.name(room)}`;
        } else chip.error = `You are not in a room named “${name}”.`;
      } else if (op.key === 'has') {
        const has = SearchQuery.has(op.value);
        if (has) {
          filters.has = has;
          chip.label = `Has: ${has}`;
        } else chip.error = 'has: takes image, file or link.';
      } else {
        const date = SearchQuery.date(op.value);
        if (!date) chip.error = `${op.key}: takes a date like 2025-01-31.`;
        else if (op.key === 'on') {
          filters.after = date;
          filters.before = SearchQuery.nextDay(date);
        } else filters[op.key] = date;
      }
    }
    return { filters, chips };
  }

  async #user(value) {
    const { chat } = this.#ctx;
    const name = SearchQuery.name(value);
    if (name === 'me') return chat.me;
    if (!this.#users.has(name)) {
      try {
        const found = await chat.api.searchUsers(name);
        const users = Array.isArray(found) ? found : found?.users ?? [];
        this.#users.set(name, users.find((u) => u.username.toLowerCase() === name) ?? null);
      } catch {
        return null;
      }
    }
    return this.#users.get(name);
  }

  #renderChips(chips) {
    Dom.replace(
      this.#chips,
      chips.map((chip) =>
        Dom.h(
          'span',
          { class: ['chip', 'search-chip', chip.error && 'chip--error'], role: 'listitem', title: chip.error ?? '' },
          Dom.h('span', null, chip.label),
          Dom.h('button', { class: 'chip__x', type: 'button', 'aria-label': `Remove filter ${chip.op.raw}`, onclick: () => {
            this.#input.value = SearchQuery.remove(this.#input.value, chip.op);
            this.#input.focus();
            this.#run();
          } }, Icons.get('x', { size: 14 })),
        ),
      ),
    );
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
