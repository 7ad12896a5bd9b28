import Dom from 'helpers/dom.js';
import Avatar from 'helpers/avatar.js';
import Theme from 'helpers/theme.js';
import ModalView from 'views/modal_view.js';
import SecurityView from 'views/security_view.js';
import NotificationsView from 'views/notifications_view.js';

/** The user's profile, appearance, notifications, security and sign-out. */
export default class ProfileDialog {
  #ctx;
  #modal;

  /** @param ctx {chat, session, uploader, notifier, toast, signOut} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.#modal = new ModalView('Profile & settings', { className: 'modal--profile' });
    this.#build();
  }

  open() {
    this.#modal.open();
  }

  #build() {
    const { chat, session, uploader, notifier } = this.#ctx;
    const me = session.user;
    const error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const show = (t) => {
      error.hidden = !t;
      error.textContent = t ?? '';
    };
    const input = (id, value, attrs = {}) => Dom.h('input', { class: 'input', id, value: value ?? '', ...attrs });
    const displayName = input('pf-name', me.display_name, { maxlength: '64', autocomplete: 'name' });
    const status = input('pf-status', me.status_text, { maxlength: '120', placeholder: 'What are you up to?' });
    const bio = Dom.h('textarea', { class: 'input', id: 'pf-bio', rows: '3', maxlength: '500' });
    bio.value = me.bio ?? '';
    const field = (id, label, el) => Dom.h('div', { class: 'field' }, Dom.h('label', { class: 'field__label', for: id }, label), el);
    let avatar;
    const avatarSlot = Dom.h('span', { class: 'avatar-edit__img' }, Avatar.create(me, { size: 64 }));
    const fileInput = Dom.h('input', { type: 'file', accept: 'image/*', hidden: true, onchange: async (e) => {
      const file = e.target.files[0];
      if (!file) return;
      try {
        avatar = (await uploader.upload(file)).id;
        Dom.replace(avatarSlot, Dom.h('img', { class: 'avatar-edit__preview avatar-edit__preview--round', alt: '', src: URL.createObjectURL(file) }));
      } catch (err) {
        show(err.message);
      }
    } });
    const themeSel = Dom.h(
      'div',
      { class: 'segmented', role: 'radiogroup', 'aria-label': 'Theme' },
      ['system', 'light', 'dark'].map((t) =>
        Dom.h('button', { type: 'button', role: 'radio', class: 'segmented__btn', 'aria-checked': Theme.choice === t ? 'true' : 'false', onclick: (e) => {
          Theme.set(t);
          for (const b of themeSel.children) b.setAttribute('aria-checked', b === e.currentTarget ? 'true' : 'false');
        } }, t[0].toUpperCase() + t.slice(1)),
      ),
    );
    this.#modal.body.append(
      Dom.h('div', { class: 'avatar-edit' }, avatarSlot,
        Dom.h('div', { class: 'avatar-edit__text' }, Dom.h('strong', null, me.display_name || me.username), Dom.h('span', { class: 'field__hint' }, `@${me.username}`),
          Dom.h('div', { class: 'row' }, Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', onclick: () => fileInput.click() }, 'Upload picture'),
            me.avatar_url && Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => { avatar = null; Dom.replace(avatarSlot, Avatar.create({ ...me, avatar_url: null }, { size: 64 })); } }, 'Remove'))),
        fileInput),
      field('pf-name', 'Display name', displayName),
      field('pf-status', 'Status', status),
      field('pf-bio', 'About you', bio),
      Dom.h('div', { class: 'settings-row' }, Dom.h('div', null, Dom.h('strong', null, 'Appearance'), Dom.h('p', { class: 'field__hint' }, 'Follow the system or pick one.')), themeSel),
      error,
    );
    const notifications = new NotificationsView({
      api: chat.api,
      session,
      notifier,
      onUser: (user) => chat.emit('me', user),
    });
    this.#modal.body.append(notifications.el);
    // The Security part refreshes the profile from the server.
    this.#modal.onClose(session.on('user', (user) => notifications.update(user)));
    const security = new SecurityView({
      api: chat.api,
      session,
      toast: this.#ctx.toast,
      onAccountGone: () => {
        this.#modal.close();
        session.lose();
      },
    });
    this.#modal.body.append(security.el);
    this.#modal.footer.append(
      Dom.h('button', { class: 'btn btn--ghost btn--danger-text', type: 'button', onclick: () => {
        this.#modal.close();
        this.#ctx.signOut();
      } }, 'Sign out'),
      Dom.h('span', { class: 'grow' }),
      Dom.h('button', { class: 'btn btn--ghost', type: 'button', onclick: () => this.#modal.close() }, 'Cancel'),
      Dom.h('button', { class: 'btn btn--primary', type: 'button', onclick: async (e) => {
        const patch = {};
        if (displayName.value.trim() !== me.display_name) patch.display_name = displayName.value.trim();
        if (status.value.trim() !== (me.status_text ?? '')) patch.status_text = status.value.trim();
        if (bio.value.trim() !== (me.bio ?? '')) patch.bio = bio.value.trim();
        if (avatar !== undefined) patch.avatar = avatar;
        if (Object.keys(patch).length === 0) return this.#modal.close();
        e.currentTarget.disabled = true;
        try {
          session.user = await chat.api.updateMe(patch);
          chat.emit('me', session.user);
          this.#modal.close();
        } catch (err) {
          show(err.message);
          e.currentTarget.disabled = false;
        }
      } }, 'Save'),
    );
  }
}
