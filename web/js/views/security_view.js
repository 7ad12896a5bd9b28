import Dom from 'helpers/dom.js';
import Format from 'helpers/format.js';

/**
 * The Security part of "Profile & settings": two-factor authentication,
 * the sessions list, password change, e-mail verification and deleting the
 * account. Server and user text goes into the DOM as text only; the QR code
 * is an <img> showing the server's `data:` URL.
 */
export default class SecurityView {
  el;
  #api;
  #session;
  #toast;
  #onAccountGone;
  #me = null;
  #twoFactor = Dom.h('div', { class: 'security__block', dataset: { section: 'two-factor' } });
  #email = Dom.h('div', { class: 'security__block', dataset: { section: 'email' } });
  #sessions = Dom.h('div', { class: 'security__block', dataset: { section: 'sessions' } });
  #password = Dom.h('div', { class: 'security__block', dataset: { section: 'password' } });
  #danger = Dom.h('div', { class: 'security__block', dataset: { section: 'delete' } });

  /** @param ctx {api, session, toast?, onAccountGone} */
  constructor({ api, session, toast, onAccountGone }) {
    this.#api = api;
    this.#session = session;
    this.#toast = toast ?? (() => {});
    this.#onAccountGone = onAccountGone;
    this.#me = session.user;
    this.el = Dom.h(
      'section',
      { class: 'security', 'aria-labelledby': 'security-title' },
      Dom.h('h3', { class: 'security__title', id: 'security-title' }, 'Security'),
      this.#twoFactor,
      this.#email,
      this.#sessions,
      this.#password,
      this.#danger,
    );
    this.#renderTwoFactor();
    this.#renderEmail();
    this.#renderPassword();
    this.#renderDanger();
    this.#sessions.append(Dom.h('p', { class: 'field__hint' }, 'Loading sessions…'));
    this.#refresh();
  }

  /** Fresh flags from the server (the stored profile may predate them), and the sessions. */
  async #refresh() {
    try {
      this.#me = await this.#api.me();
      this.#session.user = this.#me;
      this.#renderTwoFactor();
      this.#renderEmail();
    } catch {
      // keep what the session had
    }
    await this.#loadSessions();
  }

  static #heading(title, hint) {
    return Dom.h('div', null, Dom.h('strong', null, title), hint && Dom.h('p', { class: 'field__hint' }, hint));
  }

  static #error() {
    const el = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const show = (err) => {
      const text = err ? SecurityView.#explain(err) : '';
      el.hidden = !text;
      el.textContent = text;
    };
    return [el, show];
  }

  static #explain(err) {
    if (typeof err === 'string') return err;
    switch (err.code) {
      case 'wrong_password':
        return 'That password is not right.';
      case 'invalid_code':
        return 'That code did not work. Enter the current one from your app.';
      case 'email_disabled':
        return 'This server does not send e-mail.';
      case 'rate_limited':
        return 'Too many attempts. Wait a moment and try again.';
      case 'network':
        return 'Cannot reach the server. Check your connection.';
      default:
        return err.message || 'Something went wrong.';
    }
  }

  static #field(id, label, attrs = {}) {
    const input = Dom.h('input', { class: 'input', id, ...attrs });
    return [input, Dom.h('div', { class: 'field' }, Dom.h('label', { class: 'field__label', for: id }, label), input)];
  }

  /** Runs `fn` with `button` disabled; errors go to `show`. */
  static async #busy(button, show, fn) {
    show(null);
    button.disabled = true;
    try {
      await fn();
    } catch (err) {
      show(err);
    } finally {
      button.disabled = false;
    }
  }

  // two-factor

  #renderTwoFactor() {
    const on = this.#me?.totp_enabled === true;
    const [error, show] = SecurityView.#error();
    if (on) {
      const start = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', onclick: () => this.#renderTotpDisable() }, 'Turn off two-factor authentication');
      Dom.replace(
        this.#twoFactor,
        Dom.h('div', { class: 'settings-row' }, SecurityView.#heading('Two-factor authentication', 'On: signing in asks for a code from your authenticator app.'), start),
        error,
      );
      return;
    }
    const start = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button' }, 'Set up two-factor authentication');
    start.addEventListener('click', () =>
      SecurityView.#busy(start, show, async () => {
        this.#renderTotpSetup(await this.#api.totpSetup());
      }),
    );
    Dom.replace(
      this.#twoFactor,
      Dom.h('div', { class: 'settings-row' }, SecurityView.#heading('Two-factor authentication', 'Off: a password alone signs you in.'), start),
      error,
    );
  }

  #renderTotpSetup(setup) {
    const [error, show] = SecurityView.#error();
    const [code, codeField] = SecurityView.#field('sec-totp-code', 'Code from your authenticator app', {
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      maxlength: '8',
      placeholder: '123456',
    });
    const confirm = Dom.h('button', { class: 'btn btn--primary btn--sm', type: 'submit' }, 'Turn on');
    const form = Dom.h(
      'form',
      {
        class: 'totp-setup',
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityView.#busy(confirm, show, async () => {
            const { recovery_codes: codes } = await this.#api.totpEnable(code.value.trim());
            this.#me = await this.#api.me();
            this.#session.user = this.#me;
            this.#renderRecoveryCodes(codes);
          });
        },
      },
      Dom.h('p', { class: 'field__hint' }, 'Scan this code with an authenticator app, then enter the 6-digit code it shows.'),
      Dom.h('img', { class: 'totp-setup__qr', src: setup.qr_data_url, alt: 'QR code for your authenticator app', width: '200', height: '200' }),
      Dom.h('p', { class: 'field__hint' }, 'Cannot scan? Enter this key by hand:'),
      Dom.h('code', { class: 'totp-setup__secret' }, setup.secret),
      Dom.h('p', { class: 'field__hint' }, 'Or open this link on the device with the app:'),
      Dom.h('code', { class: 'totp-setup__uri' }, setup.otpauth_uri),
      codeField,
      error,
      Dom.h(
        'div',
        { class: 'row' },
        confirm,
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.#renderTwoFactor() }, 'Not now'),
      ),
    );
    Dom.replace(this.#twoFactor, SecurityView.#heading('Set up two-factor authentication'), form);
    code.focus();
  }

  #renderRecoveryCodes(codes) {
    const copy = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button' }, 'Copy codes');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(codes.join('\n'));
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Copy failed: select them by hand';
      }
    });
    Dom.replace(
      this.#twoFactor,
      SecurityView.#heading('Two-factor authentication is on', 'Save these recovery codes somewhere safe. Each one signs you in once if you lose your device. They are shown only now.'),
      Dom.h('ol', { class: 'recovery-codes' }, codes.map((c) => Dom.h('li', null, Dom.h('code', null, c)))),
      Dom.h(
        'div',
        { class: 'row' },
        copy,
        Dom.h('button', { class: 'btn btn--primary btn--sm', type: 'button', onclick: () => this.#renderTwoFactor() }, 'I saved them'),
      ),
    );
  }

  #renderTotpDisable() {
    const [error, show] = SecurityView.#error();
    const [password, passwordField] = SecurityView.#field('sec-totp-off-password', 'Password', { type: 'password', autocomplete: 'current-password' });
    const [code, codeField] = SecurityView.#field('sec-totp-off-code', 'Authenticator or recovery code', { autocomplete: 'one-time-code' });
    const submit = Dom.h('button', { class: 'btn btn--danger btn--sm', type: 'submit' }, 'Turn off');
    const form = Dom.h(
      'form',
      {
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityView.#busy(submit, show, async () => {
            await this.#api.totpDisable(password.value, code.value.trim());
            this.#me = await this.#api.me();
            this.#session.user = this.#me;
            this.#renderTwoFactor();
            this.#toast('Two-factor authentication is off.');
          });
        },
      },
      passwordField,
      codeField,
      error,
      Dom.h(
        'div',
        { class: 'row' },
        submit,
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.#renderTwoFactor() }, 'Keep it on'),
      ),
    );
    Dom.replace(this.#twoFactor, SecurityView.#heading('Turn off two-factor authentication', 'Confirm with your password and a code.'), form);
    password.focus();
  }

  // e-mail

  #renderEmail() {
    const email = this.#me?.email;
    if (!email) {
      this.#email.replaceChildren();
      return;
    }
    const verified = this.#me.email_verified === true;
    const [error, show] = SecurityView.#error();
    const send = verified
      ? null
      : Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button' }, 'Send verification link');
    send?.addEventListener('click', () =>
      SecurityView.#busy(send, show, async () => {
        await this.#api.requestEmailVerification();
        send.textContent = 'Link sent: check your inbox';
        send.disabled = true;
      }),
    );
    Dom.replace(
      this.#email,
      Dom.h('div', { class: 'settings-row' }, SecurityView.#heading('E-mail address', `${email} · ${verified ? 'verified' : 'not verified'}`), send),
      error,
    );
  }

  // sessions

  async #loadSessions() {
    const [error, show] = SecurityView.#error();
    let sessions = [];
    try {
      sessions = await this.#api.sessions();
    } catch (err) {
      show(err);
    }
    const others = sessions.filter((s) => !s.current).length;
    const revokeOthers = Dom.h('button', { class: 'btn btn--ghost btn--sm btn--danger-text', type: 'button', disabled: others === 0 }, 'Revoke all other sessions');
    revokeOthers.addEventListener('click', () =>
      SecurityView.#busy(revokeOthers, show, async () => {
        const { revoked } = await this.#api.revokeOtherSessions();
        this.#toast(revoked === 1 ? '1 other session was signed out.' : `${revoked} other sessions were signed out.`);
        await this.#loadSessions();
      }),
    );
    Dom.replace(
      this.#sessions,
      Dom.h('div', { class: 'settings-row' }, SecurityView.#heading('Sessions', 'Where your account is signed in.'), revokeOthers),
      Dom.h('ul', { class: 'session-list' }, sessions.map((s) => this.#sessionItem(s, show))),
      error,
    );
  }

  #sessionItem(s, show) {
    const device = SecurityView.#device(s.user_agent);
    const revoke = s.current
      ? null
      : Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', 'aria-label': `Revoke session ${device}` }, 'Revoke');
    revoke?.addEventListener('click', () =>
      SecurityView.#busy(revoke, show, async () => {
        await this.#api.revokeSession(s.id);
        await this.#loadSessions();
      }),
    );
    return Dom.h(
      'li',
      { class: ['session-item', s.current && 'session-item--current'], dataset: { sessionId: s.id }, title: s.user_agent },
      Dom.h(
        'div',
        { class: 'session-item__text' },
        Dom.h('strong', null, device, s.current && Dom.h('span', { class: 'badge session-item__badge' }, 'This device')),
        Dom.h('span', { class: 'field__hint' }, `${s.ip} · active ${Format.when(s.last_active_at)} · since ${Format.when(s.created_at)}`),
      ),
      revoke,
    );
  }

  /** "Firefox on Linux" from a user agent; the raw string otherwise. */
  static #device(ua) {
    if (!ua) return 'Unknown device';
    const browser = [
      [/Edg\//, 'Edge'],
      [/Firefox\//, 'Firefox'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
    ].find(([re]) => re.test(ua))?.[1];
    const os = [
      [/Android/, 'Android'],
      [/iPhone|iPad/, 'iOS'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/Linux/, 'Linux'],
    ].find(([re]) => re.test(ua))?.[1];
    if (browser && os) return `${browser} on ${os}`;
    return browser ?? os ?? (ua.length > 60 ? `${ua.slice(0, 57)}…` : ua);
  }

  // password

  #renderPassword() {
    const [error, show] = SecurityView.#error();
    const [current, currentField] = SecurityView.#field('sec-current-password', 'Current password', { type: 'password', autocomplete: 'current-password' });
    const [next, nextField] = SecurityView.#field('sec-new-password', 'New password', { type: 'password', autocomplete: 'new-password', minlength: '8' });
    const submit = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'submit' }, 'Change password');
    const form = Dom.h(
      'form',
      {
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          if (next.value.length < 8) {
            show('The new password needs at least 8 characters.');
            return;
          }
          SecurityView.#busy(submit, show, async () => {
            await this.#api.changePassword(current.value, next.value);
            current.value = '';
            next.value = '';
            this.#toast('Password changed. Your other sessions were signed out.');
            await this.#loadSessions();
          });
        },
      },
      currentField,
      nextField,
      error,
      submit,
    );
    Dom.replace(this.#password, SecurityView.#heading('Password', 'Changing it signs out your other sessions.'), form);
  }

  // deletion

  #renderDanger() {
    const start = Dom.h('button', { class: 'btn btn--ghost btn--sm btn--danger-text', type: 'button' }, 'Delete account…');
    start.addEventListener('click', () => this.#renderDeleteForm());
    Dom.replace(
      this.#danger,
      Dom.h('div', { class: 'settings-row' }, SecurityView.#heading('Delete account', 'Your messages stay, shown as from “deleted user”.'), start),
    );
  }

  #renderDeleteForm() {
    const [error, show] = SecurityView.#error();
    const [password, passwordField] = SecurityView.#field('sec-delete-password', 'Password to confirm', { type: 'password', autocomplete: 'current-password' });
    const submit = Dom.h('button', { class: 'btn btn--danger btn--sm', type: 'submit' }, 'Delete my account');
    const form = Dom.h(
      'form',
      {
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityView.#busy(submit, show, async () => {
            await this.#api.deleteMe(password.value);
            this.#onAccountGone();
          });
        },
      },
      Dom.h('p', { class: 'field__hint' }, 'This cannot be undone. Your profile and e-mail address are erased and you are signed out everywhere.'),
      passwordField,
      error,
      Dom.h(
        'div',
        { class: 'row' },
        submit,
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.#renderDanger() }, 'Keep my account'),
      ),
    );
    Dom.replace(this.#danger, SecurityView.#heading('Delete account'), form);
    password.focus();
  }
}
