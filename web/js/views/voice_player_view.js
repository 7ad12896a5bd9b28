import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Format from 'helpers/format.js';

/** A voice message: play / pause, the waveform as progress, the time. */
export default class VoicePlayerView {
  el;
  #media;
  #attachment;
  #audio = null;
  #bars = [];
  #button;
  #time;

  constructor(attachment, media) {
    this.#attachment = attachment;
    this.#media = media;
    const wave = attachment.waveform?.length ? attachment.waveform : new Array(40).fill(60);
    this.#bars = wave.map((v) =>
      Dom.h('span', { class: 'voice__bar', style: { height: `${Math.max(12, Math.round((v / 255) * 100))}%` } }),
    );
    this.#button = Dom.h('button', { class: 'voice__play', type: 'button', 'aria-label': 'Play voice message', onclick: () => this.toggle() }, Icons.get('play', { size: 16 }));
    this.#time = Dom.h('span', { class: 'voice__time' }, Format.duration(attachment.duration_ms));
    const waveEl = Dom.h('div', { class: 'voice__wave', role: 'slider', 'aria-label': 'Seek', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', tabindex: '0' }, this.#bars);
    waveEl.addEventListener('click', (e) => {
      const r = waveEl.getBoundingClientRect();
      this.#seek((e.clientX - r.left) / r.width);
    });
    waveEl.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') this.#seekBy(5);
      if (e.key === 'ArrowLeft') this.#seekBy(-5);
    });
    this.el = Dom.h('div', { class: 'voice' }, this.#button, waveEl, this.#time);
  }

  async toggle() {
    if (!this.#audio) {
      this.#button.disabled = true;
      try {
        const src = await this.#media.get(this.#attachment.url);
        this.#audio = new Audio(src);
        this.#audio.addEventListener('timeupdate', () => this.#progress());
        this.#audio.addEventListener('ended', () => this.#progress());
        this.#audio.addEventListener('play', () => this.#icon());
        this.#audio.addEventListener('pause', () => this.#icon());
      } finally {
        this.#button.disabled = false;
      }
    }
    if (this.#audio.paused) await this.#audio.play().catch(() => {});
    else this.#audio.pause();
  }

  #seek(fraction) {
    if (!this.#audio) return;
    const d = this.#duration();
    if (d) this.#audio.currentTime = Math.max(0, Math.min(1, fraction)) * d;
  }

  #seekBy(seconds) {
    if (this.#audio) this.#audio.currentTime = Math.max(0, this.#audio.currentTime + seconds);
  }

  #duration() {
    const d = this.#audio?.duration;
    return Number.isFinite(d) ? d : (this.#attachment.duration_ms ?? 0) / 1000;
  }

  #progress() {
    const d = this.#duration();
    const t = this.#audio.currentTime;
    const f = d ? t / d : 0;
    const n = Math.round(f * this.#bars.length);
    this.#bars.forEach((b, i) => b.classList.toggle('voice__bar--played', i < n));
    this.#time.textContent = this.#audio.paused && (t === 0 || this.#audio.ended) ? Format.duration(d * 1000) : Format.duration(t * 1000);
    this.el.querySelector('.voice__wave').setAttribute('aria-valuenow', String(Math.round(f * 100)));
  }

  #icon() {
    const playing = !this.#audio.paused;
    Dom.replace(this.#button, Icons.get(playing ? 'pause' : 'play', { size: 16 }));
    this.#button.setAttribute('aria-label', playing ? 'Pause voice message' : 'Play voice message');
  }
}
