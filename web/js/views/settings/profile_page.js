import Dom from 'helpers/dom.js';
import Avatar from 'helpers/avatar.js';

/** The Profile page of the settings: picture, display name, status and bio, saved together. */
export default class ProfilePage {
  el;
  #ctx;

  /** @param ctx {chat, session, uploader, toast} */
  constructor(ctx) {
    this.#ctx = ctx;
    this.el = Dom.h('div', { class: 'settings-page__body' });
    this.#build();
  }

  #build() {
    const { chat, session, uploader } = this.#ctx;
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
    this.el.append(
      Dom.h('div', { class: 'avatar-edit' }, avatarSlot,
        Dom.h('div', { class: 'avatar-edit__text' }, Dom.h('strong', null, me.display_name || me.username), Dom.h('span', { class: 'field__hint' }, `@${me.username}`),
          Dom.h('div', { class: 'row' }, Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', onclick: () => fileInput.click() }, 'Upload picture'),
            me.avatar_url && Dom.h('button', { class: 'btn btn--ghost btn--sm', type: 'button', onclick: () => { avatar = null; Dom.replace(avatarSlot, Avatar.create({ ...me, avatar_url: null }, { size: 64 })); } }, 'Remove'))),
        fileInput),
      field('pf-name', 'Display name', displayName),
      field('pf-status', 'Status', status),
      field('pf-bio', 'About you', bio),
      error,
    );
    this.el.append(
      Dom.h('div', { class: 'settings-page__actions' },
        Dom.h('button', { class: 'btn btn--primary', type: 'button', onclick: async (e) => {
          const button = e.currentTarget;
          const now = session.user;
          const patch = {};
          if (displayName.value.trim() !== now.display_name) patch.display_name = displayName.value.trim();
          if (status.value.trim() !== (now.status_text ?? '')) patch.status_text = status.value.trim();
          if (bio.value.trim() !== (now.bio ?? '')) patch.bio = bio.value.trim();
          if (avatar !== undefined) patch.avatar = avatar;
          if (Object.keys(patch).length === 0) return;
          button.disabled = true;
          try {
            session.user = await chat.api.updateMe(patch);
            avatar = undefined;
            chat.emit('me', session.user);
            show(null);
            this.#ctx.toast('Profile saved.');
          } catch (err) {
            show(err.message);
          } finally {
            button.disabled = false;
          }
        } }, 'Save profile'),
      ),
    );
  }
}
