import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@assay/logger';
import { installShutdownHandler } from './shutdown';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('installShutdownHandler', () => {
  it('runs the steps in order, goes on after a failing step, and shuts down once', async () => {
    const ran: string[] = [];
    const shutdown = installShutdownHandler({
      logger,
      signals: [],
      steps: [
        { name: 'stop http', run: async () => void ran.push('http') },
        {
          name: 'close workers',
          run: async () => {
            ran.push('workers');
            throw new Error('worker close failed');
          },
        },
        { name: 'disconnect', run: async () => void ran.push('disconnect') },
      ],
    });
    await Promise.all([shutdown('test'), shutdown('again')]);
    await shutdown('third time');
    expect(ran).toEqual(['http', 'workers', 'disconnect']);
  });
});
