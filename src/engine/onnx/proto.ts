// A protobuf writer for the subset of onnx.proto that a model needs (ModelProto, GraphProto,
// NodeProto, TensorProto, ValueInfoProto, AttributeProto). Messages are built as lists of chunks
// so that large tensors are copied once, into the final buffer.

/** An encoded message: its chunks in order and their total length. */
export class Message {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private tag(field: number, wire: number): void {
    this.push(varint(BigInt((field << 3) | wire)));
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.push(varint(BigInt.asUintN(64, BigInt(v))));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.push(varint(BigInt(b.length)));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Message): this {
    this.tag(field, 2);
    this.push(varint(BigInt(m.length)));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly number[]): this {
    const parts = values.map((v) => varint(BigInt.asUintN(64, BigInt(v))));
    const body = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      body.set(p, o);
      o += p.length;
    }
    return this.bytes(field, body);
  }

  /** One contiguous buffer (a single copy of every chunk). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function varint(v: bigint): Uint8Array {
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Uint8Array.from(out);
}

// onnx.proto field numbers and enums used by the graph builder.
export const DataType = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;
export const AttrType = { FLOAT: 1, INT: 2, INTS: 7 } as const;
