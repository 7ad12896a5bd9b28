/**
 * Element building without HTML strings: every string child becomes a text
 * node, so user text can never turn into markup.
 */
export default class Dom {
  /**
   * h('button', {class: 'btn', onclick: fn, 'aria-label': 'Send'}, 'Send')
   * Attributes: `class` (string or array), `dataset`, `style` (object, set via
   * CSSOM — allowed by the CSP), `on<event>` listeners, `text`, booleans.
   */
  static h(tag, attrs = null, ...children) {
    const el = document.createElement(tag);
    Dom.set(el, attrs);
    Dom.append(el, children);
    return el;
  }

  static set(el, attrs) {
    for (const [key, value] of Object.entries(attrs ?? {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      } else if (key === 'dataset') {
        Object.assign(el.dataset, value);
      } else if (key === 'style') {
        Object.assign(el.style, value);
      } else if (key === 'text') {
        el.textContent = value;
      } else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'hidden') {
        el[key] = value;
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    return el;
  }

  static append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** Replaces all children. */
  static replace(el, ...children) {
    el.replaceChildren();
    return Dom.append(el, children);
  }

  /**
   * Makes `parent`'s children exactly `nodes`, moving only what changed, so
   * existing elements (and their state: playing audio, focus) survive.
   */
  static reconcile(parent, nodes) {
    let cursor = parent.firstChild;
    for (const node of nodes) {
      if (node === cursor) {
        cursor = cursor.nextSibling;
      } else {
        parent.insertBefore(node, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
  }
}
