// The full-weight materializer lives with the test helpers (tests compare outputs of these
// models); benchmarks use the same cached copies.
export { MODEL_CACHE, materialize } from "../../test/support/materialize.ts";
