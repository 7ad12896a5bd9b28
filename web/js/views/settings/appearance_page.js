import Dom from 'helpers/dom.js';
import Theme from 'helpers/theme.js';

/** The Appearance page of the settings: the colour theme, applied at once. */
export default class AppearancePage {
  el;

  constructor() {
    const themeSel = Dom.h(
      'div',
      { class: 'segmented', role: 'radiogroup', 'aria-label': 'Theme' },
      ['system', 'light', 'dark'].map((t) =>
        Dom.h('button', { type: 'button', role: 'radio', class: 'segmented__btn', 'aria-checked': Theme.choice === t ? 'true' : 'false', onclick: (e) => {
          Theme.set(t);
          for (const b of themeSel.children) b.setAttribute('aria-checked', b === e.currentTarget ? 'true' : 'false');
        } }, t[0].toUpperCase() + t.slice(1)),
      ),
    );
    this.el = Dom.h(
      'div',
      { class: 'settings-page__body' },
      Dom.h('div', { class: 'settings-row' }, Dom.h('div', null, Dom.h('strong', null, 'Theme'), Dom.h('p', { class: 'field__hint' }, 'Follow the system or pick one.')), themeSel),
    );
  }
}
