import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import MemberList from 'models/member_list.js';
import PopoverView from 'views/popover_view.js';
import ModalView from 'views/modal_view.js';

const ROLES = ['owner', 'admin', 'moderator', 'member'];
const ROLE_LABEL = { owner: 'Owner', admin: 'Admins', moderator: 'Moderators', member: 'Members' };
/** How often an open panel of a big room reloads its members (for their presence). */
const MEMBERS_REFRESH_MS = 60_000;

/** The members of the open room by role, with moderation for those allowed. */
export default class MembersPanelView {
  el;
  #ctx;
  #roomId;
  #list;
  #off = [];
  #refresh = null;

  /** @param ctx {chat, toast, addPeople(roomId), close} */
  constructor(ctx, roomId) {
    this.#ctx = ctx;
    this.#roomId = roomId;
    this.#list = Dom.h('div', { class: 'panel__body' });
    const room = ctx.chat.rooms.get(roomId);
    const canAdd = room && room.kind !== 'dm' && MemberList.myRank(room, ctx.chat.me) >= MemberList.rank(room.kind === 'channel' ? 'member' : 'moderator');
    this.el = Dom.h(
      'aside',
      { class: 'panel', 'aria-label': 'Members' },
      Dom.h(
        'header',
        { class: 'panel__header' },
        Dom.h('h2', { class: 'panel__title' }, 'Members'),
        canAdd && Dom.h('button', { class: 'btn btn--sm btn--ghost', type: 'button', onclick: () => ctx.addPeople(roomId) }, Icons.get('plus', { size: 14 }), 'Add'),
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close members', onclick: ctx.close }, Icons.get('x')),
      ),
      this.#list,
    );
    const members = ctx.chat.members(roomId);
    this.#off.push(
      members.on('change', () => this.#render()),
      ctx.chat.presence.on('change', () => this.#render()),
      ctx.chat.rooms.on('change', () => this.#render()),
    );
    if (!members.loaded) ctx.chat.loadMembers(roomId).catch(() => {});
    // A big room carries no presence events: its listing is the source, so
    // refresh it while the panel is open.
    if ((room?.member_count ?? 0) > ctx.chat.presenceRoomLimit) {
      this.#refresh = setInterval(() => ctx.chat.loadMembers(roomId).catch(() => {}), MEMBERS_REFRESH_MS);
    }
    this.#render();
  }

  disconnect() {
    this.#off.forEach((off) => off());
    clearInterval(this.#refresh);
  }

  #render() {
    const { chat } = this.#ctx;
    const members = chat.members(this.#roomId);
    if (!members.loaded) {
      Dom.replace(this.#list, Dom.h('div', { class: 'panel__empty' }, Dom.h('span', { class: 'spinner' }), 'Loading members…'));
      return;
    }
    const room = chat.rooms.get(this.#roomId);
    const myRank = MemberList.myRank(room, chat.me);
    const all = members.all();
    const order = { online: 0, idle: 1, offline: 2 };
    const groups = ROLES.map((role) => [
      role,
      all
        .filter((m) => m.role === role)
        .sort((a, b) => order[chat.presence.status(a.user.id)] - order[chat.presence.status(b.user.id)] || (a.user.display_name || a.user.username).localeCompare(b.user.display_name || b.user.username)),
    ]).filter(([, list]) => list.length);
    Dom.replace(
      this.#list,
      groups.map(([role, list]) =>
        Dom.h(
          'section',
          { class: 'member-group' },
          Dom.h('h3', { class: 'member-group__title' }, `${ROLE_LABEL[role]} — ${list.length}`),
          Dom.h(
            'ul',
            { class: 'member-list', role: 'list' },
            list.map((m) => {
              const isMe = m.user.id === chat.me.id;
              const canModerate = !isMe && myRank >= MemberList.rank('moderator') && myRank > MemberList.rank(m.role);
              return Dom.h(
                'li',
                { class: 'member', dataset: { userId: m.user.id } },
                Avatar.create(m.user, { size: 32, presence: chat.presence.status(m.user.id) }),
                Dom.h(
                  'span',
                  { class: 'member__text' },
                  Dom.h('span', { class: 'member__name' }, m.user.display_name || m.user.username, isMe && Dom.h('span', { class: 'member__you' }, ' (you)')),
                  Dom.h('span', { class: 'member__handle' }, `@${m.user.username}`, m.muted ? ' · muted' : ''),
                ),
                m.role !== 'member' && Dom.h('span', { class: `role role--${m.role}` }, m.role),
                canModerate &&
                  Dom.h(
                    'button',
                    { class: 'icon-btn icon-btn--sm', type: 'button', 'aria-label': `Actions for ${m.user.display_name || m.user.username}`, onclick: (e) => this.#menu(e.currentTarget, m, myRank) },
                    Icons.get('more'),
                  ),
              );
            }),
          ),
        ),
      ),
    );
  }

  #menu(anchor, member, myRank) {
    const { chat, toast } = this.#ctx;
    const pop = new PopoverView('menu', 'Member actions');
    const name = member.user.display_name || member.user.username;
    const item = (label, fn, danger = false) =>
      Dom.h('button', { class: ['menu__item', danger && 'menu__item--danger'], type: 'button', role: 'menuitem', onclick: async () => {
        pop.close();
        try {
          await fn();
        } catch (err) {
          toast(err.message);
        }
      } }, label);
    const roles = ['member', 'moderator', 'admin'].filter((r) => r !== member.role && MemberList.rank(r) < myRank);
    pop.el.setAttribute('role', 'menu');
    pop.el.append(
      ...roles.map((r) => item(`Make ${r}`, async () => chat.members(this.#roomId).upsert(await chat.api.updateMember(this.#roomId, member.user.id, { role: r })))),
      item(member.muted ? 'Unmute' : 'Mute', async () => chat.members(this.#roomId).upsert(await chat.api.updateMember(this.#roomId, member.user.id, { muted: !member.muted }))),
      Dom.h('hr', { class: 'menu__sep' }),
      item('Remove from room', async () => {
        if (await ModalView.confirm(`Remove ${name}?`, `${name} will lose access to this room.`, { confirmLabel: 'Remove', danger: true })) {
          await chat.api.removeMember(this.#roomId, member.user.id);
          chat.members(this.#roomId).remove(member.user.id);
        }
      }, true),
      item('Ban from room', async () => {
        if (await ModalView.confirm(`Ban ${name}?`, `${name} will be removed and cannot join again.`, { confirmLabel: 'Ban', danger: true })) {
          await chat.api.removeMember(this.#roomId, member.user.id, true);
          chat.members(this.#roomId).remove(member.user.id);
        }
      }, true),
    );
    pop.open(anchor, { placement: 'bottom' });
    pop.el.querySelector('button')?.focus();
  }
}
