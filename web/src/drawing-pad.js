// The drawing surface: white ink on black as in MNIST and the mobile apps Digits follows, drawn with Pointer Events so
// mouse, pen and touch behave the same. An uploaded picture can be shown on it instead of a drawing.

/** Stroke width in canvas pixels on the 280-pixel pad: a pen-like line, as the mobile apps draw. */
export const STROKE_WIDTH = 20;

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas the pad; its width/height attributes are the drawing resolution
   * @param {{onChange?: () => void}} [callbacks] onChange runs after every stroke ends and after clear()
   */
  constructor(canvas, callbacks = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = callbacks.onChange || (() => {});
    this.activePointer = null;
    this.last = null;
    // An uploaded picture at its own size (ImageData), or null while the pad shows a drawing.
    this.picture = null;
    this.blank = true;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  /** Black pad, no picture. */
  clear() {
    const { ctx, canvas } = this;
    ctx.globalCompositeOperation = 'source-over';
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.picture = null;
    this.blank = true;
    this.onChange();
  }

  /** Whether nothing was drawn or uploaded since the last clear. */
  isBlank() {
    return this.blank;
  }

  /**
   * What to classify: the uploaded picture at its own resolution (so a photo is not resampled twice), or the pad.
   * @returns {ImageData}
   */
  imageData() {
    return this.picture || this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  /**
   * Shows a decoded picture on the pad, fitted and centred, and makes it the thing to classify.
   * @param {ImageBitmap|HTMLImageElement} image
   * @param {ImageData} pixels the picture's own pixels, handed to preprocessing unchanged
   */
  showPicture(image, pixels) {
    const { ctx, canvas } = this;
    const w = image.width;
    const h = image.height;
    const scale = Math.min(canvas.width / w, canvas.height / h);
    const dw = w * scale;
    const dh = h * scale;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    // Transparent pictures are shown on white, as preprocessing composites them.
    ctx.fillStyle = '#fff';
    ctx.fillRect((canvas.width - dw) / 2, (canvas.height - dh) / 2, dw, dh);
    ctx.drawImage(image, (canvas.width - dw) / 2, (canvas.height - dh) / 2, dw, dh);
    this.picture = pixels;
    this.blank = false;
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    // The pad is drawn at its attribute size whatever its CSS size.
    return {
      x: ((e.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((e.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  down(e) {
    if (this.activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    if (this.picture) this.clear(); // drawing over a photo would mix two inputs
    this.activePointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.stroke(this.last, this.last);
    this.blank = false;
  }

  move(e) {
    if (e.pointerId !== this.activePointer) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser batches moves into one frame.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.stroke(this.last, p);
      this.last = p;
    }
  }

  up(e) {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.last = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.onChange();
  }

  stroke(from, to) {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = STROKE_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  }
}
