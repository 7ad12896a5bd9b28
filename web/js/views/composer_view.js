import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Format from 'helpers/format.js';
import Markdown from 'helpers/markdown.js';
import VoiceRecorder from 'lib/voice_recorder.js';
import RoomList from 'models/room_list.js';
import EmojiPickerView from 'views/emoji_picker_view.js';
import MentionMenuView from 'views/mention_menu_view.js';

const drafts = new Map();

/**
 * Writing a message: Enter sends, Shift+Enter breaks the line, ↑ edits the
 * last own message, Escape cancels a reply or an edit; @-mention suggestions;
 * files by picker, paste or drop, uploaded with a progress bar; voice messages.
 */
export default class ComposerView {
  el;
  #ctx;
  #roomId;
  #input;
  #context;
  #filesEl;
  #box;
  #sendBtn;
  #anonBtn = null;
  #mentions;
  #replyTo = null;
  #editing = null;
  #files = [];
  #anonymous = false;
  #recorder = null;
  #recTimer = null;
  #stopWaitingForSend = null;

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
    const fileInput = Dom.h('input', {
      type: 'file',
      multiple: true,
      hidden: true,
      onchange: (e) => {
        this.addFiles([...e.target.files]);
        e.target.value = '';
      },
    });
    this.#sendBtn = Dom.h('button', { class: 'composer__send', type: 'button', 'aria-label': 'Send message', title: 'Send (Enter)', onclick: () => this.#submit() }, Icons.get('send', { size: 18 }));
    if (room?.anonymous_allowed) {
      this.#anonBtn = Dom.h(
        'button',
        { class: 'icon-btn composer__anon', type: 'button', 'aria-pressed': 'false', 'aria-label': 'Post anonymously', title: 'Post anonymously', onclick: () => this.#toggleAnon() },
        Icons.get('mask'),
      );
    }
    this.#context = Dom.h('div', { class: 'composer__context', hidden: true });
    this.#filesEl = Dom.h('div', { class: 'composer__files', hidden: true });
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
        this.#sendBtn,
      ),
      fileInput,
    );
    this.el = Dom.h('div', { class: 'composer' }, this.#mentions.el, this.#context, this.#filesEl, this.#box);
    queueMicrotask(() => this.#autosize());
    this.#updateSend();
  }

  disconnect() {
    drafts.set(this.#roomId, this.#editing ? '' : this.#input.value);
    this.#recorder?.cancel();
    clearInterval(this.#recTimer);
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
    for (const file of files) {
      const item = { key: crypto.randomUUID(), file, progress: 0, upload: null, error: null, abort: new AbortController() };
      this.#files.push(item);
      this.#ctx.uploader
        .upload(file, { onProgress: (f) => this.#setProgress(item, f), signal: item.abort.signal })
        .then((upload) => {
          item.upload = upload;
          this.#renderFiles();
        })
        .catch((err) => {
          if (err.code === 'aborted') return;
          item.error = err.code === 'payload_too_large' ? 'Too large' : err.message;
          this.#renderFiles();
        });
    }
    this.#renderFiles();
    this.focus();
  }

  // ---- sending ---------------------------------------------------------

  async #submit() {
    const text = this.#input.value.trim();
    if (this.#editing) {
      const m = this.#editing;
      this.#cancelContext();
      this.#input.value = '';
      this.#autosize();
      if (text && text !== m.body) {
        this.#ctx.chat.edit(this.#roomId, m.id, text).catch((err) => this.#ctx.toast(`Could not edit: ${err.message}`));
      }
      return;
    }
    if (this.#files.some((f) => !f.upload && !f.error)) {
      this.#ctx.toast('Wait for the uploads to finish.');
      return;
    }
    const ready = this.#files.filter((f) => f.upload);
    if (!text && ready.length === 0) return;
    this.#ctx.chat.send(this.#roomId, {
      body: text,
      reply_to: this.#replyTo?.id ?? null,
      attachments: ready.map((f) => f.upload.id),
      attachmentMeta: ready.map((f) => ({ filename: f.upload.filename, size: f.upload.size, content_type: f.upload.content_type })),
      anonymous: this.#anonymous,
    });
    this.#input.value = '';
    drafts.delete(this.#roomId);
    this.#files = [];
    this.#renderFiles();
    this.#cancelContext();
    this.#autosize();
    this.#ctx.onSent?.();
  }

  #onKey(e) {
    if (this.#mentions.key(e)) {
      e.preventDefault();
      this.#input.removeAttribute('aria-activedescendant');
      if (this.#mentions.activeId) this.#input.setAttribute('aria-activedescendant', this.#mentions.activeId);
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
    if (this.#input.value.trim()) this.#ctx.chat.typingNow(this.#roomId);
    drafts.set(this.#roomId, this.#input.value);
    this.#suggestMentions();
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
    this.#context.hidden = !m;
    if (!m) {
      this.#context.replaceChildren();
      return;
    }
    const who = m.sender?.display_name || m.sender?.username || 'Anonymous';
    Dom.replace(
      this.#context,
      Icons.get(this.#editing ? 'edit' : 'reply', { size: 15 }),
      Dom.h(
        'span',
        { class: 'composer__context-text' },
        this.#editing ? Dom.h('strong', null, 'Editing message') : [Dom.h('span', null, 'Replying to '), Dom.h('strong', null, who)],
        Dom.h('span', { class: 'composer__context-quote' }, Markdown.plain(m.body).slice(0, 100)),
      ),
      Dom.h('button', { class: 'icon-btn icon-btn--sm', type: 'button', 'aria-label': this.#editing ? 'Cancel editing' : 'Cancel reply', onclick: () => {
        if (this.#editing) this.#input.value = '';
        this.#cancelContext();
      } }, Icons.get('x', { size: 14 })),
    );
    this.el.classList.toggle('composer--editing', Boolean(this.#editing));
  }

  #cancelContext() {
    this.#editing = null;
    this.#replyTo = null;
    this.#renderContext();
    this.el.classList.remove('composer--editing');
    this.#updateSend();
  }

  // ---- files -----------------------------------------------------------

  #setProgress(item, fraction) {
    item.progress = fraction;
    const bar = this.#filesEl.querySelector(`[data-key="${item.key}"] .upload__bar`);
    if (bar) {
      bar.style.width = `${Math.round(fraction * 100)}%`;
      bar.parentElement.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    }
  }

  #renderFiles() {
    this.#filesEl.hidden = this.#files.length === 0;
    Dom.replace(
      this.#filesEl,
      this.#files.map((item) => {
        const state = item.error ? 'error' : item.upload ? 'done' : 'uploading';
        return Dom.h(
          'div',
          { class: `upload upload--${state}`, dataset: { key: item.key, state } },
          Dom.h('span', { class: 'upload__icon' }, Icons.get(item.file.type.startsWith('image/') ? 'file' : 'clip', { size: 16 })),
          Dom.h(
            'span',
            { class: 'upload__text' },
            Dom.h('span', { class: 'upload__name' }, item.file.name || 'file'),
            Dom.h('span', { class: 'upload__meta' }, item.error ?? (item.upload ? Format.size(item.file.size) : `Uploading… ${Format.size(item.file.size)}`)),
            Dom.h(
              'span',
              { class: 'upload__track', role: 'progressbar', 'aria-label': `Upload of ${item.file.name}`, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(item.progress * 100)) },
              Dom.h('span', { class: 'upload__bar', style: { width: `${Math.round((item.upload ? 1 : item.progress) * 100)}%` } }),
            ),
          ),
          Dom.h('button', { class: 'icon-btn icon-btn--sm', type: 'button', 'aria-label': `Remove ${item.file.name}`, onclick: () => {
            item.abort.abort();
            this.#files = this.#files.filter((f) => f !== item);
            this.#renderFiles();
          } }, Icons.get('x', { size: 14 })),
        );
      }),
    );
    this.#updateSend();
  }

  #updateSend() {
    const has = this.#input.value.trim() !== '' || this.#files.some((f) => f.upload);
    this.#sendBtn.classList.toggle('composer__send--ready', has);
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
    const recorder = new VoiceRecorder();
    try {
      await recorder.start();
    } catch {
      this.#ctx.toast('Microphone not available.');
      return;
    }
    this.#recorder = recorder;
    const time = Dom.h('span', { class: 'rec__time' }, '0:00');
    const meter = Dom.h('span', { class: 'rec__meter' }, Dom.h('span', { class: 'rec__level' }));
    const bar = Dom.h(
      'div',
      { class: 'rec', role: 'status', 'aria-label': 'Recording voice message' },
      Dom.h('span', { class: 'rec__dot' }),
      time,
      meter,
      Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Cancel recording', onclick: () => finish(false) }, Icons.get('trash')),
      Dom.h('button', { class: 'composer__send composer__send--ready', type: 'button', 'aria-label': 'Send voice message', onclick: () => finish(true) }, Icons.get('send', { size: 18 })),
    );
    this.#box.hidden = true;
    this.el.append(bar);
    this.#recTimer = setInterval(() => {
      time.textContent = Format.duration(recorder.elapsedMs);
      meter.firstChild.style.transform = `scaleX(${recorder.level.toFixed(2)})`;
    }, 100);
    const finish = async (send) => {
      clearInterval(this.#recTimer);
      bar.remove();
      this.#box.hidden = false;
      this.#recorder = null;
      if (!send) {
        recorder.cancel();
        return;
      }
      const { blob, durationMs, waveform } = await recorder.stop();
      const ext = blob.type.includes('ogg') ? 'ogg' : 'webm';
      const file = new File([blob], `voice-message.${ext}`, { type: blob.type });
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
    };
  }

  #autosize() {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, 220)}px`;
  }
}
