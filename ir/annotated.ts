// What nodes and values share: ONNX metadata_props and sparoa's analysis annotations, both
// created on first use (most elements have neither, and an empty Map costs ~200 bytes).

/** What passes attach to nodes and values: shapes, costs, sparsity, processor. Shown in dumps. */
export type Annotation = string | number | boolean | readonly number[];

export class Annotated {
  private metadataMap: Map<string, string> | undefined;
  private annotationMap: Map<string, Annotation> | undefined;

  /** metadata_props: written to the file as they are. */
  get metadata(): Map<string, string> {
    return (this.metadataMap ??= new Map());
  }

  /** Analysis results; in-memory, printed in dumps, exported only when asked. */
  get annotations(): Map<string, Annotation> {
    return (this.annotationMap ??= new Map());
  }

  /** True when there are metadata_props (checks without allocating). */
  get hasMetadata(): boolean {
    return (this.metadataMap?.size ?? 0) > 0;
  }

  get hasAnnotations(): boolean {
    return (this.annotationMap?.size ?? 0) > 0;
  }
}
