import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import ModalView from 'views/modal_view.js';
import Router from 'lib/router.js';

const TITLES = {
  dm: 'New direct message',
  group: 'New group',
  channel: 'New channel',
  add: 'Add people',
};

/**
 * Picking people: start a DM, create a group (or a channel) with members, or
 * add people to a room. User search is GET /users?q=.
 */
export default class PeopleDialog {
  #ctx;
  #mode;
  #roomId;
  #modal;
  #input;
  #results;
  #chips;
  #name = null;
  #topic = null;
  #error;
  #picked = new Map();
  #timer = null;
  #seq = 0;

  /** @param ctx {chat, router, toast} @param mode dm | group | channel | add */
  constructor(ctx, mode, roomId = null) {
    this.#ctx = ctx;
    this.#mode = mode;
    this.#roomId = roomId;
    this.#modal = new ModalView(TITLES[mode]);
    this.#input = Dom.h('input', { class: 'input', type: 'search', placeholder: 'Search people by name or username', 'aria-label': 'Search people', oninput: () => this.#queue() });
    this.#results = Dom.h('ul', { class: 'pick-list pick-list--short', role: 'list', 'aria-label': 'People' });
    this.#chips = Dom.h('div', { class: 'chips', 'aria-label': 'Selected people' });
    this.#error = Dom.h('p', { class: 'form-error', role: 'alert', hidden: true });
    const field = (label, input) => Dom.h('label', { class: 'field' }, Dom.h('span', { class: 'field__label' }, label), input);
    if (mode === 'group' || mode === 'channel') {
      this.#name = Dom.h('input', { class: 'input', required: true, maxlength: '80', placeholder: mode === 'channel' ? 'e.g. design' : 'e.g. Launch team' });
      this.#topic = Dom.h('input', { class: 'input', maxlength: '250', placeholder: 'What is it about? (optional)' });
      this.#modal.body.append(field('Name', this.#name), field('Topic', this.#topic));
    }
    if (mode !== 'channel') {
      this.#modal.body.append(
        Dom.h('div', { class: 'field' }, Dom.h('span', { class: 'field__label' }, mode === 'dm' ? 'To' : 'Members'), Dom.h('span', { class: 'input-icon' }, Icons.get('search', { size: 16 }), this.#input)),
        this.#chips,
        this.#results,
      );
    }
    this.#modal.body.append(this.#error);
    if (mode !== 'dm') {
      this.#modal.footer.append(
        Dom.h('button', { class: 'btn btn--ghost', type: 'button', onclick: () => this.#modal.close() }, 'Cancel'),
        Dom.h('button', { class: 'btn btn--primary', type: 'button', onclick: (e) => this.#submit(e.currentTarget) }, mode === 'add' ? 'Add' : 'Create'),
      );
    }
  }

  open() {
    this.#modal.open();
    (this.#name ?? this.#input).focus();
    if (this.#mode !== 'channel') this.#search();
  }

  #queue() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#search(), 200);
  }

  async #search() {
    const seq = ++this.#seq;
    try {
      const found = await this.#ctx.chat.api.searchUsers(this.#input.value.trim());
      if (seq !== this.#seq) return;
      const users = (Array.isArray(found) ? found : found?.users ?? []).filter((u) => u.id !== this.#ctx.chat.me.id);
      // Search answers everyone's presence, also of people we share no room with.
      this.#ctx.chat.presence.seed(users.filter((u) => u.presence).map((u) => ({ user_id: u.id, status: u.presence })));
      const existing = this.#mode === 'add' ? new Set(this.#ctx.chat.members(this.#roomId).all().map((m) => m.user.id)) : new Set();
      this.#renderResults(users.filter((u) => !existing.has(u.id)));
    } catch (err) {
      Dom.replace(this.#results, Dom.h('li', { class: 'pick-list__empty' }, `Could not search: ${err.message}`));
    }
  }

  #renderResults(users) {
    if (users.length === 0) {
      Dom.replace(this.#results, Dom.h('li', { class: 'pick-list__empty' }, this.#input.value ? 'Nobody found.' : 'Type a name to find people.'));
      return;
    }
    Dom.replace(
      this.#results,
      users.map((u) => {
        const picked = this.#picked.has(u.id);
        return Dom.h(
          'li',
          null,
          Dom.h(
            'button',
            { class: ['pick pick--button', picked && 'pick--picked'], type: 'button', 'aria-pressed': picked ? 'true' : 'false', dataset: { userId: u.id }, onclick: () => this.#pick(u) },
            Avatar.create(u, { size: 32, presence: this.#ctx.chat.presence.status(u.id) }),
            Dom.h('span', { class: 'pick__text' }, Dom.h('span', { class: 'pick__name' }, u.display_name || u.username), Dom.h('span', { class: 'pick__meta' }, `@${u.username}`)),
            this.#mode !== 'dm' && Dom.h('span', { class: 'pick__check' }, picked ? Icons.get('check', { size: 16 }) : null),
          ),
        );
      }),
    );
  }

  async #pick(user) {
    if (this.#mode === 'dm') {
      try {
        const room = await this.#ctx.chat.api.createRoom({ kind: 'dm', members: [user.id] });
        this.#ctx.chat.addRoom(room);
        this.#modal.close();
        this.#ctx.router.go(Router.roomHref(room.id));
      } catch (err) {
        this.#showError(err.message);
      }
      return;
    }
    if (this.#picked.has(user.id)) this.#picked.delete(user.id);
    else this.#picked.set(user.id, user);
    this.#renderChips();
    this.#search();
  }

  #renderChips() {
    Dom.replace(
      this.#chips,
      [...this.#picked.values()].map((u) =>
        Dom.h('span', { class: 'chip' }, Avatar.create(u, { size: 18 }), u.display_name || u.username,
          Dom.h('button', { class: 'chip__x', type: 'button', 'aria-label': `Remove ${u.display_name || u.username}`, onclick: () => { this.#picked.delete(u.id); this.#renderChips(); this.#search(); } }, Icons.get('x', { size: 12 }))),
      ),
    );
  }

  async #submit(button) {
    const { chat, router } = this.#ctx;
    this.#showError(null);
    const ids = [...this.#picked.keys()];
    button.disabled = true;
    try {
      if (this.#mode === 'add') {
        if (!ids.length) return this.#showError('Pick at least one person.');
        await chat.api.addMembers(this.#roomId, ids);
        chat.loadMembers(this.#roomId).catch(() => {});
        this.#modal.close();
        return;
      }
      const name = this.#name.value.trim();
      if (!name) return this.#showError('Give it a name.');
      const room = await chat.api.createRoom({ kind: this.#mode, name, topic: this.#topic.value.trim() || undefined, members: ids });
      chat.addRoom(room);
      this.#modal.close();
      router.go(Router.roomHref(room.id));
    } catch (err) {
      this.#showError(err.message);
    } finally {
      button.disabled = false;
    }
  }

  #showError(text) {
    this.#error.hidden = !text;
    this.#error.textContent = text ?? '';
  }
}
