import Dom from 'helpers/dom.js';
import SecurityForm from 'views/security/security_form.js';

/**
 * Two-factor authentication: turning it on (QR code, key and link, then a
 * code and the password to confirm), showing the recovery codes once, turning it off. The QR
 * code is an <img> showing the server's `data:` URL.
 */
export default class TwoFactorPanel {
  el = SecurityForm.block('two-factor');
  #ctx;

  /** @param ctx {api, toast, me: () => user, reloadMe: () => Promise<user>} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.render();
  }

  render() {
    const on = this.#ctx.me()?.totp_enabled === true;
    const [error, show] = SecurityForm.error();
    if (on) {
      const start = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', onclick: () => this.#renderDisable() }, 'Turn off two-factor authentication');
      Dom.replace(
        this.el,
        Dom.h('div', { class: 'settings-row' }, SecurityForm.heading('Two-factor authentication', 'On: signing in asks for a code from your authenticator app.'), start),
        error,
      );
      return;
    }
    const start = Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button' }, 'Set up two-factor authentication');
    start.addEventListener('click', () =>
      SecurityForm.busy(start, show, async () => {
        this.#renderSetup(await this.#ctx.api.totpSetup());
      }),
    );
    Dom.replace(
      this.el,
      Dom.h('div', { class: 'settings-row' }, SecurityForm.heading('Two-factor authentication', 'Off: a password alone signs you in.'), start),
      error,
    );
  }

  #renderSetup(setup) {
    const [error, show] = SecurityForm.error();
    const [code, codeField] = SecurityForm.field('sec-totp-code', 'Code from your authenticator app', {
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      maxlength: '8',
      placeholder: '123456',
    });
    const [password, passwordField] = SecurityForm.field('sec-totp-password', 'Password', { type: 'password', autocomplete: 'current-password' });
    const confirm = Dom.h('button', { class: 'btn btn--primary btn--sm', type: 'submit' }, 'Turn on');
    const form = Dom.h(
      'form',
      {
        class: 'totp-setup',
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityForm.busy(confirm, show, async () => {
            const { recovery_codes: codes } = await this.#ctx.api.totpEnable(code.value.trim(), password.value);
            await this.#ctx.reloadMe();
            this.#renderRecoveryCodes(codes);
          });
        },
      },
      Dom.h('p', { class: 'field__hint' }, 'Scan this code with an authenticator app, then enter the 6-digit code it shows and your password.'),
      Dom.h('img', { class: 'totp-setup__qr', src: setup.qr_data_url, alt: 'QR code for your authenticator app', width: '200', height: '200' }),
      Dom.h('p', { class: 'field__hint' }, 'Cannot scan? Enter this key by hand:'),
      Dom.h('code', { class: 'totp-setup__secret' }, setup.secret),
      Dom.h('p', { class: 'field__hint' }, 'Or open this link on the device with the app:'),
      Dom.h('code', { class: 'totp-setup__uri' }, setup.otpauth_uri),
      codeField,
      passwordField,
      error,
      Dom.h(
        'div',
        { class: 'row' },
        confirm,
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.render() }, 'Not now'),
      ),
    );
    Dom.replace(this.el, SecurityForm.heading('Set up two-factor authentication'), form);
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
      this.el,
      SecurityForm.heading('Two-factor authentication is on', 'Save these recovery codes somewhere safe. Each one signs you in once if you lose your device. They are shown only now.'),
      Dom.h('ol', { class: 'recovery-codes' }, codes.map((c) => Dom.h('li', null, Dom.h('code', null, c)))),
      Dom.h(
        'div',
        { class: 'row' },
        copy,
        Dom.h('button', { class: 'btn btn--primary btn--sm', type: 'button', onclick: () => this.render() }, 'I saved them'),
      ),
    );
  }

  #renderDisable() {
    const [error, show] = SecurityForm.error();
    const [password, passwordField] = SecurityForm.field('sec-totp-off-password', 'Password', { type: 'password', autocomplete: 'current-password' });
    const [code, codeField] = SecurityForm.field('sec-totp-off-code', 'Authenticator or recovery code', { autocomplete: 'one-time-code' });
    const submit = Dom.h('button', { class: 'btn btn--danger btn--sm', type: 'submit' }, 'Turn off');
    const form = Dom.h(
      'form',
      {
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityForm.busy(submit, show, async () => {
            await this.#ctx.api.totpDisable(password.value, code.value.trim());
            await this.#ctx.reloadMe();
            this.render();
            this.#ctx.toast('Two-factor authentication is off.');
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
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.render() }, 'Keep it on'),
      ),
    );
    Dom.replace(this.el, SecurityForm.heading('Turn off two-factor authentication', 'Confirm with your password and a code.'), form);
    password.focus();
  }
}
