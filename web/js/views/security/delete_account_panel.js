import Dom from 'helpers/dom.js';
import SecurityForm from 'views/security/security_form.js';

/** Deleting the account, behind a second step that asks for the password. */
export default class DeleteAccountPanel {
  el = SecurityForm.block('delete');
  #ctx;
  #onAccountGone;

  /**
   * @param ctx {api}
   * @param onAccountGone called once the account is deleted
   */
  constructor(ctx, onAccountGone) {
    this.#ctx = ctx;
    this.#onAccountGone = onAccountGone;
    this.#renderStart();
  }

  #renderStart() {
    const start = Dom.h('button', { class: 'btn btn--ghost btn--sm btn--danger-text', type: 'button' }, 'Delete account…');
    start.addEventListener('click', () => this.#renderForm());
    Dom.replace(
      this.el,
      Dom.h('div', { class: 'settings-row' }, SecurityForm.heading('Delete account', 'Your messages stay, shown as from “deleted user”.'), start),
    );
  }

  #renderForm() {
    const [error, show] = SecurityForm.error();
    const [password, passwordField] = SecurityForm.field('sec-delete-password', 'Password to confirm', { type: 'password', autocomplete: 'current-password' });
    const submit = Dom.h('button', { class: 'btn btn--danger btn--sm', type: 'submit' }, 'Delete my account');
    const form = Dom.h(
      'form',
      {
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          SecurityForm.busy(submit, show, async () => {
            await this.#ctx.api.deleteMe(password.value);
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
        Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => this.#renderStart() }, 'Keep my account'),
      ),
    );
    Dom.replace(this.el, SecurityForm.heading('Delete account'), form);
    password.focus();
  }
}
