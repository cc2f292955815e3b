#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx strips types; `npm test` type-checks).
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");
