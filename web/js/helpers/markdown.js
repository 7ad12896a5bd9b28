/**
 * The safe Markdown subset of messages, rendered by building elements: bold,
 * italic, strikethrough, inline code, code blocks, links (http, https and
 * mailto only), quotes, lists, headings (`#` to `######`), pipe tables and
 * @mentions. Nothing is ever parsed as HTML.
 */
const INLINE = new RegExp(
  [
    '`([^`\\n]+)`', // 1 code
    '\\[([^\\]\\n]+)\\]\\(([^()\\s]+)\\)', // 2 text, 3 url
    '((?:https?:\\/\\/|mailto:)[^\\s<>()]*[^\\s<>().,;:!?\'"])', // 4 bare link
    '\\*\\*(?=\\S)([^]+?)\\*\\*', // 5 bold
    '__(?=\\S)([^]+?)__', // 6 bold
    '~~(?=\\S)([^]+?)~~', // 7 strike
    '\\*(?=[^\\s*])([^*\\n]+?)\\*', // 8 italic
    '(?<![\\w])_(?=[^\\s_])([^_\\n]+?)_(?![\\w])', // 9 italic
    '(?<![\\w@])@([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9_])', // 10 mention
  ].join('|'),
  'g',
);
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const HEADING = /^ {0,3}(#{1,6})[ \t]+(\S.*)$/;
/** A table's delimiter row: `| --- | :-: |`, at least one `-` per cell. */
const TABLE_DELIMITER = /^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
/** Most columns and rows of a table; more is shown as plain text. */
const MAX_TABLE_COLUMNS = 20;
const ROOM_MENTIONS = new Set(['room', 'here', 'everyone', 'channel']);

export default class Markdown {
  /**
   * @param {string} text
   * @param {{me?: string}} ctx `me` is the caller's username, highlighted when mentioned
   * @returns {DocumentFragment}
   */
  static render(text, ctx = {}) {
    const frag = document.createDocumentFragment();
    const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
    let i = 0;
    let para = [];
    const flush = () => {
      if (para.length === 0) return;
      const p = document.createElement('p');
      para.forEach((line, n) => {
        if (n > 0) p.append(document.createElement('br'));
        p.append(Markdown.inline(line, ctx));
      });
      frag.append(p);
      para = [];
    };
    while (i < lines.length) {
      const line = lines[i];
      const fence = line.match(/^\s*```\s*([\w+-]*)\s*$/);
      if (fence) {
        flush();
        const code = [];
        i++;
        while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) code.push(lines[i++]);
        i++;
        const pre = document.createElement('pre');
        const el = document.createElement('code');
        if (fence[1]) el.dataset.lang = fence[1];
        el.textContent = code.join('\n');
        pre.append(el);
        frag.append(pre);
        continue;
      }
      if (/^\s*>/.test(line)) {
        flush();
        const quote = document.createElement('blockquote');
        const inner = [];
        while (i < lines.length && /^\s*>/.test(lines[i])) inner.push(lines[i++].replace(/^\s*>\s?/, ''));
        quote.append(Markdown.render(inner.join('\n'), ctx));
        frag.append(quote);
        continue;
      }
      const heading = line.match(HEADING);
      if (heading) {
        flush();
        // Message headings sit below the page's own (h1, h2): `#` is an h3.
        const level = heading[1].length;
        const h = document.createElement(`h${Math.min(level + 2, 6)}`);
        h.className = `md-heading md-heading--${Math.min(level, 3)}`;
        h.append(Markdown.inline(Markdown.#headingText(heading[2]), ctx));
        frag.append(h);
        i++;
        continue;
      }
      if (line.includes('|') && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1])) {
        const head = Markdown.#cells(line);
        const align = Markdown.#cells(lines[i + 1]).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : null));
        if (head.length === align.length && head.length <= MAX_TABLE_COLUMNS) {
          flush();
          i += 2;
          const rows = [];
          while (i < lines.length && lines[i].includes('|') && lines[i].trim() !== '') rows.push(Markdown.#cells(lines[i++]));
          frag.append(Markdown.#table(head, align, rows, ctx));
          continue;
        }
      }
      const bullet = /^\s*[-*+]\s+/;
      const ordered = /^\s*\d{1,9}[.)]\s+/;
      if (bullet.test(line) || ordered.test(line)) {
        flush();
        const kind = bullet.test(line) ? bullet : ordered;
        const list = document.createElement(kind === bullet ? 'ul' : 'ol');
        if (kind === ordered) {
          const start = parseInt(line.trim(), 10);
          if (start > 1) list.start = start;
        }
        while (i < lines.length && kind.test(lines[i])) {
          const li = document.createElement('li');
          li.append(Markdown.inline(lines[i++].replace(kind, ''), ctx));
          list.append(li);
        }
        frag.append(list);
        continue;
      }
      if (line.trim() === '') flush();
      else para.push(line);
      i++;
    }
    flush();
    return frag;
  }

  /** A heading's text without its optional closing `#`s (a linear scan: no regex backtracking). */
  static #headingText(raw) {
    const text = raw.trimEnd();
    let end = text.length;
    while (end > 0 && text[end - 1] === '#') end--;
    if (end === text.length || (end > 0 && !/[ \t]/.test(text[end - 1]))) return text;
    return text.slice(0, end).trimEnd() || text;
  }

  /** The cells of a table row: split at `|` (not `\\|`), outer pipes dropped, trimmed. */
  static #cells(line) {
    let row = line.trim();
    if (row.startsWith('|')) row = row.slice(1);
    if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
    return row.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
  }

  /** A table in a scrolling wrapper; rows are cut or padded to the header's columns. */
  static #table(head, align, rows, ctx) {
    const cell = (tag, text, col) => {
      const c = document.createElement(tag);
      if (align[col]) c.className = `md-align-${align[col]}`;
      c.append(Markdown.inline(text ?? '', ctx));
      return c;
    };
    const table = document.createElement('table');
    const thead = document.createElement('thead');
    const tr = document.createElement('tr');
    head.forEach((text, col) => tr.append(cell('th', text, col)));
    thead.append(tr);
    table.append(thead);
    if (rows.length) {
      const tbody = document.createElement('tbody');
      for (const row of rows) {
        const r = document.createElement('tr');
        head.forEach((_, col) => r.append(cell('td', row[col], col)));
        tbody.append(r);
      }
      table.append(tbody);
    }
    const wrap = document.createElement('div');
    wrap.className = 'md-table';
    wrap.append(table);
    return wrap;
  }

  /** One line of inline Markdown. */
  static inline(text, ctx = {}, depth = 0) {
    const frag = document.createDocumentFragment();
    if (depth > 4) {
      frag.append(text);
      return frag;
    }
    let last = 0;
    INLINE.lastIndex = 0;
    const matches = [...text.matchAll(INLINE)];
    for (const m of matches) {
      if (m.index > last) frag.append(text.slice(last, m.index));
      last = m.index + m[0].length;
      frag.append(Markdown.#token(m, ctx, depth));
    }
    if (last < text.length) frag.append(text.slice(last));
    return frag;
  }

  /** Plain text for previews and notifications: markers stripped. */
  static plain(text) {
    return String(text ?? '')
      .replace(/```[\w+-]*\n?/g, '')
      .replace(/\[([^\]\n]+)\]\(([^()\s]+)\)/g, '$1')
      .replace(/(\*\*|__|~~|`)/g, '')
      // Single-mark emphasis (`_x_`, `*x*`), not the underscores inside snake_case.
      .replace(/(^|[^\w*])[*_]([^*_\s](?:[^*_\n]*?[^*_\s])?)[*_](?![\w*])/g, '$1$2')
      .replace(/^\s*>\s?/gm, '')
      .replace(/^ {0,3}#{1,6}[ \t]+/gm, '')
      .replace(/^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/gm, '')
      .replace(/\s+/g, ' ')
      .trim();
  }

  static safeUrl(raw) {
    try {
      const url = new URL(raw);
      return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  static #token(m, ctx, depth) {
    const el = (tag, cls) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      return e;
    };
    if (m[1] !== undefined) {
      const code = el('code');
      code.textContent = m[1];
      return code;
    }
    if (m[2] !== undefined) {
      const href = Markdown.safeUrl(m[3]);
      if (!href) return document.createTextNode(m[0]);
      const a = Markdown.#link(href);
      a.append(Markdown.inline(m[2], ctx, depth + 1));
      return a;
    }
    if (m[4] !== undefined) {
      const href = Markdown.safeUrl(m[4]);
      if (!href) return document.createTextNode(m[0]);
      const a = Markdown.#link(href);
      a.textContent = m[4];
      return a;
    }
    const wrap = (tag, inner) => {
      const e = el(tag);
      e.append(Markdown.inline(inner, ctx, depth + 1));
      return e;
    };
    if (m[5] !== undefined) return wrap('strong', m[5]);
    if (m[6] !== undefined) return wrap('strong', m[6]);
    if (m[7] !== undefined) return wrap('del', m[7]);
    if (m[8] !== undefined) return wrap('em', m[8]);
    if (m[9] !== undefined) return wrap('em', m[9]);
    const name = m[10];
    const span = el('span', 'mention');
    const lower = name.toLowerCase();
    if (ROOM_MENTIONS.has(lower)) span.classList.add('mention--room');
    if (ctx.me && lower === ctx.me.toLowerCase()) span.classList.add('mention--me');
    span.textContent = `@${name}`;
    return span;
  }

  static #link(href) {
    const a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    return a;
  }
}
