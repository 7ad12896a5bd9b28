import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Format from 'helpers/format.js';
import LightboxView from 'views/lightbox_view.js';
import VoicePlayerView from 'views/voice_player_view.js';

/** One attachment: an inline image, a voice player or a download card. */
export default class AttachmentView {
  static build(att, media) {
    const type = att.content_type ?? '';
    if (type.startsWith('image/') && att.url) return AttachmentView.#image(att, media);
    if (type.startsWith('audio/') && att.url) return new VoicePlayerView(att, media).el;
    return AttachmentView.#file(att, media);
  }

  /** A file still uploading or waiting to be sent. */
  static pending(meta) {
    return Dom.h(
      'div',
      { class: 'file-card file-card--pending' },
      Dom.h('span', { class: 'file-card__icon' }, Icons.get('file')),
      Dom.h('span', { class: 'file-card__text' }, Dom.h('span', { class: 'file-card__name' }, meta.filename), Dom.h('span', { class: 'file-card__meta' }, Format.size(meta.size))),
    );
  }

  static #image(att, media) {
    const maxW = 360;
    const maxH = 280;
    let w = att.width;
    let h = att.height;
    const style = {};
    if (w && h) {
      const scale = Math.min(1, maxW / w, maxH / h);
      style.width = `${Math.round(w * scale)}px`;
      style.aspectRatio = `${w} / ${h}`;
    }
    const img = Dom.h('img', { class: 'att-image__img', alt: att.filename, loading: 'lazy' });
    const button = Dom.h(
      'button',
      { class: 'att-image att-image--loading', type: 'button', style, 'aria-label': `Open image ${att.filename}`, dataset: { attachmentId: att.id } },
      img,
    );
    media.get(att.thumbnail_url || att.url).then(
      (src) => {
        img.src = src;
        img.addEventListener('load', () => button.classList.remove('att-image--loading'), { once: true });
      },
      () => {
        button.classList.remove('att-image--loading');
        button.classList.add('att-image--broken');
        button.append(Dom.h('span', null, 'Image unavailable'));
      },
    );
    button.addEventListener('click', async () => {
      const src = await media.get(att.url).catch(() => null);
      if (src) LightboxView.open(src, { filename: att.filename });
    });
    return button;
  }

  static #file(att, media) {
    const download = async () => {
      const src = await media.get(att.url).catch(() => null);
      if (!src) return;
      const a = Dom.h('a', { href: src, download: att.filename });
      document.body.append(a);
      a.click();
      a.remove();
    };
    return Dom.h(
      'div',
      { class: 'file-card', dataset: { attachmentId: att.id } },
      Dom.h('span', { class: 'file-card__icon' }, Icons.get('file')),
      Dom.h(
        'span',
        { class: 'file-card__text' },
        Dom.h('span', { class: 'file-card__name' }, att.filename),
        Dom.h('span', { class: 'file-card__meta' }, `${Format.size(att.size)} · ${AttachmentView.#kind(att)}`),
      ),
      Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': `Download ${att.filename}`, onclick: download }, Icons.get('download')),
    );
  }

  static #kind(att) {
    const ext = att.filename?.split('.').pop();
    return ext && ext !== att.filename ? ext.toUpperCase() : att.content_type || 'File';
  }
}
