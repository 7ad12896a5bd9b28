import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Theme from 'helpers/theme.js';

/**
 * Sign in and sign up. A second step asks for the two-factor code when the
 * server answers `totp_required`. Also: asking for a password-reset link
 * ("forgot") and choosing a new password from one ("reset").
 */
export default class AuthView {
  el;
  #api;
  #session;
  #mode = 'signin';
  #needTotp = false;
  #form;
  #error;
  #fields = {};
  #resetToken = null;
  #notice = null;

  /**
   * @param resetToken the token of a password-reset link being followed
   * @param notice shown above the sign-in form (e.g. why the session ended)
   */
  constructor({ api, session, resetToken = null, notice = null }) {
    this.#api = api;
    this.#notice = notice;
    this.#session = session;
    this.#resetToken = resetToken;
    if (resetToken) this.#mode = 'reset';
    this.el = Dom.h('main', { class: 'auth' });
    this.#render();
  }

  #render() {
    if (this.#mode === 'forgot') return this.#renderForgot();
    if (this.#mode === 'reset') return this.#renderReset();
    const signup = this.#mode === 'signup';
    const field = (name, label, attrs = {}, hint = null) => {
      const id = `auth-${name}`;
      const input = Dom.h('input', { id, name, class: 'input', ...attrs });
      this.#fields[name] = input;
      return Dom.h(
        'div',
        { class: 'field' },
        Dom.h('label', { class: 'field__label', for: id }, label),
        input,
        hint && Dom.h('p', { class: 'field__hint' }, hint),
      );
    };
    this.#fields = {};
    this.#error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.#form = Dom.h(
      'form',
      { class: 'auth__form', novalidate: true, onsubmit: (e) => this.#submit(e) },
      field('username', signup ? 'Username' : 'Username or e-mail', {
        autocomplete: 'username',
        required: true,
        autocapitalize: 'none',
        spellcheck: 'false',
      }),
      signup && field('display_name', 'Display name', { autocomplete: 'name', placeholder: 'Optional' }),
      field(
        'password',
        'Password',
        { type: 'password', autocomplete: signup ? 'new-password' : 'current-password', required: true },
        signup ? 'At least 8 characters.' : null,
      ),
      !signup &&
        this.#needTotp &&
        field('totp', 'Two-factor code', {
          autocomplete: 'one-time-code',
          autocapitalize: 'none',
          spellcheck: 'false',
          maxlength: '24',
          placeholder: '123456',
        }, 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.'),
      !signup &&
        Dom.h('p', { class: 'auth__forgot' }, Dom.h('button', { class: 'link-btn', type: 'button', onclick: () => this.#switchTo('forgot') }, 'Forgot password?')),
      this.#error,
      Dom.h('button', { class: 'btn btn--primary btn--block btn--lg', type: 'submit' }, signup ? 'Create account' : 'Sign in'),
    );
    Dom.replace(
      this.el,
      Dom.h(
        'button',
        {
          class: 'icon-btn auth__theme',
          type: 'button',
          'aria-label': 'Toggle dark mode',
          onclick: () => Theme.toggle(),
        },
        Icons.get('moon', { className: 'only-light' }),
        Icons.get('sun', { className: 'only-dark' }),
      ),
      Dom.h(
        'div',
        { class: 'auth__card' },
        Dom.h('div', { class: 'brand brand--lg' }, Dom.h('span', { class: 'brand__mark' }, Icons.get('chat', { size: 22 })), 'Hearth'),
        Dom.h('h1', { class: 'auth__title' }, signup ? 'Create your account' : 'Welcome back'),
        Dom.h('p', { class: 'auth__subtitle' }, signup ? 'Join your team on Hearth.' : 'Sign in to continue to your conversations.'),
        this.#notice && Dom.h('p', { class: 'auth__notice', role: 'status' }, this.#notice),
        this.#form,
        Dom.h(
          'p',
          { class: 'auth__switch' },
          signup ? 'Already have an account? ' : 'New to Hearth? ',
          Dom.h(
            'button',
            {
              class: 'link-btn',
              type: 'button',
              onclick: () => {
                this.#mode = signup ? 'signin' : 'signup';
                this.#needTotp = false;
                this.#notice = null;
                this.#render();
                this.#fields.username.focus();
              },
            },
            signup ? 'Sign in' : 'Create an account',
          ),
        ),
      ),
    );
  }

  focus() {
    (this.#fields.username ?? this.#fields.email ?? this.#fields.new_password)?.focus();
  }

  #switchTo(mode, notice = null) {
    this.#mode = mode;
    this.#needTotp = false;
    this.#notice = notice;
    this.#render();
    this.focus();
  }

  /** The card around the forgot / reset forms. */
  #card(title, subtitle, form) {
    Dom.replace(
      this.el,
      Dom.h(
        'div',
        { class: 'auth__card' },
        Dom.h('div', { class: 'brand brand--lg' }, Dom.h('span', { class: 'brand__mark' }, Icons.get('chat', { size: 22 })), 'Hearth'),
        Dom.h('h1', { class: 'auth__title' }, title),
        Dom.h('p', { class: 'auth__subtitle' }, subtitle),
        this.#notice && Dom.h('p', { class: 'auth__notice', role: 'status' }, this.#notice),
        form,
        Dom.h(
          'p',
          { class: 'auth__switch' },
          Dom.h('button', { class: 'link-btn', type: 'button', onclick: () => this.#switchTo('signin') }, 'Back to the sign-in page'),
        ),
      ),
    );
  }

  #simpleForm(name, label, attrs, submitLabel, onSubmit) {
    const id = `auth-${name}`;
    const input = Dom.h('input', { id, name, class: 'input', required: true, ...attrs });
    this.#fields = { [name]: input };
    this.#error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const button = Dom.h('button', { class: 'btn btn--primary btn--block btn--lg', type: 'submit' }, submitLabel);
    this.#form = Dom.h(
      'form',
      {
        class: 'auth__form',
        novalidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          this.#showError(null);
          button.disabled = true;
          button.classList.add('btn--busy');
          try {
            await onSubmit(input.value);
          } catch (err) {
            this.#showError(AuthView.#explain(err));
          } finally {
            button.disabled = false;
            button.classList.remove('btn--busy');
          }
        },
      },
      Dom.h('div', { class: 'field' }, Dom.h('label', { class: 'field__label', for: id }, label), input),
      this.#error,
      button,
    );
    return this.#form;
  }

  #renderForgot() {
    // Whether the server sends mail at all is public: say so before anyone types.
    this.#api.serverInfo().then(
      (info) => {
        if (info.email || this.#mode !== 'forgot') return;
        this.#card(
          'Reset your password',
          'This server does not send e-mail, so it cannot mail you a reset link.',
          Dom.h('p', { class: 'auth__notice', role: 'status' }, 'Ask an administrator of this server to reset your password for you.'),
        );
      },
      () => {},
    );
    const form = this.#simpleForm('email', 'E-mail address', { type: 'email', autocomplete: 'email' }, 'Send reset link', async (email) => {
      if (!email.trim()) throw { code: 'empty', message: 'Enter the e-mail address of your account.' };
      await this.#api.requestPasswordReset(email.trim());
      this.#switchTo('signin', 'If an account has that address, a link to reset its password is on its way. It works for an hour.');
    });
    this.#card('Reset your password', 'We will e-mail you a link to choose a new one.', form);
  }

  #renderReset() {
    const form = this.#simpleForm('new_password', 'New password', { type: 'password', autocomplete: 'new-password', minlength: '8' }, 'Set new password', async (password) => {
      if (password.length < 8) throw { code: 'short', message: 'Use at least 8 characters.' };
      await this.#api.confirmPasswordReset(this.#resetToken, password);
      this.#resetToken = null;
      history.replaceState(null, '', location.pathname + location.search);
      this.#switchTo('signin', 'Your password was changed and every session signed out. Sign in with the new password.');
    });
    this.#card('Choose a new password', 'Every session of your account will be signed out.', form);
  }

  async #submit(e) {
    e.preventDefault();
    const v = (name) => this.#fields[name]?.value.trim() ?? '';
    const button = this.#form.querySelector('button[type=submit]');
    this.#showError(null);
    if (!v('username') || !this.#fields.password.value) {
      this.#showError('Enter your username and password.');
      return;
    }
    button.disabled = true;
    button.classList.add('btn--busy');
    try {
      let auth;
      if (this.#mode === 'signup') {
        auth = await this.#api.register({
          username: v('username'),
          password: this.#fields.password.value,
          display_name: v('display_name') || undefined,
        });
      } else {
        auth = await this.#api.login({
          username: v('username'),
          password: this.#fields.password.value,
          totp: this.#needTotp ? v('totp') || undefined : undefined,
        });
      }
      this.#session.adopt(auth);
    } catch (err) {
      if (err.code === 'totp_required' && this.#mode === 'signin') {
        const first = !this.#needTotp;
        const username = v('username');
        const password = this.#fields.password.value;
        this.#needTotp = true;
        this.#render();
        this.#fields.username.value = username;
        this.#fields.password.value = password;
        this.#fields.totp.focus();
        if (!first) this.#showError('That code did not work. Try the current one.');
        return;
      }
      this.#showError(AuthView.#explain(err));
    } finally {
      button.disabled = false;
      button.classList.remove('btn--busy');
    }
  }

  #showError(text) {
    this.#error.hidden = !text;
    this.#error.textContent = text ?? '';
  }

  static #explain(err) {
    switch (err.code) {
      case 'invalid_credentials':
        return 'Wrong username or password.';
      case 'conflict':
        return 'That username is taken.';
      case 'registration_closed':
        return 'Registration is closed on this server.';
      case 'rate_limited':
        return err.retryAfter > 1
          ? `Too many attempts. Try again in ${err.retryAfter} seconds.`
          : 'Too many attempts. Wait a moment and try again.';
      case 'network':
        return 'Cannot reach the server. Check your connection.';
      case 'email_disabled':
        return 'This server cannot send e-mail. Ask an admin to reset your password.';
      case 'invalid_token':
        return 'This link is invalid, expired or already used. Ask for a new one.';
      default:
        return err.message || 'Something went wrong.';
    }
  }
}
