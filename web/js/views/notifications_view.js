import Dom from 'helpers/dom.js';
import PushClient from 'lib/push.js';

/** The server's "until turned off" time is the end of year 9999. */
const FOREVER_YEAR = 9999;

/**
 * The Notifications page of the settings: do-not-disturb (saved on
 * change, stored on the server), in-tab desktop notifications, and Web Push
 * on this device. Messages go into the DOM as text only.
 */
export default class NotificationsView {
  el;
  #api;
  #session;
  #onUser;
  #push;
  #dnd = Dom.h('select', { class: 'input input--inline', id: 'pf-dnd' });
  #dndHint = Dom.h('p', { class: 'field__hint', id: 'pf-dnd-hint' });
  #pushToggle = Dom.h('input', { type: 'checkbox', class: 'switch', id: 'pf-push', role: 'switch' });
  #error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
  #pushError = Dom.h('p', { class: 'form-error notifications__push-error', role: 'alert', hidden: true });

  /** @param ctx {api, session, notifier, onUser(user)} */
  constructor({ api, session, notifier, onUser }) {
    this.#api = api;
    this.#session = session;
    this.#onUser = onUser ?? (() => {});
    this.#push = new PushClient(api);
    this.#dnd.addEventListener('change', () => this.#saveDnd());
    this.#pushToggle.addEventListener('change', () => this.#togglePush());
    this.el = Dom.h(
      'section',
      { class: 'settings-page__body notifications' },
      Dom.h('div', { class: 'settings-row' },
        Dom.h('div', null,
          Dom.h('label', { class: 'settings-row__label', for: 'pf-dnd' }, 'Do not disturb'),
          this.#dndHint),
        this.#dnd),
      this.#error,
      NotificationsView.#desktopRow(notifier),
      Dom.h('div', { class: 'settings-row' },
        Dom.h('div', null,
          Dom.h('label', { class: 'settings-row__label', for: 'pf-push' }, 'Push notifications on this device'),
          Dom.h('p', { class: 'field__hint' }, 'Mentions and direct messages while Hearth is closed.')),
        this.#pushToggle),
      this.#pushError,
    );
    this.update(session.user);
    this.#loadPushState();
  }

  /** Shows `user`'s do-not-disturb state. */
  update(user) {
    const until = user?.dnd_until ? new Date(user.dnd_until) : null;
    const on = until && until > new Date();
    const forever = on && until.getUTCFullYear() >= FOREVER_YEAR;
    const options = [
      ['off', 'Off'],
      ['on', 'On'],
      ['hour', 'For 1 hour'],
      ['tomorrow', 'Until tomorrow'],
    ];
    if (on && !forever) options.push(['current', `Until ${NotificationsView.#when(until)}`]);
    Dom.replace(this.#dnd, options.map(([value, label]) => Dom.h('option', { value }, label)));
    this.#dnd.value = !on ? 'off' : forever ? 'on' : 'current';
    this.#dndHint.textContent = !on
      ? 'Pauses push notifications and e-mails.'
      : forever
        ? 'On: no push notifications or e-mails until you turn it off.'
        : `On until ${NotificationsView.#when(until)}: no push notifications or e-mails.`;
  }

  static #when(date) {
    const sameDay = date.toDateString() === new Date().toDateString();
    const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return sameDay ? time : `${date.toLocaleDateString([], { weekday: 'short' })} ${time}`;
  }

  static #desktopRow(notifier) {
    const notif = notifier.permission;
    const btn = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', disabled: notif === 'granted' || notif === 'denied' || notif === 'unsupported', onclick: async () => {
      const p = await notifier.requestPermission();
      btn.textContent = p === 'granted' ? 'Enabled' : 'Blocked';
      btn.disabled = true;
    } }, { granted: 'Enabled', denied: 'Blocked in browser', unsupported: 'Not supported' }[notif] ?? 'Enable');
    return Dom.h('div', { class: 'settings-row' },
      Dom.h('div', null, Dom.h('strong', null, 'Desktop notifications'), Dom.h('p', { class: 'field__hint' }, 'For mentions and direct messages while Hearth is in the background.')),
      btn);
  }

  static #showError(el, text) {
    el.hidden = !text;
    el.textContent = text ?? '';
  }

  async #saveDnd() {
    const choice = this.#dnd.value;
    if (choice === 'current') return;
    let patch;
    if (choice === 'off') patch = { dnd: false };
    else if (choice === 'on') patch = { dnd: true };
    else if (choice === 'hour') patch = { dnd_until: new Date(Date.now() + 3_600_000).toISOString() };
    else {
      const t = new Date();
      t.setDate(t.getDate() + 1);
      t.setHours(8, 0, 0, 0);
      patch = { dnd_until: t.toISOString() };
    }
    NotificationsView.#showError(this.#error, null);
    this.#dnd.disabled = true;
    try {
      const user = await this.#api.updateMe(patch);
      this.#session.user = user;
      this.#onUser(user);
      this.update(user);
    } catch (err) {
      NotificationsView.#showError(this.#error, `Could not change do-not-disturb: ${err.message}`);
      this.update(this.#session.user);
    } finally {
      this.#dnd.disabled = false;
    }
  }

  async #loadPushState() {
    if (!PushClient.supported) {
      this.#pushToggle.disabled = true;
      NotificationsView.#showError(this.#pushError, 'This browser does not support push notifications.');
      return;
    }
    const subscription = await this.#push.current();
    this.#pushToggle.checked = Boolean(subscription) && Notification.permission === 'granted';
  }

  async #togglePush() {
    const on = this.#pushToggle.checked;
    NotificationsView.#showError(this.#pushError, null);
    this.#pushToggle.disabled = true;
    this.el.dataset.push = 'working';
    try {
      if (on) await this.#push.enable();
      else await this.#push.disable();
      this.#pushToggle.checked = on;
      this.el.dataset.push = on ? 'on' : 'off';
    } catch (err) {
      this.#pushToggle.checked = on ? false : Boolean(await this.#push.current());
      this.el.dataset.push = 'failed';
      NotificationsView.#showError(this.#pushError, on ? err.message : `Could not turn push notifications off: ${err.message}`);
    } finally {
      this.#pushToggle.disabled = false;
    }
  }
}
