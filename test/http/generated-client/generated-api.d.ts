/**
 * A loose stand-in for the types openapi-typescript generates from /docs/json, so that the
 * repository's own typecheck (which includes test/) can read ./program.ts without a generated file.
 * test/http/openapi-client.test.ts type-checks program.ts strictly against the real generated types
 * instead: its tsconfig maps `credit-gateway-api` to the file it generates, and leaves this one out.
 */
declare module 'credit-gateway-api' {
  export type paths = any;
  export type components = any;
}
