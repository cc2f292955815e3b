// yargs' parse failures rewritten as one line that quotes what was typed and says what would
// have been accepted: unknown options get the nearest known one, bad choices list the choices.
import type { Argv } from "yargs";

/** Edit distance (insert, delete, substitute, swap of neighbours count 1 each). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `typed`, if it is close enough to be what was meant. */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(typed, k);
    if (dist < bestDistance) { best = k; bestDistance = dist; }
  }
  // A prefix is a likely abbreviation ("--thresh"); otherwise allow about one typo per 3 letters.
  if (best !== undefined && (bestDistance <= Math.max(1, Math.floor(typed.length / 3)) || known.some((k) => k.startsWith(typed) && typed.length >= 3))) {
    return known.find((k) => k.startsWith(typed) && typed.length >= 3) ?? best;
  }
  return undefined;
}

function knownOptions(y: Argv): string[] {
  const o = (y as unknown as { getOptions(): unknown }).getOptions() as { key: Record<string, unknown>; alias: Record<string, string[]> };
  const names = new Set([...Object.keys(o.key), ...Object.values(o.alias).flat(), "help", "version"]);
  return [...names].filter((n) => n.length > 1 && n !== "$0" && !/[_A-Z]/.test(n));
}

/** As typed on the command line: `--formt` or `-q`, with any `=value` cut off. */
function asTyped(name: string, args: readonly string[]): string {
  const hit = args.find((a) => a.replace(/=.*$/, "").replace(/^-+/, "") === name);
  return hit ? hit.replace(/=.*$/, "") : name.length === 1 ? `-${name}` : `--${name}`;
}

/** One line for a yargs parse failure; messages it does not recognise come back unchanged. */
export function explainParseFailure(message: string, args: readonly string[], y: Argv): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const known = knownOptions(y);
    // yargs reports `--input-shape` twice, also as `inputShape`: keep the spelling that was typed.
    const names = unknown[1]!.split(", ");
    const typedNames = names.filter((n) => args.some((a) => a.replace(/=.*$/, "").replace(/^-+/, "") === n));
    return (typedNames.length > 0 ? typedNames : names).map((name) => {
      const typed = asTyped(name, args);
      if (!typed.startsWith("-")) return typed === args.find((a) => !a.startsWith("-")) ? `unknown command '${typed}' (sparoa --help lists the commands)` : `unexpected argument '${typed}'`;
      const guess = nearest(name, known);
      return `unknown option '${typed}'${guess ? ` (did you mean --${guess}?)` : " (see --help)"}`;
    }).join("; ");
  }
  // "Invalid values:\n  Argument: format, Given: "png", Choices: "text", "json", "dot""
  const invalid = /Argument: ([^,]+), Given: (.*?), Choices: (.*)$/m.exec(message);
  if (invalid) return `--${invalid[1]} ${invalid[2]}: not one of the allowed values ${invalid[3]!.split(", ").join(", ")}`;
  return message.split("\n").filter((l) => l.trim() !== "").join(" ");
}
