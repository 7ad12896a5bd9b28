import Dom from 'helpers/dom.js';

/**
 * A floating panel next to an anchor, closed by Escape, an outside click or
 * `close()`. Only one is open at a time.
 */
export default class PopoverView {
  static #current = null;
  el;
  #anchor;
  #placement = 'top';
  #onDoc = (e) => {
    if (!this.el.contains(e.target) && !this.#anchor?.contains(e.target)) this.close();
  };
  #onKey = (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      this.close();
      this.#anchor?.focus?.();
    }
  };
  #closed = [];

  constructor(className, label) {
    this.el = Dom.h('div', { class: `popover ${className}`, role: 'dialog', 'aria-label': label });
  }

  onClose(fn) {
    this.#closed.push(fn);
  }

  open(anchor, { placement = 'top' } = {}) {
    PopoverView.#current?.close();
    PopoverView.#current = this;
    this.#anchor = anchor;
    this.#placement = placement;
    document.body.append(this.el);
    this.reposition();
    setTimeout(() => document.addEventListener('pointerdown', this.#onDoc), 0);
    document.addEventListener('keydown', this.#onKey, true);
    return this;
  }

  /** Places the panel by its anchor again (after its content changed size). */
  reposition() {
    const placement = this.#placement;
    const a = this.#anchor.getBoundingClientRect();
    const p = this.el.getBoundingClientRect();
    const margin = 8;
    let top = placement === 'top' ? a.top - p.height - 6 : a.bottom + 6;
    if (top < margin) top = a.bottom + 6;
    if (top + p.height > innerHeight - margin) top = Math.max(margin, innerHeight - p.height - margin);
    let left = Math.min(a.left, innerWidth - p.width - margin);
    left = Math.max(margin, left);
    this.el.style.top = `${top}px`;
    this.el.style.left = `${left}px`;
  }

  close() {
    if (PopoverView.#current === this) PopoverView.#current = null;
    document.removeEventListener('pointerdown', this.#onDoc);
    document.removeEventListener('keydown', this.#onKey, true);
    if (this.el.isConnected) {
      this.el.remove();
      this.#closed.forEach((fn) => fn());
    }
  }
}
