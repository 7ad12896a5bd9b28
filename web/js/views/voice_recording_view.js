import Dom from 'helpers/dom.js';
import Icons from 'helpers/icons.js';
import Format from 'helpers/format.js';
import VoiceRecorder from 'lib/voice_recorder.js';

/**
 * The bar that takes the composer's place while a voice message is recorded:
 * elapsed time, a level meter, cancel and send.
 */
export default class VoiceRecordingView {
  el;
  #recorder;
  #timer;

  /**
   * Starts recording from the microphone.
   * @param onFinish called with `true` (send) or `false` (cancel) when a button is pressed
   * @returns the view, or null when no microphone is available
   */
  static async start(onFinish) {
    const recorder = new VoiceRecorder();
    try {
      await recorder.start();
    } catch {
      return null;
    }
    return new VoiceRecordingView(recorder, onFinish);
  }

  constructor(recorder, onFinish) {
    this.#recorder = recorder;
    const finish = (send) => {
      clearInterval(this.#timer);
      onFinish(send);
    };
    const time = Dom.h('span', { class: 'rec__time' }, '0:00');
    const meter = Dom.h('span', { class: 'rec__meter' }, Dom.h('span', { class: 'rec__level' }));
    this.el = Dom.h(
      'div',
      { class: 'rec', role: 'status', 'aria-label': 'Recording voice message' },
      Dom.h('span', { class: 'rec__dot' }),
      time,
      meter,
      Dom.h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Cancel recording', onclick: () => finish(false) }, Icons.get('trash')),
      Dom.h('button', { class: 'composer__send composer__send--ready', type: 'button', 'aria-label': 'Send voice message', onclick: () => finish(true) }, Icons.get('send', { size: 18 })),
    );
    this.#timer = setInterval(() => {
      time.textContent = Format.duration(recorder.elapsedMs);
      meter.firstChild.style.transform = `scaleX(${recorder.level.toFixed(2)})`;
    }, 100);
  }

  cancel() {
    clearInterval(this.#timer);
    this.#recorder.cancel();
  }

  /** Stops recording: the message as a file, with its duration and waveform. */
  async stop() {
    clearInterval(this.#timer);
    const { blob, durationMs, waveform } = await this.#recorder.stop();
    const ext = blob.type.includes('ogg') ? 'ogg' : 'webm';
    const file = new File([blob], `voice-message.${ext}`, { type: blob.type });
    return { file, durationMs, waveform };
  }
}
