import Dom from 'helpers/dom.js';
import SecurityForm from 'views/security/security_form.js';

/** The account's e-mail address, whether it is verified, and a button to send the link. */
export default class EmailPanel {
  el = SecurityForm.block('email');
  #ctx;

  /** @param ctx {api, me: () => user} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.render();
  }

  render() {
    const me = this.#ctx.me();
    const email = me?.email;
    if (!email) {
      this.el.replaceChildren();
      return;
    }
    const verified = me.email_verified === true;
    const [error, show] = SecurityForm.error();
    const send = verified
      ? null
      : Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button' }, 'Send verification link');
    send?.addEventListener('click', () =>
      SecurityForm.busy(send, show, async () => {
        await this.#ctx.api.requestEmailVerification();
        send.textContent = 'Link sent: check your inbox';
        send.disabled = true;
      }),
    );
    Dom.replace(
      this.el,
      Dom.h('div', { class: 'settings-row' }, SecurityForm.heading('E-mail address', `${email} · ${verified ? 'verified' : 'not verified'}`), send),
      error,
    );
  }
}
