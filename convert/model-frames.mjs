// The binary frames a node process running a model exchanges with Java (dev.digits.convert.node.NodeModelProcess),
// shared by tfjs-runtime/run.mjs and litert-runtime/run.mjs. Every message is little-endian.
//   request:  int32 n, then n × inputSize float32 values (n = 0 ends the process)
//   response: int32 kind, int32 byteLength, payload
//     kind 1 READY   UTF-8 JSON describing the loaded model (sent once, first)
//     kind 2 RESULT  int32 n, int32 classes, n × classes float32 values
//     kind 3 ERROR   UTF-8 message (the process then exits)

// stdout carries the frames: anything a library prints must go to stderr instead.
console.log = console.error;
console.info = console.error;
// When the Java side is gone, its pipe is broken: stop rather than work for nobody.
process.stdout.on('error', () => process.exit(1));

export const READY = 1;
const RESULT = 2;
const ERROR = 3;

export function send(kind, payload) {
  const header = Buffer.alloc(8);
  header.writeInt32LE(kind, 0);
  header.writeInt32LE(payload.length, 4);
  process.stdout.write(header);
  process.stdout.write(payload);
}

export function fail(message) {
  send(ERROR, Buffer.from(String(message), 'utf8'));
  process.exitCode = 1;
  // Let stdout drain before leaving.
  process.stdout.end(() => process.exit(1));
}

/** Reads exactly what each request needs from stdin, however the pipe splits it into chunks. */
class StdinReader {
  constructor(stream) {
    this.iterator = stream[Symbol.asyncIterator]();
    this.chunks = [];
    this.buffered = 0;
  }

  async read(n) {
    while (this.buffered < n) {
      const { value, done } = await this.iterator.next();
      if (done) return null;
      this.chunks.push(value);
      this.buffered += value.length;
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** The next batch of n × inputSize float32 values, or null when Java asked to stop (n = 0) or closed stdin. */
async function nextBatch(stdin, inputSize) {
  const head = await stdin.read(4);
  if (head === null) return null;
  const n = head.readInt32LE(0);
  if (n <= 0) return null;
  const body = await stdin.read(n * inputSize * 4);
  if (body === null) throw new Error(`stdin closed in the middle of a batch of ${n} images`);
  const values = new Float32Array(n * inputSize);
  new Uint8Array(values.buffer).set(body);
  return { n, values };
}

/**
 * Answers batches from stdin until Java asks to stop: predict(values, n) returns (or resolves to) n × classes
 * float32 values. A failure is sent as an ERROR frame, after which the process ends.
 */
export async function answerBatches(inputSize, classes, predict) {
  const stdin = new StdinReader(process.stdin);
  for (;;) {
    let batch;
    try {
      batch = await nextBatch(stdin, inputSize);
    } catch (e) {
      return fail(e.message);
    }
    if (batch === null) return;
    let rows;
    try {
      rows = await predict(batch.values, batch.n);
    } catch (e) {
      return fail(`prediction failed: ${e.message}`);
    }
    sendResult(batch.n, classes, rows);
  }
}

/** Sends n rows of classes float32 values. */
function sendResult(n, classes, rows) {
  const payload = Buffer.alloc(8 + n * classes * 4);
  payload.writeInt32LE(n, 0);
  payload.writeInt32LE(classes, 4);
  Buffer.from(rows.buffer, rows.byteOffset, n * classes * 4).copy(payload, 8);
  send(RESULT, payload);
}
