import { takeTestStack } from './test-stack-handle';

/** Jest global teardown: drops the run's database and stops what global setup started. */
export default async function globalTeardown(): Promise<void> {
  await takeTestStack()?.stop();
}
