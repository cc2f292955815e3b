// Reading a JSON file users hand us (state files, weights), with one-line errors: the file name
// and either why it could not be read or where the JSON is broken. `makeError` picks the error
// class the caller's users catch.
import { readFileSync } from "node:fs";

export function readJsonFile(path: string, what: string, makeError: (message: string) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw makeError(`${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw makeError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
