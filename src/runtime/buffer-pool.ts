// Spare ArrayBuffers by size for the copies the main thread makes of request inputs. A fresh
// buffer costs page faults on first touch (a 128 KB copy into new memory took 89 us on the
// development VM, into a reused buffer 5 us); the workers hand the input buffers back once the
// partitions that read them have run, so steady traffic copies into warm memory.
export class BufferPool {
  private readonly spare = new Map<number, ArrayBuffer[]>();
  private bytes = 0;

  constructor(private readonly perSize = 4, private readonly maxBytes = 256 << 20) {}

  /** A buffer of exactly `byteLength` bytes, reused when one is spare; its contents are stale. */
  take(byteLength: number): ArrayBuffer {
    const list = this.spare.get(byteLength);
    const buffer = list?.pop();
    if (buffer) {
      this.bytes -= byteLength;
      return buffer;
    }
    return new ArrayBuffer(byteLength);
  }

  /** Keeps `buffer` for a later take of its size, unless the pool is full for that size or overall. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // also what a transferred (detached) buffer reports
    const list = this.spare.get(buffer.byteLength) ?? [];
    if (list.length >= this.perSize || this.bytes + buffer.byteLength > this.maxBytes) return;
    list.push(buffer);
    this.spare.set(buffer.byteLength, list);
    this.bytes += buffer.byteLength;
  }

  /** Bytes held spare. */
  get held(): number {
    return this.bytes;
  }

  /** A copy of `view`'s bytes in a pooled buffer. */
  copy(view: ArrayBufferView): ArrayBuffer {
    const out = this.take(view.byteLength);
    new Uint8Array(out).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    return out;
  }
}
