// One attention head, named as in TransformerLens (L1H5 = layer 1, head 5). Defined once: the
// engine, the protocol and the views all use it.
export interface HeadRef {
  layer: number;
  head: number;
}
