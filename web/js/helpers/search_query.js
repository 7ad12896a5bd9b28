/**
 * The operators a user types into the search box, as Slack and Discord users
 * know them: `from:ann` (or `from:@ann`, `from:me`), `in:#general`,
 * `has:image|file|link`, `before:`, `after:` and `on:` with a YYYY-MM-DD
 * date. `parse` splits them from the words; the search panel maps them onto
 * the API's filters (GET /search `from`, `room_id`, `has`, `before`, `after`).
 * A token with an unknown key (`foo:bar`, a URL) stays a word.
 */
const KEYS = new Set(['from', 'in', 'has', 'before', 'after', 'on', 'during']);
const HAS = { image: 'image', images: 'image', photo: 'image', file: 'file', files: 'file', attachment: 'file', link: 'link', links: 'link' };
const TOKEN = /(\S+)/g;

export default class SearchQuery {
  /**
   * @param {string} text what is in the box
   * @returns {{words: string, operators: {key: string, value: string, raw: string, index: number}[]}}
   */
  static parse(text) {
    const words = [];
    const operators = [];
    for (const m of String(text ?? '').matchAll(TOKEN)) {
      const token = m[1];
      const colon = token.indexOf(':');
      const key = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
      const value = colon > 0 ? token.slice(colon + 1) : '';
      if (KEYS.has(key) && value) operators.push({ key: key === 'during' ? 'on' : key, value, raw: token, index: m.index });
      else words.push(token);
    }
    return { words: words.join(' '), operators };
  }

  /** `text` without the operator that starts at `index` (and one space beside it). */
  static remove(text, { raw, index }) {
    // The box may have changed since the chip was made: then its first match.
    const at = text.slice(index, index + raw.length) === raw ? index : text.indexOf(raw);
    if (at < 0) return text;
    return `${text.slice(0, at)}${text.slice(at + raw.length)}`.replace(/\s{2,}/g, ' ').trim();
  }

  /** `image`, `file` or `link` for a `has:` value; null if unknown. */
  static has(value) {
    return HAS[value.toLowerCase()] ?? null;
  }

  /** A YYYY-MM-DD date as typed, if it is a real date; else null. */
  static date(value) {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
    if (!m) return null;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
    return d.toISOString().slice(0, 10);
  }

  /** The day after a YYYY-MM-DD date (for `on:`). */
  static nextDay(date) {
    const d = new Date(`${date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  /** The name a `from:` or `in:` value refers to: without `@` / `#`, lower case. */
  static name(value) {
    return value.replace(/^[@#]/, '').toLowerCase();
  }
}
