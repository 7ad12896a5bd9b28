import Dom from '../helpers/dom.js';
import Icons from '../helpers/icons.js';
import Theme from '../helpers/theme.js';

/**
 * Sign in and sign up. A second step asks for the two-factor code when the
 * server answers `totp_required`.
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

  constructor({ api, session }) {
    this.#api = api;
    this.#session = session;
    this.el = Dom.h('main', { class: 'auth' });
    this.#render();
  }

  #render() {
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
          inputmode: 'numeric',
          autocomplete: 'one-time-code',
          pattern: '[0-9]*',
          maxlength: '8',
          placeholder: '123456',
        }, 'Enter the 6-digit code from your authenticator app.'),
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
    this.#fields.username?.focus();
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
        return 'Too many attempts. Wait a moment and try again.';
      case 'network':
        return 'Cannot reach the server. Check your connection.';
      default:
        return err.message || 'Something went wrong.';
    }
  }
}
