import Dom from 'helpers/dom.js';
import Avatar from 'helpers/avatar.js';
import RoomList from 'models/room_list.js';
import MemberList from 'models/member_list.js';
import ModalView from 'views/modal_view.js';

/** Name, topic, description, avatar and anonymous posting of a room; the caller's notification level; leave and archive. */
export default class RoomSettingsDialog {
  #ctx;
  #roomId;
  #modal;

  /** @param ctx {chat, uploader, toast, router} */
  constructor(ctx, roomId) {
    this.#ctx = ctx;
    this.#roomId = roomId;
    const room = ctx.chat.rooms.get(roomId);
    this.#modal = new ModalView(room?.kind === 'dm' ? 'Conversation details' : `${room?.kind === 'channel' ? '#' : ''}${RoomList.name(room)} settings`);
    this.#build(room);
  }

  open() {
    this.#modal.open();
  }

  #build(room) {
    const { chat } = this.#ctx;
    const rank = MemberList.myRank(room, chat.me);
    const canEdit = room.kind !== 'dm' && rank >= MemberList.rank('admin');
    const error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const name = Dom.h('input', { class: 'input', id: 'rs-name', value: room.name ?? '', maxlength: '80', disabled: !canEdit });
    const topic = Dom.h('input', { class: 'input', id: 'rs-topic', value: room.topic ?? '', maxlength: '250', disabled: !canEdit });
    const description = Dom.h('textarea', { class: 'input', id: 'rs-desc', rows: '3', maxlength: '2000', disabled: !canEdit });
    description.value = room.description ?? '';
    const anon = Dom.h('input', { type: 'checkbox', id: 'rs-anon', checked: Boolean(room.anonymous_allowed), disabled: !canEdit });
    const avatarSlot = Dom.h('span', { class: 'avatar-edit__img' }, Avatar.create({ id: room.id, name: RoomList.name(room), avatar_url: room.avatar_url }, { size: 64, square: true }));
    let avatarUpload;
    const fileInput = Dom.h('input', { type: 'file', accept: 'image/*', hidden: true, onchange: async (e) => {
      const file = e.target.files[0];
      if (!file) return;
      try {
        const up = await this.#ctx.uploader.upload(file);
        avatarUpload = up.id;
        Dom.replace(avatarSlot, Dom.h('img', { class: 'avatar-edit__preview', alt: '', src: URL.createObjectURL(file) }));
      } catch (err) {
        show(err.message);
      }
    } });
    const show = (text) => {
      error.hidden = !text;
      error.textContent = text ?? '';
    };
    const field = (id, label, input, hint) => Dom.h('div', { class: 'field' }, Dom.h('label', { class: 'field__label', for: id }, label), input, hint && Dom.h('p', { class: 'field__hint' }, hint));
    if (room.kind !== 'dm') {
      Dom.append(this.#modal.body, [
        Dom.h('div', { class: 'avatar-edit' }, avatarSlot, canEdit && Dom.h('button', { class: 'btn btn--secondary btn--sm', type: 'button', onclick: () => fileInput.click() }, 'Change picture'), fileInput),
        field('rs-name', 'Name', name),
        field('rs-topic', 'Topic', topic),
        field('rs-desc', 'Description', description),
        Dom.h('label', { class: 'check check--block', for: 'rs-anon' }, anon, Dom.h('span', null, Dom.h('strong', null, 'Allow anonymous posts'), Dom.h('span', { class: 'field__hint' }, 'Members can post without showing their name. Moderators can still remove posts.'))),
        !canEdit && Dom.h('p', { class: 'field__hint' }, 'Only admins can change these settings.'),
      ]);
    } else {
      this.#modal.body.append(Dom.h('p', { class: 'modal__text' }, `Direct messages with ${RoomList.name(room)}.`));
    }
    this.#modal.body.append(this.#notificationField(room, show), error);
    const danger = Dom.h('div', { class: 'modal__danger' });
    if (room.kind !== 'dm') {
      danger.append(Dom.h('button', { class: 'btn btn--ghost btn--danger-text', type: 'button', onclick: async () => {
        if (!(await ModalView.confirm('Leave room?', `You will stop receiving messages from ${RoomList.name(room)}.`, { confirmLabel: 'Leave', danger: true }))) return;
        try {
          await chat.api.leave(room.id);
          this.#modal.close();
          chat.forgetRoom(room.id);
        } catch (err) {
          show(err.message);
        }
      } }, 'Leave room'));
    }
    if (room.kind !== 'dm' && rank >= MemberList.rank('owner')) {
      danger.append(Dom.h('button', { class: 'btn btn--ghost btn--danger-text', type: 'button', onclick: async () => {
        if (!(await ModalView.confirm('Archive room?', 'The room becomes read-only for everyone.', { confirmLabel: 'Archive', danger: true }))) return;
        try {
          await chat.api.archiveRoom(room.id);
          chat.rooms.patch(room.id, { archived: true });
          this.#modal.close();
        } catch (err) {
          show(err.message);
        }
      } }, 'Archive'));
    }
    this.#modal.footer.append(danger, Dom.h('span', { class: 'grow' }), Dom.h('button', { class: 'btn btn--ghost', type: 'button', onclick: () => this.#modal.close() }, canEdit ? 'Cancel' : 'Close'));
    if (canEdit) {
      this.#modal.footer.append(Dom.h('button', { class: 'btn btn--primary', type: 'button', onclick: async (e) => {
        const patch = {};
        if (name.value.trim() !== room.name) patch.name = name.value.trim();
        if (topic.value.trim() !== room.topic) patch.topic = topic.value.trim();
        if (description.value.trim() !== (room.description ?? '')) patch.description = description.value.trim();
        if (anon.checked !== Boolean(room.anonymous_allowed)) patch.anonymous_allowed = anon.checked;
        if (avatarUpload) patch.avatar = avatarUpload;
        if (Object.keys(patch).length === 0) return this.#modal.close();
        e.currentTarget.disabled = true;
        try {
          const updated = await chat.api.updateRoom(room.id, patch);
          chat.rooms.upsert(updated?.id ? updated : { ...room, ...patch });
          this.#modal.close();
        } catch (err) {
          show(err.message);
          e.currentTarget.disabled = false;
        }
      } }, 'Save'));
    }
  }
  /** The caller's notification level here; saved as soon as it changes. */
  #notificationField(room, show) {
    const { chat } = this.#ctx;
    const fallback = room.kind === 'dm' ? 'all messages' : 'mentions';
    const select = Dom.h(
      'select',
      { class: 'input', id: 'rs-notify' },
      Dom.h('option', { value: 'all' }, 'All messages'),
      Dom.h('option', { value: 'mentions' }, room.kind === 'dm' ? 'Mentions (every message in a DM)' : 'Mentions and @room'),
      Dom.h('option', { value: 'none' }, 'Nothing'),
    );
    select.value = room.notification_level ?? (room.kind === 'dm' ? 'all' : 'mentions');
    select.addEventListener('change', async () => {
      select.disabled = true;
      try {
        const saved = await chat.api.setRoomNotifications(room.id, select.value);
        chat.rooms.patch(room.id, { notification_level: saved.level });
        show(null);
      } catch (err) {
        show(err.message);
      } finally {
        select.disabled = false;
      }
    });
    return Dom.h(
      'div',
      { class: 'field' },
      Dom.h('label', { class: 'field__label', for: 'rs-notify' }, 'Notifications'),
      select,
      Dom.h('p', { class: 'field__hint' }, `Alerts, pushes and e-mail for this room. Default: ${fallback}.`),
    );
  }
}
