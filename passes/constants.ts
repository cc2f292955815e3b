// Moved to ir/constants.ts (src/sim and src/devices read it and must not import passes/); kept so
// older import paths still work.
export * from "../ir/constants.ts";
