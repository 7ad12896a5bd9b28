const BARS = 48;

/**
 * Records a voice message with MediaRecorder and samples its loudness with an
 * AnalyserNode, giving `{blob, durationMs, waveform}` (waveform: 0–255 values).
 */
export default class VoiceRecorder {
  #stream = null;
  #recorder = null;
  #chunks = [];
  #levels = [];
  #audio = null;
  #sampler = null;
  #startedAt = 0;

  static get supported() {
    return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
  }

  get elapsedMs() {
    return this.#startedAt ? Date.now() - this.#startedAt : 0;
  }

  /** The latest level 0..1, for a live meter. */
  get level() {
    return this.#levels.length ? this.#levels[this.#levels.length - 1] : 0;
  }

  async start() {
    this.#stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((t) =>
      MediaRecorder.isTypeSupported(t),
    );
    this.#recorder = new MediaRecorder(this.#stream, type ? { mimeType: type } : undefined);
    this.#chunks = [];
    this.#levels = [];
    this.#recorder.ondataavailable = (e) => {
      if (e.data.size) this.#chunks.push(e.data);
    };
    this.#audio = new AudioContext();
    const source = this.#audio.createMediaStreamSource(this.#stream);
    const analyser = this.#audio.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const buf = new Uint8Array(analyser.fftSize);
    this.#sampler = setInterval(() => {
      analyser.getByteTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += ((v - 128) / 128) ** 2;
      this.#levels.push(Math.min(1, Math.sqrt(sum / buf.length) * 3));
    }, 50);
    this.#recorder.start(250);
    this.#startedAt = Date.now();
  }

  /** Stops and answers the recording. */
  stop() {
    return new Promise((resolve) => {
      const durationMs = this.elapsedMs;
      const recorder = this.#recorder;
      recorder.onstop = () => {
        const blob = new Blob(this.#chunks, { type: recorder.mimeType || 'audio/webm' });
        const waveform = VoiceRecorder.#bucket(this.#levels);
        this.#release();
        resolve({ blob, durationMs, waveform });
      };
      recorder.stop();
    });
  }

  cancel() {
    if (this.#recorder && this.#recorder.state !== 'inactive') {
      this.#recorder.onstop = null;
      this.#recorder.stop();
    }
    this.#release();
  }

  #release() {
    clearInterval(this.#sampler);
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#audio?.close().catch(() => {});
    this.#stream = this.#recorder = this.#audio = null;
    this.#startedAt = 0;
  }

  static #bucket(levels) {
    if (levels.length === 0) return new Array(BARS).fill(0);
    const out = [];
    for (let i = 0; i < BARS; i++) {
      const from = Math.floor((i * levels.length) / BARS);
      const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / BARS));
      const slice = levels.slice(from, to);
      out.push(Math.round((Math.max(...slice) || 0) * 255));
    }
    return out;
  }
}
