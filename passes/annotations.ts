// Moved to ir/annotation-keys.ts (src/sim and src/devices read it and must not import passes/); kept so
// older import paths still work.
export * from "../ir/annotation-keys.ts";
