import Dom from 'helpers/dom.js';
import Emoji from 'helpers/emoji.js';
import PopoverView from 'views/popover_view.js';

/** The emoji grid, for reactions and for the composer. */
export default class EmojiPickerView {
  static open(anchor, onPick) {
    const pop = new PopoverView('emoji-picker', 'Choose an emoji');
    const pick = (emoji) => {
      pop.close();
      onPick(emoji);
    };
    const buttons = [];
    for (const group of Emoji.GROUPS) {
      pop.el.append(Dom.h('div', { class: 'emoji-picker__group' }, group.name));
      const grid = Dom.h('div', { class: 'emoji-picker__grid', role: 'group', 'aria-label': group.name });
      for (const e of group.emoji) {
        const b = Dom.h('button', { type: 'button', class: 'emoji-btn', 'aria-label': e, title: e, onclick: () => pick(e) }, e);
        buttons.push(b);
        grid.append(b);
      }
      pop.el.append(grid);
    }
    pop.el.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key];
      if (step) {
        e.preventDefault();
        buttons[Math.max(0, Math.min(buttons.length - 1, i + step))].focus();
      }
    });
    pop.open(anchor);
    buttons[0]?.focus();
    return pop;
  }
}
