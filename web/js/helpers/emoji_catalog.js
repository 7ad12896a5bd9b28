/**
 * Every emoji the client offers, with names, shortcodes (`:tada:`) and skin
 * tones, from web/js/data/emoji.json (built from emojibase-data by
 * scripts/emoji-data/build.mjs), loaded once on first use. Also the user's
 * skin tone and recently used emoji, kept in localStorage.
 */
const DATA_URL = new URL('../data/emoji.json', import.meta.url);
const RECENT_KEY = 'hearth.emoji.recent';
const TONE_KEY = 'hearth.emoji.tone';
const RECENT_MAX = 24;

/** The skin tones offered: none, then light to dark (index into an emoji's `skins`). */
const TONES = [
  { label: 'Default skin tone', swatch: '✋' },
  { label: 'Light skin tone', swatch: '✋🏻' },
  { label: 'Medium-light skin tone', swatch: '✋🏼' },
  { label: 'Medium skin tone', swatch: '✋🏽' },
  { label: 'Medium-dark skin tone', swatch: '✋🏾' },
  { label: 'Dark skin tone', swatch: '✋🏿' },
];

export default class EmojiCatalog {
  static TONES = TONES;
  static #loading = null;
  static #catalog = null;

  /** The catalog once loaded (null before `load()` resolved). */
  static get ready() {
    return EmojiCatalog.#catalog;
  }

  /** @returns {Promise<EmojiCatalog>} */
  static load() {
    EmojiCatalog.#loading ??= fetch(DATA_URL)
      .then((res) => {
        if (!res.ok) throw new Error(`emoji data: ${res.status}`);
        return res.json();
      })
      .then((data) => {
        EmojiCatalog.#catalog = new EmojiCatalog(data);
        return EmojiCatalog.#catalog;
      })
      .catch((err) => {
        EmojiCatalog.#loading = null;
        throw err;
      });
    return EmojiCatalog.#loading;
  }

  /** [{key, name, emoji: Entry[]}] */
  groups;
  #byCode = new Map();
  #byChar = new Map();
  #all = [];

  constructor(data) {
    this.groups = data.groups.map((g) => ({
      key: g.key,
      name: g.name,
      emoji: g.emoji.map(([char, name, codes, words, skins]) => {
        const entry = { char, name, codes, words: `${name} ${words}`.toLowerCase(), skins: skins ?? null };
        for (const code of codes) if (!this.#byCode.has(code)) this.#byCode.set(code, entry);
        this.#byChar.set(char, entry);
        for (const s of skins ?? []) this.#byChar.set(s, entry);
        this.#all.push(entry);
        return entry;
      }),
    }));
  }

  /** The entry for a shortcode without colons (`tada`), or undefined. */
  byCode(code) {
    return this.#byCode.get(code.toLowerCase());
  }

  /** The entry an emoji character (or one of its skin tones) belongs to. */
  byChar(char) {
    return this.#byChar.get(char);
  }

  /** The emoji as the user sees it: with their skin tone where it has tones. */
  withTone(entry, tone = EmojiCatalog.tone) {
    return tone > 0 && entry.skins ? entry.skins[tone - 1] : entry.char;
  }

  /**
   * Entries matching `query`: shortcodes starting with it first, then
   * shortcodes and names containing it, then search words.
   */
  search(query, limit = Infinity) {
    const q = query.trim().toLowerCase().replace(/^:|:$/g, '');
    if (!q) return [];
    const tiers = [[], [], []];
    for (const e of this.#all) {
      if (e.codes.some((c) => c.startsWith(q))) tiers[0].push(e);
      else if (e.codes.some((c) => c.includes(q)) || e.name.toLowerCase().includes(q)) tiers[1].push(e);
      else if (e.words.includes(q)) tiers[2].push(e);
    }
    return tiers.flat().slice(0, limit);
  }

  /**
   * Replaces every known `:shortcode:` in `text` with its emoji (in the
   * user's skin tone), leaving code spans and blocks and unknown codes alone.
   */
  replaceShortcodes(text, tone = EmojiCatalog.tone) {
    return text
      .split(/(```[\s\S]*?```|`[^`\n]*`)/)
      .map((part, i) =>
        i % 2 === 1
          ? part
          : part.replace(/(^|[^\w:]):([a-z0-9_+-]+):/gi, (whole, lead, code) => {
              const entry = this.byCode(code);
              return entry ? lead + this.withTone(entry, tone) : whole;
            }),
      )
      .join('');
  }

  /** The user's skin tone: 0 (none) to 5. */
  static get tone() {
    const n = Number(localStorage.getItem(TONE_KEY));
    return Number.isInteger(n) && n >= 0 && n < TONES.length ? n : 0;
  }

  static set tone(n) {
    localStorage.setItem(TONE_KEY, String(n));
  }

  /** Recently used emoji, newest first. */
  static get recent() {
    try {
      const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
      return Array.isArray(list) ? list.filter((e) => typeof e === 'string').slice(0, RECENT_MAX) : [];
    } catch {
      return [];
    }
  }

  static remember(emoji) {
    const list = [emoji, ...EmojiCatalog.recent.filter((e) => e !== emoji)].slice(0, RECENT_MAX);
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  }
}
