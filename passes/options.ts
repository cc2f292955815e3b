// Typed pass options. Each pass declares its options once, as a schema of named OptionSpecs: a
// pipeline string's `pass{key=value}` text is parsed by the schema (parseOptionText), library
// calls hand values of the declared types (passEntry), and both go through one validation
// (checkOptions) before the pass is made. `sparoa passes` lists every schema.
import { didYouMean } from "../ir/names.ts";
import { SparoaError } from "../ir/sparoa-error.ts";

/** A bad pass option (unknown name, malformed text, value out of range): one line naming the pass and the option. */
export class PassOptionError extends SparoaError {
  override name = "PassOptionError";
}

export interface OptionSpec<T> {
  /** What the value looks like in a pipeline string, for `sparoa passes`: `number >= 0`, `true|false`, `NAME=FILE;...`. */
  readonly type: string;
  readonly description: string;
  /** The default, as `sparoa passes` shows it (the pass applies it). */
  readonly default?: string;
  /** Pipeline-string text -> value; throws a message (the caller adds the pass and option) when malformed. */
  parse(text: string): T;
  /** A value given in code: undefined when valid, else what was expected. */
  check?(value: T): string | undefined;
}

export type OptionSchema = Readonly<Record<string, OptionSpec<unknown>>>;

/** The values a schema accepts, each optional (absent: the pass's default). */
export type OptionValues<S extends OptionSchema> = { readonly [K in keyof S]?: S[K] extends OptionSpec<infer T> ? T : never };

/** Option values of some pass, before validation against its schema. */
export type AnyOptionValues = Readonly<Record<string, unknown>>;

/** `text`'s options parsed by `schema` (the pipeline string's `key=value` pairs). */
export function parseOptionText(pass: string, schema: OptionSchema, text: Readonly<Record<string, string>>): AnyOptionValues {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(text)) {
    const spec = specOf(pass, schema, key);
    try {
      values[key] = spec.parse(raw);
    } catch (e) {
      throw new PassOptionError(`${pass} option ${key}=${raw}: ${(e as Error).message}`);
    }
  }
  return checkOptions(pass, schema, values);
}

/** The one validation: every name is in the schema, every value passes its spec's check. */
export function checkOptions<S extends OptionSchema>(pass: string, schema: S, values: AnyOptionValues): OptionValues<S> {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const problem = specOf(pass, schema, key).check?.(value);
    if (problem !== undefined) throw new PassOptionError(`${pass} option ${key}=${display(value)}: expected ${problem}`);
  }
  return values as OptionValues<S>;
}

function specOf(pass: string, schema: OptionSchema, key: string): OptionSpec<unknown> {
  const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
  if (spec) return spec;
  const names = Object.keys(schema);
  throw new PassOptionError(`${pass} has no option '${key}'${didYouMean(key, names)}; ${names.length > 0 ? `options: ${names.join(", ")}` : "it takes no options"}`);
}

function display(value: unknown): string {
  if (Array.isArray(value)) return value.join(";");
  if (value instanceof Map) return [...value].map(([k, v]) => `${k}=${String(v)}`).join(";");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// The option kinds passes share.

/** A number within bounds: `integer` whole numbers only; `min` inclusive, `above` exclusive. */
export function numberOption(description: string, bounds: { integer?: boolean; min?: number; above?: number; max?: number } = {}, defaultText?: string): OptionSpec<number> {
  const what = [bounds.integer ? "a whole number" : "a number", bounds.min !== undefined ? `>= ${bounds.min}` : "", bounds.above !== undefined ? `> ${bounds.above}` : "", bounds.max !== undefined ? `<= ${bounds.max}` : ""].filter((s) => s !== "").join(" ");
  const check = (x: number): string | undefined =>
    !Number.isFinite(x) || (bounds.integer && !Number.isInteger(x)) || (bounds.min !== undefined && x < bounds.min) || (bounds.above !== undefined && x <= bounds.above) || (bounds.max !== undefined && x > bounds.max) ? what : undefined;
  return {
    type: what.replace(/^an? /, ""), description, default: defaultText,
    parse(text) {
      const x = Number(text);
      if (text.trim() === "" || check(x) !== undefined) throw new Error(`expected ${what}`);
      return x;
    },
    check: (x) => (typeof x === "number" ? check(x) : what),
  };
}

export function booleanOption(description: string, defaultValue: boolean): OptionSpec<boolean> {
  return {
    type: "true|false", description, default: String(defaultValue),
    parse(text) {
      if (text === "true" || text === "1" || text === "") return true;
      if (text === "false" || text === "0") return false;
      throw new Error("expected true or false");
    },
    check: (x) => (typeof x === "boolean" ? undefined : "true or false"),
  };
}

export function choiceOption<const C extends string>(description: string, choices: readonly C[], defaultValue?: C): OptionSpec<C> {
  const what = choices.join(" or ");
  return {
    type: choices.join("|"), description, default: defaultValue,
    parse(text) {
      if (!choices.includes(text as C)) throw new Error(`expected ${what}`);
      return text as C;
    },
    check: (x) => (choices.includes(x) ? undefined : what),
  };
}

export function stringOption(description: string, type = "TEXT", defaultValue?: string): OptionSpec<string> {
  return { type, description, default: defaultValue, parse: (text) => text, check: (x) => (typeof x === "string" ? undefined : "text") };
}

/** A list; in a pipeline string its items are separated by ';' (pipeline commas separate options). */
export function listOption(description: string, type: string): OptionSpec<readonly string[]> {
  return {
    type, description,
    parse: (text) => text.split(text.includes("\n") ? "\n" : ";").map((s) => s.trim()).filter((s) => s !== ""),
    check: (x) => (Array.isArray(x) && x.every((s) => typeof s === "string") ? undefined : "a list of texts"),
  };
}

/** An option read by `parse` from its text, checked in code by `parse`'s own validation of what it is given. */
export function customOption<T>(type: string, description: string, parse: (text: string) => T, check?: (value: T) => string | undefined): OptionSpec<T> {
  return { type, description, parse, check };
}

