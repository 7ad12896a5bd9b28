import Dom from 'helpers/dom.js';
import TwoFactorPanel from 'views/security/two_factor_panel.js';
import EmailPanel from 'views/security/email_panel.js';
import SessionsPanel from 'views/security/sessions_panel.js';
import PasswordPanel from 'views/security/password_panel.js';
import DeleteAccountPanel from 'views/security/delete_account_panel.js';

/**
 * The Security, Sessions and Account pages of the settings: two-factor
 * authentication, the e-mail address and the password; the sessions; deleting
 * the account (one panel each in views/security/). This view holds the
 * signed-in user they share and reloads it from the server when it opens.
 * Server and user text goes into the DOM as text only.
 */
export default class SecurityView {
  /** The pages' bodies: `security`, `sessions` and `account`. */
  pages;
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
    const page = (...panels) => Dom.h('div', { class: 'settings-page__body security' }, ...panels);
    this.pages = {
      security: page(this.#twoFactor.el, this.#email.el, password.el),
      sessions: page(this.#sessions.el),
      account: page(deleteAccount.el),
    };
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
