import Dom from 'helpers/dom.js';

/** Short-lived messages in a corner, announced to screen readers. */
export default class ToastView {
  el = Dom.h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });

  show(text, { kind = 'info', ms = 4500 } = {}) {
    const toast = Dom.h('div', { class: `toast toast--${kind}` }, String(text));
    this.el.append(toast);
    setTimeout(() => {
      toast.classList.add('toast--out');
      setTimeout(() => toast.remove(), 300);
    }, ms);
  }
}
