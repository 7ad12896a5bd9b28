import Dom from 'helpers/dom.js';
import EmojiCatalog from 'helpers/emoji_catalog.js';
import PopoverView from 'views/popover_view.js';

/** Columns of the grid (arrow keys move by a row of this many). */
const COLUMNS = 8;

/**
 * The emoji picker, for reactions and for the composer: search by name or
 * shortcode, recently used first, one section per category with a tab to
 * jump to it, the user's skin tone, and a footer naming the emoji under the
 * pointer or focus. The grid is one roving tab stop: arrows move within it.
 */
export default class EmojiPickerView {
  static open(anchor, onPick) {
    const view = new EmojiPickerView(onPick);
    view.#popover.open(anchor);
    view.#search.focus();
    EmojiCatalog.load().then(
      (catalog) => view.#fill(catalog),
      () => Dom.replace(view.#body, Dom.h('p', { class: 'emoji-picker__empty', role: 'alert' }, 'Could not load the emoji.')),
    );
    return view.#popover;
  }

  #popover = new PopoverView('emoji-picker', 'Choose an emoji');
  #onPick;
  #catalog = null;
  #search;
  #body = Dom.h('div', { class: 'emoji-picker__body' }, Dom.h('div', { class: 'emoji-picker__loading' }, Dom.h('span', { class: 'spinner' })));
  #tabs = Dom.h('div', { class: 'emoji-picker__tabs', role: 'toolbar', 'aria-label': 'Emoji categories' });
  #toneBtn;
  #preview = Dom.h('div', { class: 'emoji-picker__preview', 'aria-hidden': 'true' }, Dom.h('span', { class: 'emoji-picker__preview-hint' }, 'Pick an emoji, or type to search'));
  #buttons = [];
  #active = 0;

  constructor(onPick) {
    this.#onPick = onPick;
    this.#search = Dom.h('input', {
      class: 'emoji-picker__search',
      type: 'search',
      placeholder: 'Search emoji',
      'aria-label': 'Search emoji',
      autocomplete: 'off',
      spellcheck: 'false',
      oninput: () => this.#render(),
      onkeydown: (e) => this.#onSearchKey(e),
    });
    this.#toneBtn = Dom.h('button', {
      class: 'emoji-picker__tone',
      type: 'button',
      'aria-haspopup': 'true',
      'aria-expanded': 'false',
      onclick: () => this.#toggleTones(),
    });
    this.#updateToneButton();
    this.#body.addEventListener('click', (e) => {
      const b = e.target.closest('.emoji-btn');
      if (b) this.#pick(b.dataset.emoji);
    });
    this.#body.addEventListener('pointerover', (e) => {
      const b = e.target.closest('.emoji-btn');
      if (b) this.#showPreview(b);
    });
    this.#body.addEventListener('keydown', (e) => this.#onGridKey(e));
    this.#body.addEventListener('focusin', (e) => {
      const b = e.target.closest('.emoji-btn');
      if (b) {
        this.#setActive(this.#buttons.indexOf(b), false);
        this.#showPreview(b);
      }
    });
    this.#popover.el.append(
      Dom.h('div', { class: 'emoji-picker__head' }, this.#search, this.#toneBtn),
      this.#tabs,
      this.#body,
      this.#preview,
    );
  }

  #fill(catalog) {
    this.#catalog = catalog;
    this.#updateToneButton();
    this.#render();
  }

  /** Recently used, then every category; or the search results. */
  #sections() {
    const c = this.#catalog;
    const q = this.#search.value.trim();
    if (q) return [{ key: 'results', name: 'Search results', emoji: c.search(q) }];
    const recent = EmojiCatalog.recent.map((ch) => ({ ch, entry: c.byChar(ch) })).filter((r) => r.entry);
    const sections = [...c.groups];
    if (recent.length) sections.unshift({ key: 'recent', name: 'Recently used', emoji: recent.map((r) => r.entry), chars: recent.map((r) => r.ch) });
    return sections;
  }

  #render() {
    if (!this.#catalog) return;
    const sections = this.#sections();
    this.#buttons = [];
    const nodes = [];
    for (const s of sections) {
      const headingId = `emoji-${s.key}-${Math.random().toString(36).slice(2, 7)}`;
      const grid = Dom.h('div', { class: 'emoji-picker__grid', role: 'group', 'aria-labelledby': headingId });
      s.emoji.forEach((entry, i) => {
        const ch = s.chars?.[i] ?? this.#catalog.withTone(entry);
        const b = Dom.h(
          'button',
          { type: 'button', class: 'emoji-btn', tabindex: '-1', 'aria-label': entry.name, dataset: { emoji: ch, code: entry.codes[0] } },
          ch,
        );
        this.#buttons.push(b);
        grid.append(b);
      });
      if (s.emoji.length === 0) grid.append(Dom.h('p', { class: 'emoji-picker__empty' }, 'No emoji found.'));
      nodes.push(Dom.h('section', { class: 'emoji-picker__section', dataset: { section: s.key } }, Dom.h('h3', { class: 'emoji-picker__group', id: headingId }, s.name), grid));
    }
    Dom.replace(this.#body, nodes);
    this.#body.scrollTop = 0;
    this.#renderTabs(sections);
    this.#setActive(0, false);
  }

  #renderTabs(sections) {
    const searching = sections.length === 1 && sections[0].key === 'results';
    this.#tabs.hidden = searching;
    if (searching) return;
    Dom.replace(
      this.#tabs,
      sections.map((s) =>
        Dom.h(
          'button',
          {
            type: 'button',
            class: 'emoji-picker__tab',
            'aria-label': s.name,
            title: s.name,
            onclick: () => {
              const el = this.#body.querySelector(`[data-section="${s.key}"]`);
              this.#body.scrollTop = el.offsetTop - this.#body.offsetTop;
              const first = el.querySelector('.emoji-btn');
              if (first) this.#setActive(this.#buttons.indexOf(first), true);
            },
          },
          s.key === 'recent' ? '🕘' : (s.chars?.[0] ?? s.emoji[0]?.char ?? ''),
        ),
      ),
    );
  }

  #setActive(i, focus) {
    if (this.#buttons.length === 0) return;
    const next = Math.max(0, Math.min(this.#buttons.length - 1, i));
    this.#buttons[this.#active]?.setAttribute('tabindex', '-1');
    this.#active = next;
    const b = this.#buttons[next];
    b.setAttribute('tabindex', '0');
    if (focus) b.focus();
  }

  #onGridKey(e) {
    if (!e.target.classList.contains('emoji-btn')) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (step) {
      e.preventDefault();
      if (e.key === 'ArrowUp' && this.#active < COLUMNS) this.#search.focus();
      else this.#setActive(this.#active + step, true);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      this.#setActive(e.key === 'Home' ? 0 : this.#buttons.length - 1, true);
    } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== ' ') {
      // Typing anywhere in the grid searches.
      this.#search.focus();
    }
  }

  #onSearchKey(e) {
    if (e.key === 'Enter') {
      e.preventDefault();
      const first = this.#buttons[0];
      if (first && this.#search.value.trim()) this.#pick(first.dataset.emoji);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      this.#setActive(0, true);
    }
  }

  #showPreview(b) {
    Dom.replace(
      this.#preview,
      Dom.h('span', { class: 'emoji-picker__preview-emoji' }, b.dataset.emoji),
      Dom.h('span', { class: 'emoji-picker__preview-name' }, b.getAttribute('aria-label')),
      Dom.h('span', { class: 'emoji-picker__preview-code' }, `:${b.dataset.code}:`),
    );
  }

  #pick(emoji) {
    EmojiCatalog.remember(emoji);
    this.#popover.close();
    this.#onPick(emoji);
  }

  // ---- skin tone --------------------------------------------------------

  #updateToneButton() {
    const tone = EmojiCatalog.TONES[EmojiCatalog.tone];
    Dom.replace(this.#toneBtn, tone.swatch);
    this.#toneBtn.setAttribute('aria-label', `Skin tone: ${tone.label}`);
    this.#toneBtn.title = `Skin tone: ${tone.label}`;
  }

  #toggleTones() {
    const open = this.#popover.el.querySelector('.emoji-picker__tones');
    if (open) {
      this.#closeTones(open);
      return;
    }
    const current = EmojiCatalog.tone;
    const options = EmojiCatalog.TONES.map((t, i) =>
      Dom.h(
        'button',
        {
          type: 'button',
          role: 'radio',
          class: 'emoji-picker__tone-option',
          'aria-checked': i === current ? 'true' : 'false',
          'aria-label': t.label,
          title: t.label,
          tabindex: i === current ? '0' : '-1',
          onclick: () => {
            EmojiCatalog.tone = i;
            this.#updateToneButton();
            this.#closeTones(list);
            this.#render();
          },
          onkeydown: (e) => {
            const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
            if (!step) return;
            e.preventDefault();
            const n = EmojiCatalog.TONES.length;
            list.children[(i + step + n) % n].focus();
          },
        },
        t.swatch,
      ),
    );
    const list = Dom.h('div', { class: 'emoji-picker__tones', role: 'radiogroup', 'aria-label': 'Skin tone' }, options);
    this.#toneBtn.after(list);
    this.#toneBtn.setAttribute('aria-expanded', 'true');
    options[current].focus();
  }

  #closeTones(list) {
    list.remove();
    this.#toneBtn.setAttribute('aria-expanded', 'false');
    this.#toneBtn.focus();
  }
}
