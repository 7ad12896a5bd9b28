import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Markdown from 'helpers/markdown.js';

/** The line above the composer's text saying which message it replies to or edits, with a button to cancel. */
export default class ComposerContextView {
  el = Dom.h('div', { class: 'composer__context', hidden: true });
  #onCancel;

  /** @param onCancel called when the cancel button is pressed */
  constructor(onCancel) {
    this.#onCancel = onCancel;
  }

  /** Shows `message` as replied to (or, with `editing`, as edited); hides the line when it is null. */
  show(message, editing) {
    this.el.hidden = !message;
    if (!message) {
      this.el.replaceChildren();
      return;
    }
    const who = message.sender?.display_name || message.sender?.username || 'Anonymous';
    Dom.replace(
      this.el,
      Icons.get(editing ? 'edit' : 'reply', { size: 15 }),
      Dom.h(
        'span',
        { class: 'composer__context-text' },
        editing ? Dom.h('strong', null, 'Editing message') : [Dom.h('span', null, 'Replying to '), Dom.h('strong', null, who)],
        Dom.h('span', { class: 'composer__context-quote' }, Markdown.plain(message.body).slice(0, 100)),
      ),
      Dom.h('button', { class: 'icon-btn icon-btn--sm', type: 'button', 'aria-label': editing ? 'Cancel editing' : 'Cancel reply', onclick: () => this.#onCancel() }, Icons.get('x', { size: 14 })),
    );
  }
}
