import Dom from 'helpers/dom.js';
import Format from 'helpers/format.js';
import SecurityForm from 'views/security/security_form.js';

/** Where the account is signed in: one row per session, each revocable but this one, and "revoke all others". */
export default class SessionsPanel {
  el = SecurityForm.block('sessions');
  #ctx;

  /** @param ctx {api, toast} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.el.append(Dom.h('p', { class: 'field__hint' }, 'Loading sessions…'));
  }

  async load() {
    const [error, show] = SecurityForm.error();
    let sessions = [];
    try {
      sessions = await this.#ctx.api.sessions();
    } catch (err) {
      show(err);
    }
    const others = sessions.filter((s) => !s.current).length;
    const revokeOthers = Dom.h('button', { class: 'btn btn--ghost btn--sm btn--danger-text', type: 'button', disabled: others === 0 }, 'Revoke all other sessions');
    revokeOthers.addEventListener('click', () =>
      SecurityForm.busy(revokeOthers, show, async () => {
        const { revoked } = await this.#ctx.api.revokeOtherSessions();
        this.#ctx.toast(revoked === 1 ? '1 other session was signed out.' : `${revoked} other sessions were signed out.`);
        await this.load();
      }),
    );
    Dom.replace(
      this.el,
      Dom.h('div', { class: 'settings-row' }, SecurityForm.heading('Sessions', 'Where your account is signed in.'), revokeOthers),
      Dom.h('ul', { class: 'session-list' }, sessions.map((s) => this.#item(s, show))),
      error,
    );
  }

  #item(s, show) {
    const device = SessionsPanel.#device(s.user_agent);
    const revoke = s.current
      ? null
      : Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', 'aria-label': `Revoke session ${device}` }, 'Revoke');
    revoke?.addEventListener('click', () =>
      SecurityForm.busy(revoke, show, async () => {
        await this.#ctx.api.revokeSession(s.id);
        await this.load();
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
}
