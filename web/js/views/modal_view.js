import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';

/**
 * A native <dialog> shown modally (focus trapping and Escape come with it),
 * with a title, a body and an optional footer. Removed from the DOM on close.
 */
export default class ModalView {
  el;
  body;
  footer;
  #onClose = [];

  constructor(title, { wide = false, className = '' } = {}) {
    const titleId = `dlg-${crypto.randomUUID().slice(0, 8)}`;
    this.body = Dom.h('div', { class: 'modal__body' });
    this.footer = Dom.h('div', { class: 'modal__footer' });
    this.el = Dom.h(
      'dialog',
      { class: ['modal', wide && 'modal--wide', className], 'aria-labelledby': titleId },
      Dom.h(
        'header',
        { class: 'modal__header' },
        Dom.h('h2', { id: titleId, class: 'modal__title' }, title),
        Dom.h(
          'button',
          { class: 'icon-btn', type: 'button', 'aria-label': 'Close', onclick: () => this.close() },
          Icons.get('x'),
        ),
      ),
      this.body,
      this.footer,
    );
    this.el.addEventListener('close', () => {
      this.el.remove();
      this.#onClose.forEach((fn) => fn());
    });
    this.el.addEventListener('click', (e) => {
      if (e.target === this.el) this.close();
    });
  }

  onClose(fn) {
    this.#onClose.push(fn);
  }

  open() {
    document.body.append(this.el);
    this.el.showModal();
    return this;
  }

  close() {
    if (this.el.open) this.el.close();
  }

  /** A yes/no question; resolves true when confirmed. */
  static confirm(title, text, { confirmLabel = 'Confirm', danger = false } = {}) {
    return new Promise((resolve) => {
      const modal = new ModalView(title);
      let answer = false;
      modal.body.append(Dom.h('p', { class: 'modal__text' }, text));
      modal.footer.append(
        Dom.h('button', { class: 'btn btn--ghost', type: 'button', onclick: () => modal.close() }, 'Cancel'),
        Dom.h(
          'button',
          {
            class: ['btn', danger ? 'btn--danger' : 'btn--primary'],
            type: 'button',
            onclick: () => {
              answer = true;
              modal.close();
            },
          },
          confirmLabel,
        ),
      );
      modal.onClose(() => resolve(answer));
      modal.open();
    });
  }
}
