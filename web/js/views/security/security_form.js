import Dom from 'helpers/dom.js';

/**
 * The pieces every Security panel builds its forms from: a block, a heading,
 * a labelled field, an error line that explains server errors in words, and
 * a button that stays disabled while its action runs.
 */
export default class SecurityForm {
  /** The panel's block in the Security section; `section` names it for tests and styles. */
  static block(section) {
    return Dom.h('div', { class: 'security__block', dataset: { section } });
  }

  static heading(title, hint) {
    return Dom.h('div', null, Dom.h('strong', null, title), hint && Dom.h('p', { class: 'field__hint' }, hint));
  }

  /** An error line, hidden until `show(err)` is called with something to say. */
  static error() {
    const el = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const show = (err) => {
      const text = err ? SecurityForm.#explain(err) : '';
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

  static field(id, label, attrs = {}) {
    const input = Dom.h('input', { class: 'input', id, ...attrs });
    return [input, Dom.h('div', { class: 'field' }, Dom.h('label', { class: 'field__label', for: id }, label), input)];
  }

  /** Runs `fn` with `button` disabled; errors go to `show`. */
  static async busy(button, show, fn) {
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
}
