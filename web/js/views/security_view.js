import Dom from 'helpers/dom.js';
import TwoFactorPanel from 'views/security/two_factor_panel.js';
import EmailPanel from 'views/security/email_panel.js';
import SessionsPanel from 'views/security/sessions_panel.js';
import PasswordPanel from 'views/security/password_panel.js';
import DeleteAccountPanel from 'views/security/delete_account_panel.js';

/**
 * The Security part of "Profile & settings": one panel each for two-factor
 * authentication, the e-mail address, the sessions, the password and deleting
 * the account (views/security/). This view holds the signed-in user they
 * share and reloads it from the server when it opens. Server and user text
 * goes into the DOM as text only.
 */
export default class SecurityView {
  el;
  #api;
  #session;
  #me = null;
  #twoFactor;
  #email;
  #sessions;

  /** @param ctx {api, session, toast?, onAccountGone} */
  constructor({ api, session, toast, onAccountGone }) {
    this.#api = api;
    this.#session = session;
    this.#me = session.user;
    const ctx = { api, toast: toast ?? (() => {}), me: () => this.#me, reloadMe: () => this.#reloadMe() };
    this.#twoFactor = new TwoFactorPanel(ctx);
    this.#email = new EmailPanel(ctx);
    this.#sessions = new SessionsPanel(ctx);
    const password = new PasswordPanel(ctx, () => this.#sessions.load());
    const deleteAccount = new DeleteAccountPanel(ctx, onAccountGone);
    this.el = Dom.h(
      'section',
      { class: 'security', 'aria-labelledby': 'security-title' },
      Dom.h('h3', { class: 'security__title', id: 'security-title' }, 'Security'),
      this.#twoFactor.el,
      this.#email.el,
      this.#sessions.el,
      password.el,
      deleteAccount.el,
    );
    this.#refresh();
  }

  /** Fresh flags from the server (the stored profile may predate them), and the sessions. */
  async #refresh() {
    try {
      await this.#reloadMe();
      this.#twoFactor.render();
      this.#email.render();
    } catch {
      // keep what the session had
    }
    await this.#sessions.load();
  }

  async #reloadMe() {
    this.#me = await this.#api.me();
    this.#session.user = this.#me;
    return this.#me;
  }
}
