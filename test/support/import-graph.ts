// Who imports whom between the project's folders (ir/, ort/, passes/, each src/ folder), read from the
// sources: static and dynamic imports, `export ... from`, worker files opened with
// `new URL("./x.mjs", import.meta.url)`, and the workers' `import(\`./x.${ext}\`)` (read as .ts).
// Type-only imports count: they tie the layers together as much as value imports do.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface ImportEdge {
  /** Both as paths relative to the project root, with forward slashes. */
  from: string;
  to: string;
}

const SOURCE = /\.(ts|mts|mjs|js)$/;
/** The top-level folders that hold the project's sources. */
export const SOURCE_ROOTS = ["ir", "ort", "passes", "src"] as const;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\(\s*)(["'`])(\.{1,2}\/[^"'`]+)\1/g;

/** The layer a file belongs to: `ir`, `ort`, `passes`, or `src/<folder>`; undefined outside them. */
export function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] === "ir" || parts[0] === "ort" || parts[0] === "passes") return parts[0];
  if (parts[0] === "src" && parts.length > 2) return `src/${parts[1]}`;
  return undefined;
}

/** Relative import specifiers in one file's text. */
export function importSpecifiers(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[2]!.replace(/\$\{\s*ext\s*\}/g, "ts"));
}

function walk(root: string, dir: string, out: string[]): void {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir === "" ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) { if (e.name !== "node_modules") walk(root, rel, out); } else if (SOURCE.test(e.name)) out.push(rel);
  }
}

/** Every import between source files under `folders` of `root`. */
export function importEdges(root: string, folders: readonly string[] = SOURCE_ROOTS): ImportEdge[] {
  const files: string[] = [];
  for (const f of folders) walk(root, f, files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    for (const spec of importSpecifiers(readFileSync(join(root, from), "utf8"))) {
      const to = relative(root, resolve(root, dirname(from), spec)).split(sep).join("/");
      edges.push({ from, to });
    }
  }
  return edges;
}

/** The folders that hold source files (what the layer table must place). */
export function sourceFolders(root: string): string[] {
  const files: string[] = [];
  for (const f of SOURCE_ROOTS) walk(root, f, files);
  return [...new Set(files.map(folderOf).filter((f): f is string => f !== undefined))].sort();
}
