/**
 * The wire contract, from the bottom of the stack (libs/contract). The client compiles it in with its own sources
 * (see tsconfig.json), so the package still builds on its own with no dependencies.
 */
export * from '../../contract/src/wire.types';
