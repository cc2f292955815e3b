// NumPy .npy files (format versions 1-3), little-endian numeric dtypes, C order.
import { readRegularFile } from "../../ir/read-file.ts";
import { DataType } from "../../ir/dtype.ts";
import { Tensor } from "../../ir/tensor.ts";

const DESCR_TO_DTYPE: Record<string, DataType> = {
  "<f4": DataType.FLOAT, "<f8": DataType.DOUBLE, "<f2": DataType.FLOAT16, "|i1": DataType.INT8, "|u1": DataType.UINT8,
  "<i2": DataType.INT16, "<u2": DataType.UINT16, "<i4": DataType.INT32, "<u4": DataType.UINT32,
  "<i8": DataType.INT64, "<u8": DataType.UINT64, "|b1": DataType.BOOL,
};

export function parseNpy(bytes: Uint8Array, name: string, source = name): Tensor {
  const fail = (why: string) => new Error(`${source}: not a readable .npy file (${why})`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY") throw fail("bad magic");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString("latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw fail("header lacks descr or shape");
  if (fortran) throw fail("Fortran order is not supported; save with np.ascontiguousarray");
  const dtype = DESCR_TO_DTYPE[descr.replace("=", "<")];
  if (dtype === undefined) throw fail(`dtype '${descr}' is not supported`);
  const dims = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  const data = bytes.slice(headerStart + headerLen);
  const t = Tensor.fromBytes(name, dtype, dims, data);
  if (data.length < t.byteLength) throw fail(`data holds ${data.length} bytes, shape needs ${t.byteLength}`);
  return data.length === t.byteLength ? t : Tensor.fromBytes(name, dtype, dims, data.subarray(0, t.byteLength));
}

export function readNpy(path: string, name: string): Tensor {
  return parseNpy(readRegularFile(path, 2 ** 32, ".npy file"), name, path);
}

export function npyBytes(tensor: Tensor): Uint8Array {
  const descr = Object.entries(DESCR_TO_DTYPE).find(([, d]) => d === tensor.dtype)?.[0];
  if (!descr) throw new Error(`tensor '${tensor.name}': element type ${tensor.dtype} cannot be written as .npy`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + tensor.byteLength);
  out.set([0x93, ...Buffer.from("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(tensor.bytes(), 10 + header.length);
  return out;
}
