import type { TestStack } from '@assay/devstack';

/**
 * Jest runs globalSetup and globalTeardown in the same process but as separate modules: the
 * running stack is handed over on `globalThis` under this key.
 */
const HANDLE = Symbol.for('assay.test-stack');

type WithHandle = typeof globalThis & { [HANDLE]?: TestStack };

/** Keeps the stack started by global setup for global teardown. */
export function keepTestStack(stack: TestStack): void {
  (globalThis as WithHandle)[HANDLE] = stack;
}

/** Takes the stack kept by {@link keepTestStack} (once). */
export function takeTestStack(): TestStack | undefined {
  const stack = (globalThis as WithHandle)[HANDLE];
  delete (globalThis as WithHandle)[HANDLE];
  return stack;
}
