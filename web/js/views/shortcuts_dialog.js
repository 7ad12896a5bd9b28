import Dom from 'helpers/dom.js';
import ModalView from 'views/modal_view.js';

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

/** The keyboard shortcuts, by where they work. */
const SHEET = [
  [
    'Anywhere',
    [
      [[MOD, 'K'], 'Jump to a room or person'],
      [[MOD, 'Shift', 'F'], 'Search messages'],
      [['Alt', '↑'], 'Previous conversation'],
      [['Alt', '↓'], 'Next conversation'],
      [['Esc'], 'Mark the open room as read (or close the panel)'],
      [['↑ / ↓'], 'In the messages: move between them; Tab reaches their actions'],
      [['?'], 'Show these shortcuts'],
      [[MOD, '/'], 'Show these shortcuts (also while typing)'],
    ],
  ],
  [
    'Writing a message',
    [
      [['Enter'], 'Send'],
      [['Shift', 'Enter'], 'New line'],
      [['↑'], 'Edit your last message (when the box is empty)'],
      [['Esc'], 'Cancel a reply or an edit'],
      [['@'], 'Mention someone'],
      [['#'], 'Name a channel'],
      [[':'], 'Insert an emoji by name, e.g. :tada:'],
    ],
  ],
];

/** `?`: the sheet of keyboard shortcuts. */
export default class ShortcutsDialog {
  #modal = new ModalView('Keyboard shortcuts', { className: 'shortcuts' });

  constructor() {
    // On a phone the sheet scrolls: the keyboard must be able to scroll it too.
    Dom.set(this.#modal.body, { tabindex: '0', role: 'region', 'aria-label': 'Shortcuts' });
    Dom.append(
      this.#modal.body,
      SHEET.map(([title, rows]) =>
        Dom.h(
          'section',
          { class: 'shortcuts__section' },
          Dom.h('h3', { class: 'shortcuts__title' }, title),
          Dom.h(
            'dl',
            { class: 'shortcuts__list' },
            rows.map(([keys, what]) =>
              Dom.h(
                'div',
                { class: 'shortcuts__row' },
                Dom.h('dt', { class: 'shortcuts__keys' }, keys.map((k, i) => [i > 0 && Dom.h('span', { class: 'shortcuts__plus', 'aria-hidden': 'true' }, '+'), Dom.h('kbd', null, k)])),
                Dom.h('dd', { class: 'shortcuts__what' }, what),
              ),
            ),
          ),
        ),
      ),
    );
  }

  open() {
    this.#modal.open();
    return this;
  }
}
