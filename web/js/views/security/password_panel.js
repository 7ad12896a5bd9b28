import Dom from 'helpers/dom.js';
import SecurityForm from 'views/security/security_form.js';

/** Changing the password, which signs out the account's other sessions. */
export default class PasswordPanel {
  el = SecurityForm.block('password');

  /**
   * @param ctx {api, toast}
   * @param onChanged called after a change (the sessions list is then out of date)
   */
  constructor(ctx, onChanged) {
    const [error, show] = SecurityForm.error();
    const [current, currentField] = SecurityForm.field('sec-current-password', 'Current password', { type: 'password', autocomplete: 'current-password' });
    const [next, nextField] = SecurityForm.field('sec-new-password', 'New password', { type: 'password', autocomplete: 'new-password', minlength: '8' });
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
          SecurityForm.busy(submit, show, async () => {
            await ctx.api.changePassword(current.value, next.value);
            current.value = '';
            next.value = '';
            ctx.toast('Password changed. Your other sessions were signed out.');
            await onChanged();
          });
        },
      },
      currentField,
      nextField,
      error,
      submit,
    );
    Dom.replace(this.el, SecurityForm.heading('Password', 'Changing it signs out your other sessions.'), form);
  }
}
