import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Avatar from 'helpers/avatar.js';
import Format from 'helpers/format.js';
import Markdown from 'helpers/markdown.js';
import Emoji from 'helpers/emoji.js';
import AttachmentView from 'views/attachment_view.js';

const RECEIPT = {
  sent: ['check', 'Sent'],
  delivered: ['checks', 'Delivered'],
  read: ['checks', 'Read'],
};

/** Builds the element of one message (sent or pending). */
export default class MessageView {
  /**
   * @param {object} m a Message, or an outbox item shaped like one (`pending` set)
   * @param {object} ctx see TimelineView
   */
  static build(m, ctx) {
    const pending = ctx.pending;
    const mine = ctx.mine;
    const anonymous = m.anonymous && !m.sender;
    const author = m.sender?.display_name || m.sender?.username || (anonymous ? 'Anonymous' : m.deleted ? 'Deleted message' : 'Unknown');
    const classes = [
      'msg',
      ctx.grouped && 'msg--grouped',
      mine && 'msg--mine',
      ctx.mentionsMe && 'msg--mention',
      m.pinned && !m.deleted && 'msg--pinned',
      m.deleted && 'msg--deleted',
      pending && `msg--${pending.status === 'failed' ? 'failed' : 'pending'}`,
    ];
    const attrs = {
      class: classes,
      id: pending ? `pending-${pending.nonce}` : `msg-${m.id}`,
      tabindex: '-1',
      'aria-label': `${author}, ${Format.time(m.created_at)}`,
      dataset: pending ? { nonce: pending.nonce, status: pending.status } : { messageId: m.id, seq: String(m.seq) },
    };
    const gutter = Dom.h(
      'div',
      { class: 'msg__gutter' },
      ctx.grouped
        ? Dom.h('time', { class: 'msg__hover-time', datetime: m.created_at, title: Format.full(m.created_at) }, Format.time(m.created_at))
        : MessageView.#avatar(m, ctx, anonymous),
    );
    const main = Dom.h('div', { class: 'msg__main' });
    if (!ctx.grouped) {
      main.append(
        Dom.h(
          'div',
          { class: 'msg__header' },
          m.sender && ctx.actions.profile
            ? Dom.h('button', { class: 'msg__author', type: 'button', 'aria-haspopup': 'dialog', onclick: (e) => ctx.actions.profile(e.currentTarget, m.sender) }, author)
            : Dom.h('span', { class: ['msg__author', anonymous && 'msg__author--anon'] }, author),
          Dom.h('time', { class: 'msg__time', datetime: m.created_at, title: Format.full(m.created_at) }, Format.time(m.created_at)),
        ),
      );
    }
    if (m.pinned && !m.deleted) {
      main.append(Dom.h('div', { class: 'msg__pinned' }, Icons.get('pin', { size: 13 }), Dom.h('span', null, 'Pinned')));
    }
    if (m.reply_to && !m.deleted) main.append(MessageView.#quote(m.reply_to, ctx));
    if (m.deleted) {
      main.append(Dom.h('div', { class: 'msg__body msg__body--deleted' }, Icons.get('trash', { size: 14 }), 'This message was deleted.'));
    } else {
      const body = Dom.h('div', { class: 'msg__body md' });
      if (m.body) body.append(Markdown.render(m.body, { me: ctx.me?.username }));
      if (m.edited_at) {
        // At the end of the last paragraph, not on a line of its own.
        const last = body.lastElementChild;
        (last?.tagName === 'P' ? last : body).append(' ', Dom.h('span', { class: 'msg__edited', title: `Edited ${Format.full(m.edited_at)}` }, '(edited)'));
      }
      main.append(body);
      const atts = pending ? (pending.attachmentMeta ?? []).map((a) => AttachmentView.pending(a)) : (m.attachments ?? []).map((a) => ctx.attachment(a));
      if (atts.length) main.append(Dom.h('div', { class: 'msg__attachments' }, atts));
      if (m.reactions?.length) main.append(MessageView.#reactions(m, ctx));
    }
    if (pending) main.append(MessageView.#pendingStatus(pending, ctx));
    else if (ctx.receipt) {
      const [icon, label] = RECEIPT[ctx.receipt];
      main.append(
        Dom.h('div', { class: `msg__receipt msg__receipt--${ctx.receipt}`, dataset: { receipt: ctx.receipt }, title: label }, Icons.get(icon, { size: 14 }), Dom.h('span', null, label)),
      );
    }
    if (ctx.seenBy?.length) main.append(MessageView.#seenBy(ctx.seenBy));
    const el = Dom.h('article', attrs, gutter, main);
    if (!pending && !m.deleted) el.append(MessageView.#toolbar(m, ctx));
    return el;
  }

  /** The sender's avatar; a click opens their card (the name button is the keyboard's way). */
  static #avatar(m, ctx, anonymous) {
    const avatar = Avatar.create(m.sender, { size: 36, anonymous });
    if (m.sender && ctx.actions.profile) {
      avatar.classList.add('msg__avatar--link');
      avatar.addEventListener('click', (e) => ctx.actions.profile(e.currentTarget, m.sender));
    }
    return avatar;
  }

  static #quote(replyId, ctx) {
    const target = ctx.replyTarget;
    const who = target ? target.sender?.display_name || target.sender?.username || 'Anonymous' : null;
    const text = target ? (target.deleted ? 'This message was deleted.' : Markdown.plain(target.body) || 'Attachment') : 'Original message';
    return Dom.h(
      'button',
      { class: 'msg__quote', type: 'button', 'aria-label': `Jump to the message this replies to${who ? ` from ${who}` : ''}`, onclick: () => ctx.actions.jump(replyId) },
      Icons.get('reply', { size: 14 }),
      who && Dom.h('span', { class: 'msg__quote-author' }, who),
      Dom.h('span', { class: 'msg__quote-text' }, text.slice(0, 140)),
    );
  }

  static #reactions(m, ctx) {
    return Dom.h(
      'div',
      { class: 'msg__reactions', role: 'group', 'aria-label': 'Reactions' },
      m.reactions.map((r) =>
        Dom.h(
          'button',
          {
            class: ['reaction', r.me && 'reaction--mine'],
            type: 'button',
            'aria-pressed': r.me ? 'true' : 'false',
            'aria-label': `${r.emoji} ${r.count}${r.me ? ', including you' : ''}`,
            dataset: { emoji: r.emoji },
            onclick: () => ctx.actions.react(m, r.emoji),
          },
          Dom.h('span', { class: 'reaction__emoji' }, r.emoji),
          Dom.h('span', { class: 'reaction__count' }, String(r.count)),
        ),
      ),
      Dom.h(
        'button',
        { class: 'reaction reaction--add', type: 'button', 'aria-label': 'Add reaction', onclick: (e) => ctx.actions.pickReaction(e.currentTarget, m) },
        Icons.get('smile', { size: 15 }),
      ),
    );
  }

  static #toolbar(m, ctx) {
    const btn = (icon, label, fn, cls = '') =>
      Dom.h('button', { class: `icon-btn icon-btn--sm ${cls}`, type: 'button', 'aria-label': label, title: label, onclick: fn }, Icons.get(icon, { size: 16 }));
    return Dom.h(
      'div',
      { class: 'msg__actions', role: 'toolbar', 'aria-label': 'Message actions' },
      Emoji.QUICK.slice(0, 3).map((e) =>
        Dom.h('button', { class: 'icon-btn icon-btn--sm msg__quick', type: 'button', 'aria-label': `React ${e}`, onclick: () => ctx.actions.react(m, e) }, e),
      ),
      btn('smile', 'Add reaction', (e) => ctx.actions.pickReaction(e.currentTarget, m)),
      btn('reply', 'Reply', () => ctx.actions.reply(m)),
      ctx.canPin && btn('pin', m.pinned ? 'Unpin' : 'Pin', () => ctx.actions.pin(m, !m.pinned), m.pinned ? 'icon-btn--on' : ''),
      ctx.canEdit && btn('edit', 'Edit', () => ctx.actions.edit(m)),
      ctx.canDelete && btn('trash', 'Delete', () => ctx.actions.delete(m), 'icon-btn--danger'),
    );
  }

  static #pendingStatus(item, ctx) {
    if (item.status === 'failed') {
      return Dom.h(
        'div',
        { class: 'msg__status msg__status--failed', role: 'alert' },
        Icons.get('alert', { size: 14 }),
        Dom.h('span', null, `Not sent${item.error ? `: ${item.error}` : ''}`),
        Dom.h('button', { class: 'link-btn', type: 'button', onclick: () => ctx.actions.retry(item.nonce) }, 'Retry'),
        Dom.h('button', { class: 'link-btn link-btn--muted', type: 'button', onclick: () => ctx.actions.discard(item.nonce) }, 'Discard'),
      );
    }
    return Dom.h('div', { class: 'msg__status msg__status--pending', title: 'Waiting to be sent' }, Icons.get('clock', { size: 14 }), Dom.h('span', null, 'Sending…'));
  }

  static #seenBy(users) {
    const names = users.map((u) => u.display_name || u.username);
    const text = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
    return Dom.h(
      'div',
      { class: 'msg__seen', title: `Seen by ${names.join(', ')}` },
      Dom.h('span', { class: 'msg__seen-avatars' }, users.slice(0, 4).map((u) => Avatar.create(u, { size: 16 }))),
      Dom.h('span', null, `Seen by ${text}`),
    );
  }
}
