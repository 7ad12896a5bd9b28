import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';

/** An image shown over everything: shrunk to fit, never blown up past its own size. */
export default class LightboxView {
  static open(src, { filename = 'image', alt = '' } = {}) {
    const dlg = Dom.h('dialog', { class: 'lightbox', 'aria-label': `Image: ${filename}` });
    const close = () => dlg.close();
    dlg.append(
      Dom.h(
        'div',
        { class: 'lightbox__bar' },
        Dom.h('span', { class: 'lightbox__name' }, filename),
        Dom.h(
          'a',
          { class: 'icon-btn icon-btn--light', href: src, download: filename, 'aria-label': 'Download' },
          Icons.get('download'),
        ),
        Dom.h('button', { class: 'icon-btn icon-btn--light', type: 'button', 'aria-label': 'Close', onclick: close }, Icons.get('x')),
      ),
      Dom.h('div', { class: 'lightbox__stage' }, Dom.h('img', { class: 'lightbox__img', src, alt: alt || filename })),
    );
    dlg.addEventListener('click', (e) => {
      if (e.target === dlg || e.target.classList.contains('lightbox__img') || e.target.classList.contains('lightbox__stage')) close();
    });
    dlg.addEventListener('close', () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }
}
