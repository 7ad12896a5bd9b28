import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Format from 'helpers/format.js';

/**
 * The files attached to the message being written: each uploads at once, with
 * a progress bar, and can be removed; the composer sends the finished ones.
 */
export default class ComposerUploadsView {
  el = Dom.h('div', { class: 'composer__files', hidden: true });
  #uploader;
  #onChange;
  #files = [];

  /**
   * @param uploader lib/uploader.js
   * @param onChange called after every change (an upload finished, failed, was added or removed)
   */
  constructor(uploader, onChange) {
    this.#uploader = uploader;
    this.#onChange = onChange;
  }

  /** Some upload has not finished (nor failed) yet. */
  get pending() {
    return this.#files.some((f) => !f.upload && !f.error);
  }

  /** The finished uploads, in the order they were added. */
  get ready() {
    return this.#files.filter((f) => f.upload).map((f) => f.upload);
  }

  add(files) {
    for (const file of files) {
      const item = { key: crypto.randomUUID(), file, progress: 0, upload: null, error: null, abort: new AbortController() };
      this.#files.push(item);
      this.#uploader
        .upload(file, { onProgress: (f) => this.#setProgress(item, f), signal: item.abort.signal })
        .then((upload) => {
          item.upload = upload;
          this.#render();
        })
        .catch((err) => {
          if (err.code === 'aborted') return;
          item.error = err.code === 'payload_too_large' ? 'Too large' : err.message;
          this.#render();
        });
    }
    this.#render();
  }

  /** Forgets every file (the message was sent). */
  clear() {
    this.#files = [];
    this.#render();
  }

  #setProgress(item, fraction) {
    item.progress = fraction;
    const bar = this.el.querySelector(`[data-key="${item.key}"] .upload__bar`);
    if (bar) {
      bar.style.width = `${Math.round(fraction * 100)}%`;
      bar.parentElement.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    }
  }

  #render() {
    this.el.hidden = this.#files.length === 0;
    Dom.replace(
      this.el,
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
            this.#render();
          } }, Icons.get('x', { size: 14 })),
        );
      }),
    );
    this.#onChange();
  }
}
