import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import ModalView from 'views/modal_view.js';
import SecurityView from 'views/security_view.js';
import NotificationsView from 'views/notifications_view.js';
import ProfilePage from 'views/settings/profile_page.js';
import AppearancePage from 'views/settings/appearance_page.js';

/** The pages, in order: route name, title, icon. */
const PAGES = [
  ['profile', 'Profile', 'at'],
  ['notifications', 'Notifications', 'bell'],
  ['appearance', 'Appearance', 'moon'],
  ['security', 'Security', 'lock'],
  ['sessions', 'Sessions', 'users'],
  ['account', 'Account', 'settings'],
];

/**
 * The user's settings, one page at a time: a list of pages (tabs: arrow
 * keys, Home and End move between them) beside the open one. Each page has
 * a URL, `#/settings/<page>` (the shell routes it here); switching pages
 * replaces the URL rather than adding history steps.
 */
export default class SettingsDialog {
  #ctx;
  #modal;
  #tabs = new Map();
  #panels = new Map();
  #current = null;

  /** @param ctx {chat, session, uploader, notifier, toast, signOut, onPage(name), onClose()} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.#modal = new ModalView('Settings', { className: 'modal--settings' });
    this.#modal.onClose(() => ctx.onClose?.());
    this.#build();
  }

  static has(name) {
    return PAGES.some(([n]) => n === name);
  }

  get isOpen() {
    return this.#modal.el.open;
  }

  /** Opens the dialog (if it is not) on page `name`. */
  open(name = 'profile') {
    if (!this.isOpen) this.#modal.open();
    this.show(SettingsDialog.has(name) ? name : 'profile');
  }

  close() {
    this.#modal.close();
  }

  show(name, { focus = false } = {}) {
    if (!this.#panels.has(name)) return;
    this.#current = name;
    for (const [n, tab] of this.#tabs) {
      const on = n === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      this.#panels.get(n).hidden = !on;
    }
    this.#modal.el.dataset.page = name;
    const tab = this.#tabs.get(name);
    // On a phone the list is a scrolling row: keep the chosen tab in view.
    tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    if (focus) tab.focus();
  }

  #build() {
    const { chat, session, uploader, notifier, toast } = this.#ctx;
    const notifications = new NotificationsView({
      api: chat.api,
      session,
      notifier,
      onUser: (user) => chat.emit('me', user),
    });
    // The Security pages refresh the profile from the server.
    this.#modal.onClose(session.on('user', (user) => notifications.update(user)));
    const security = new SecurityView({
      api: chat.api,
      session,
      toast,
      onAccountGone: () => {
        this.#modal.close();
        session.lose();
      },
    });
    const bodies = {
      profile: new ProfilePage({ chat, session, uploader, toast }).el,
      notifications: notifications.el,
      appearance: new AppearancePage().el,
      ...security.pages,
    };
    const nav = Dom.h('div', { class: 'settings-nav', role: 'tablist', 'aria-label': 'Settings pages', 'aria-orientation': 'vertical', onkeydown: (e) => this.#onKey(e) });
    const pages = Dom.h('div', { class: 'settings-pages' });
    for (const [name, title, icon] of PAGES) {
      const tabId = `settings-tab-${name}`;
      const panelId = `settings-page-${name}`;
      const tab = Dom.h(
        'button',
        { class: 'settings-nav__tab', type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1', dataset: { page: name }, onclick: () => this.#go(name) },
        Icons.get(icon, { size: 16 }),
        Dom.h('span', null, title),
      );
      const panel = Dom.h(
        'section',
        { class: 'settings-page', role: 'tabpanel', id: panelId, 'aria-labelledby': `${panelId}-title`, hidden: true },
        Dom.h('h3', { class: 'settings-page__title', id: `${panelId}-title` }, title),
        bodies[name],
      );
      this.#tabs.set(name, tab);
      this.#panels.set(name, panel);
      nav.append(tab);
      pages.append(panel);
    }
    this.#modal.body.append(Dom.h('div', { class: 'settings' }, nav, pages));
    this.#modal.footer.append(
      Dom.h('button', { class: 'btn btn--ghost btn--danger-text', type: 'button', onclick: () => {
        this.#modal.close();
        this.#ctx.signOut();
      } }, Icons.get('logout', { size: 16 }), 'Sign out'),
      Dom.h('span', { class: 'grow' }),
      Dom.h('button', { class: 'btn btn--secondary', type: 'button', onclick: () => this.#modal.close() }, 'Done'),
    );
  }

  /** A page chosen here: shown, and its URL recorded. */
  #go(name, opts) {
    this.show(name, opts);
    this.#ctx.onPage?.(name);
  }

  #onKey(e) {
    const names = PAGES.map(([n]) => n);
    const i = names.indexOf(this.#current);
    const to = {
      ArrowDown: names[(i + 1) % names.length],
      ArrowRight: names[(i + 1) % names.length],
      ArrowUp: names[(i - 1 + names.length) % names.length],
      ArrowLeft: names[(i - 1 + names.length) % names.length],
      Home: names[0],
      End: names[names.length - 1],
    }[e.key];
    if (!to) return;
    e.preventDefault();
    this.#go(to, { focus: true });
  }
}
