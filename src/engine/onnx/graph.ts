// A small ONNX graph builder: named initializers, nodes with generated output names, graph
// inputs and outputs, serialized to ModelProto bytes that onnxruntime loads from memory. Large
// weights are not copied into the protobuf: each is an external-data "file" held in memory
// (onnxruntime's sessionOptions.externalData), so the model bytes stay small and the float32
// arrays the builder made are the ones onnxruntime reads.
import { AttrType, DataType, Message } from './proto';

export const OPSET = 17;
const IR_VERSION = 8;

/** An attribute: an int, a list of ints, or a float written as {f}. */
export type Attr = number | number[] | { f: number };
type ElemType = 'float32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = { float32: DataType.FLOAT, int64: DataType.INT64, bool: DataType.BOOL };

/** A weight held outside the protobuf: the path the graph names and the bytes it stands for. */
export interface ExternalWeight {
  path: string;
  data: Uint8Array;
}

/** A serialized model: the protobuf bytes and the weights it refers to. */
export interface SerializedModel {
  model: Uint8Array;
  externalData: ExternalWeight[];
}

export class Graph {
  private readonly nodes: Message[] = [];
  private readonly initializers: Message[] = [];
  private readonly external: ExternalWeight[] = [];
  private readonly inputs: Message[] = [];
  private readonly outputs: Message[] = [];
  private readonly names = new Set<string>();
  private counter = 0;


  input(name: string, type: ElemType, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    this.names.add(name);
    return name;
  }

  output(value: string, name: string, type: ElemType, dims: (number | string)[]): void {
    if (value !== name) this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initializer held outside the protobuf (an in-memory external-data file): the
   *  data is referenced, never copied. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.names.add(name);
    const path = `w${this.external.length}.bin`;
    this.external.push({ path, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    const t = new Message();
    for (const d of dims) t.int(1, d);
    t.int(2, DataType.FLOAT).string(8, name);
    // external_data (13): location, offset, length; data_location (14) = EXTERNAL.
    for (const [k, v] of [['location', path], ['offset', '0'], ['length', String(data.byteLength)]]) t.message(13, new Message().string(1, k).string(2, v));
    t.int(14, 1);
    this.initializers.push(t);
    return name;
  }

  /** A small int64 constant (shapes, axes, indices). */
  ints(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('c');
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.addInitializer(name, DataType.INT64, dims, new Uint8Array(data.buffer));
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const name = this.fresh('s');
    this.addInitializer(name, DataType.FLOAT, [], new Uint8Array(Float32Array.of(value).buffer));
    return name;
  }

  /** Adds a node; returns its (generated unless given) output name. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    return this.opN(type, inputs, 1, attrs, outName ? [outName] : undefined)[0];
  }

  /** A node with several outputs. */
  opN(type: string, inputs: string[], nOut: number, attrs: Record<string, Attr> = {}, outNames?: string[]): string[] {
    const outs = outNames ?? Array.from({ length: nOut }, () => this.fresh(type));
    const n = new Message();
    for (const i of inputs) n.string(1, i);
    for (const o of outs) n.string(2, o);
    n.string(3, this.fresh(`${type}_node`));
    n.string(4, type);
    for (const [k, v] of Object.entries(attrs)) n.message(5, attribute(k, v));
    this.nodes.push(n);
    for (const o of outs) this.names.add(o);
    return outs;
  }

  /** ModelProto bytes (small constants inside, weights outside) and the external weights. */
  serialize(producer: string): SerializedModel {
    const g = new Message();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, 'induction_lens');
    for (const t of this.initializers) g.message(5, t);
    for (const i of this.inputs) g.message(11, i);
    for (const o of this.outputs) g.message(12, o);
    const opset = new Message().string(1, '').int(2, OPSET);
    const model = new Message().int(1, IR_VERSION).string(2, producer).string(3, '1').message(7, g).message(8, opset).toBytes();
    return { model, externalData: this.external };
  }

  private addInitializer(name: string, type: number, dims: number[], raw: Uint8Array): void {
    const t = new Message();
    for (const d of dims) t.int(1, d);
    t.int(2, type).string(8, name).bytes(9, raw);
    this.initializers.push(t);
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }
}

function attribute(name: string, v: Attr): Message {
  const a = new Message().string(1, name);
  if (typeof v === 'number') return a.int(3, v).int(20, AttrType.INT);
  if (Array.isArray(v)) return a.packedInts(8, v).int(20, AttrType.INTS);
  return a.float(2, v.f).int(20, AttrType.FLOAT);
}

function valueInfo(name: string, type: ElemType, dims: (number | string)[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
  const tensor = new Message().int(1, ELEM[type]).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensor));
}
