import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import VoiceRecorder from 'lib/voice_recorder.js';
import RoomList from 'models/room_list.js';
import EmojiPickerView from 'views/emoji_picker_view.js';
import MentionMenuView from 'views/mention_menu_view.js';
import ComposerAutocomplete from 'views/composer_autocomplete.js';
import EmojiCatalog from 'helpers/emoji_catalog.js';
import ComposerContextView from 'views/composer_context_view.js';
import ComposerUploadsView from 'views/composer_uploads_view.js';
import VoiceRecordingView from 'views/voice_recording_view.js';

const drafts = new Map();
/** The open composer of each room, to hand back text a send could not deliver. */
const open = new Map();
/** The server's limit until `GET /server` says otherwise. */
let maxChars = 4000;
/** The counter shows once this few characters are left. */
const WARN_WITHIN = 300;

/**
 * Writing a message: Enter sends, Shift+Enter breaks the line, ↑ edits the
 * last own message, Escape cancels a reply or an edit; @-mention suggestions;
 * files by picker, paste or drop (their tray: composer_uploads_view.js); voice
 * messages (their bar: voice_recording_view.js).
 */
export default class ComposerView {
  el;
  #ctx;
  #roomId;
  #input;
  #context;
  #uploads;
  #box;
  #sendBtn;
  #anonBtn = null;
  #mentions;
  #suggest;
  #replyTo = null;
  #editing = null;
  #anonymous = false;
  #recording = null;
  #stopWaitingForSend = null;
  #counter;

  /** @param ctx {chat, uploader, toast} */
  constructor(ctx, roomId) {
    this.#ctx = ctx;
    this.#roomId = roomId;
    const room = ctx.chat.rooms.get(roomId);
    const placeholder = room ? `Message ${room.kind === 'channel' ? '#' : ''}${RoomList.name(room)}` : 'Message';
    this.#mentions = new MentionMenuView((u) => this.#insertMention(u));
    this.#input = Dom.h('textarea', {
      class: 'composer__input',
      rows: '1',
      placeholder,
      'aria-label': placeholder,
      'aria-autocomplete': 'list',
      'aria-controls': this.#mentions.el.id,
      onkeydown: (e) => this.#onKey(e),
      oninput: () => this.#onInput(),
      onpaste: (e) => this.#onPaste(e),
    });
    this.#input.value = drafts.get(roomId) ?? '';
    this.#suggest = new ComposerAutocomplete(this.#input, ctx.chat, () => {
      this.#input.removeAttribute('aria-activedescendant');
      this.#updateSend();
    });
    // `:shortcodes:` are turned into emoji when sent: have the data ready.
    EmojiCatalog.load().catch(() => {});
    const fileInput = Dom.h('input', {
      type: 'file',
      multiple: true,
      hidden: true,
      onchange: (e) => {
        this.addFiles([...e.target.files]);
        e.target.value = '';
      },
    });
    this.#counter = Dom.h('span', { class: 'composer__counter', 'aria-live': 'polite', hidden: true });
    this.#sendBtn = Dom.h('button', { class: 'composer__send', type: 'button', 'aria-label': 'Send message', title: 'Send (Enter)', onclick: () => this.#submit() }, Icons.get('send', { size: 18 }));
    if (room?.anonymous_allowed) {
      this.#anonBtn = Dom.h(
        'button',
        { class: 'icon-btn composer__anon', type: 'button', 'aria-pressed': 'false', 'aria-label': 'Post anonymously', title: 'Post anonymously', onclick: () => this.#toggleAnon() },
        Icons.get('mask'),
      );
    }
    this.#context = new ComposerContextView(() => {
      if (this.#editing) this.#input.value = '';
      this.#cancelContext();
    });
    this.#uploads = new ComposerUploadsView(ctx.uploader, () => this.#updateSend());
    this.#box = Dom.h(
      'div',
      { class: 'composer__box' },
      this.#input,
      Dom.h(
        'div',
        { class: 'composer__tools' },
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Attach files', title: 'Attach files', onclick: () => fileInput.click() }, Icons.get('clip')),
        Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Insert emoji', title: 'Emoji', onclick: (e) => this.#pickEmoji(e.currentTarget) }, Icons.get('smile')),
        VoiceRecorder.supported &&
          Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Record voice message', title: 'Record voice message', onclick: () => this.#startRecording() }, Icons.get('mic')),
        this.#anonBtn,
        Dom.h('span', { class: 'composer__spacer' }),
        this.#counter,
        this.#sendBtn,
      ),
      fileInput,
    );
    this.el = Dom.h('div', { class: 'composer' }, this.#mentions.el, this.#suggest.el, this.#context.el, this.#uploads.el, this.#box);
    queueMicrotask(() => this.#autosize());
    this.#updateSend();
    open.set(roomId, this);
    ctx.chat.api.serverInfo().then(
      (info) => {
        maxChars = info.max_message_chars || maxChars;
        this.#updateSend();
      },
      () => {},
    );
  }

  disconnect() {
    drafts.set(this.#roomId, this.#editing ? '' : this.#input.value);
    if (open.get(this.#roomId) === this) open.delete(this.#roomId);
    this.#recording?.cancel();
  }

  /**
   * Watches `chat`'s outbox for messages the server refused for good: their
   * text goes back into the room's composer (or its draft), never lost.
   */
  static watch(chat, toast) {
    return chat.outbox.on('refused', ({ item, message }) => {
      const composer = open.get(item.room_id);
      if (composer) composer.#takeBack(item.body);
      else drafts.set(item.room_id, [item.body, drafts.get(item.room_id)].filter(Boolean).join('\n\n'));
      toast(`Message not sent: ${message} Your text is back in the message box.`, { kind: 'error' });
    });
  }

  #takeBack(text) {
    const now = this.#editing ? '' : this.#input.value;
    if (this.#editing) this.#cancelContext();
    this.#input.value = [text, now].filter(Boolean).join('\n\n');
    drafts.set(this.#roomId, this.#input.value);
    this.#autosize();
    this.#updateSend();
  }

  focus() {
    this.#input.focus();
  }

  replyTo(message) {
    this.#editing = null;
    this.#replyTo = message;
    this.#renderContext();
    this.focus();
  }

  edit(message) {
    this.#replyTo = null;
    this.#editing = message;
    this.#input.value = message.body;
    this.#renderContext();
    this.#autosize();
    this.focus();
    this.#input.setSelectionRange(this.#input.value.length, this.#input.value.length);
  }

  addFiles(files) {
    this.#uploads.add(files);
    this.focus();
  }

  // ---- sending ---------------------------------------------------------

  async #submit() {
    let text = this.#input.value.trim();
    if (/:[\w+-]+:/.test(text)) {
      const catalog = EmojiCatalog.ready ?? (await EmojiCatalog.load().catch(() => null));
      if (catalog) text = catalog.replaceShortcodes(text);
    }
    const over = ComposerView.#length(text) - maxChars;
    if (over > 0) {
      // Nothing is sent and nothing is cleared: the text stays to be shortened.
      this.#ctx.toast(`This message is ${over} character${over === 1 ? '' : 's'} over the limit of ${maxChars}. Shorten it, or split it in two.`, { kind: 'error' });
      this.#updateSend();
      return;
    }
    if (this.#editing) {
      const m = this.#editing;
      this.#input.value = '';
      this.#cancelContext();
      this.#autosize();
      if (text && text !== m.body) {
        this.#ctx.chat.edit(this.#roomId, m.id, text).catch((err) => this.#ctx.toast(`Could not edit: ${err.message}`));
      }
      return;
    }
    if (this.#uploads.pending) {
      this.#ctx.toast('Wait for the uploads to finish.');
      return;
    }
    const ready = this.#uploads.ready;
    if (!text && ready.length === 0) return;
    this.#ctx.chat.send(this.#roomId, {
      body: text,
      reply_to: this.#replyTo?.id ?? null,
      attachments: ready.map((u) => u.id),
      attachmentMeta: ready.map((u) => ({ filename: u.filename, size: u.size, content_type: u.content_type })),
      anonymous: this.#anonymous,
    });
    this.#input.value = '';
    drafts.delete(this.#roomId);
    this.#uploads.clear();
    this.#cancelContext();
    this.#autosize();
    this.#ctx.onSent?.();
  }

  #onKey(e) {
    for (const menu of [this.#mentions, this.#suggest]) {
      if (!menu.key(e)) continue;
      e.preventDefault();
      this.#input.removeAttribute('aria-activedescendant');
      this.#input.setAttribute('aria-controls', menu.el.id);
      if (menu.activeId) this.#input.setAttribute('aria-activedescendant', menu.activeId);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.#submit();
    } else if (e.key === 'ArrowUp' && this.#input.value === '' && !this.#editing) {
      const unsent = this.#ctx.chat.outbox.forRoom(this.#roomId).filter((i) => i.status !== 'failed');
      const last = this.#lastOwnMessage();
      if (unsent.length) {
        // The newest own message is still on its way: edit it once it lands,
        // never the older one that happens to be in the timeline already.
        e.preventDefault();
        this.#editOnceSent(unsent.at(-1));
      } else if (last) {
        e.preventDefault();
        this.edit(last);
      }
    } else if (e.key === 'Escape' && (this.#editing || this.#replyTo)) {
      e.preventDefault();
      if (this.#editing) this.#input.value = '';
      this.#cancelContext();
      this.#autosize();
    }
  }

  #onInput() {
    this.#autosize();
    this.#updateSend();
    // Typing toward an anonymous post would name its author to everyone in
    // the room, and editing an old message is not writing a new one: nobody
    // is told then.
    if (this.#input.value.trim() && !this.#anonymous && !this.#editing) this.#ctx.chat.typingNow(this.#roomId);
    drafts.set(this.#roomId, this.#input.value);
    this.#suggestMentions();
    this.#suggest.update();
  }

  #onPaste(e) {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      this.addFiles(files);
    }
  }

  #editOnceSent(item) {
    this.#stopWaitingForSend?.();
    const stop = this.#ctx.chat.outbox.on('sent', ({ item: sent, message }) => {
      if (sent.nonce !== item.nonce) return;
      stop();
      this.#stopWaitingForSend = null;
      if (this.el.isConnected && this.#input.value === '' && !this.#editing) this.edit(message);
    });
    this.#stopWaitingForSend = stop;
  }

  #lastOwnMessage() {
    const me = this.#ctx.chat.me.id;
    const list = this.#ctx.chat.timeline(this.#roomId).messages;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i];
      if (m.sender?.id === me && !m.deleted) return m;
    }
    return null;
  }

  // ---- mentions --------------------------------------------------------

  #mentionQuery() {
    const upto = this.#input.value.slice(0, this.#input.selectionStart);
    const m = upto.match(/(?:^|\s)@([\w.-]*)$/);
    return m ? m[1].toLowerCase() : null;
  }

  #suggestMentions() {
    const q = this.#mentionQuery();
    if (q === null) {
      this.#mentions.hide();
      return;
    }
    const me = this.#ctx.chat.me.id;
    const users = this.#ctx.chat
      .members(this.#roomId)
      .all()
      .map((m) => m.user)
      .filter((u) => u.id !== me)
      .filter((u) => u.username.toLowerCase().startsWith(q) || (u.display_name ?? '').toLowerCase().split(/\s+/).some((w) => w.startsWith(q)))
      .sort((a, b) => a.username.localeCompare(b.username));
    if ('room'.startsWith(q) && this.#ctx.chat.rooms.get(this.#roomId)?.kind !== 'dm') {
      users.push({ special: true, username: 'room', display_name: 'room', hint: 'Notify everyone here' });
    }
    this.#mentions.show(users);
  }

  #insertMention(user) {
    const pos = this.#input.selectionStart;
    const before = this.#input.value.slice(0, pos).replace(/@([\w.-]*)$/, `@${user.username} `);
    this.#input.value = before + this.#input.value.slice(pos);
    this.#input.setSelectionRange(before.length, before.length);
    this.#input.removeAttribute('aria-activedescendant');
    this.#updateSend();
  }

  // ---- context (reply / edit) -----------------------------------------

  #renderContext() {
    const m = this.#editing ?? this.#replyTo;
    this.#context.show(m, Boolean(this.#editing));
    if (m) this.el.classList.toggle('composer--editing', Boolean(this.#editing));
  }

  #cancelContext() {
    this.#editing = null;
    this.#replyTo = null;
    this.#renderContext();
    this.el.classList.remove('composer--editing');
    this.#updateSend();
  }

  #updateSend() {
    const length = ComposerView.#length(this.#input.value.trim());
    const over = length > maxChars;
    const has = (this.#input.value.trim() !== '' || this.#uploads.ready.length > 0) && !over;
    this.#sendBtn.classList.toggle('composer__send--ready', has);
    this.#sendBtn.setAttribute('aria-disabled', String(over));
    this.el?.classList.toggle('composer--over', over);
    const left = maxChars - length;
    this.#counter.hidden = left > WARN_WITHIN;
    this.#counter.classList.toggle('composer__counter--over', over);
    this.#counter.textContent = over ? `${-left} over the limit` : `${left} left`;
    this.#counter.title = `Messages can be up to ${maxChars} characters`;
  }

  /** Characters as the server counts them (code points, not UTF-16 units). */
  static #length(text) {
    return [...text].length;
  }

  // ---- emoji, anonymous, voice ----------------------------------------

  #pickEmoji(anchor) {
    EmojiPickerView.open(anchor, (emoji) => {
      const { selectionStart: a, selectionEnd: b, value } = this.#input;
      this.#input.value = value.slice(0, a) + emoji + value.slice(b);
      this.#input.setSelectionRange(a + emoji.length, a + emoji.length);
      this.focus();
      this.#updateSend();
    });
  }

  #toggleAnon() {
    this.#anonymous = !this.#anonymous;
    this.#anonBtn.setAttribute('aria-pressed', String(this.#anonymous));
    this.#anonBtn.classList.toggle('icon-btn--on', this.#anonymous);
    this.el.classList.toggle('composer--anon', this.#anonymous);
  }

  async #startRecording() {
    const recording = await VoiceRecordingView.start((send) => this.#finishRecording(send));
    if (!recording) {
      this.#ctx.toast('Microphone not available.');
      return;
    }
    this.#recording = recording;
    this.#box.hidden = true;
    this.el.append(recording.el);
  }

  async #finishRecording(send) {
    const recording = this.#recording;
    recording.el.remove();
    this.#box.hidden = false;
    this.#recording = null;
    if (!send) {
      recording.cancel();
      return;
    }
    const { file, durationMs, waveform } = await recording.stop();
    try {
      const upload = await this.#ctx.uploader.upload(file, {
        fields: { duration_ms: String(durationMs), waveform: JSON.stringify(waveform) },
      });
      this.#ctx.chat.send(this.#roomId, {
        body: '',
        attachments: [upload.id],
        attachmentMeta: [{ filename: upload.filename, size: upload.size, content_type: upload.content_type }],
        reply_to: this.#replyTo?.id ?? null,
        anonymous: this.#anonymous,
      });
      this.#cancelContext();
    } catch (err) {
      this.#ctx.toast(`Could not send the voice message: ${err.message}`);
    }
  }

  #autosize() {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, 220)}px`;
  }
}
