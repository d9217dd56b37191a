/**
 * The local S3 server of the upload benchmark, in a process of its own so that its work (it
 * parses, hashes and writes every byte) is not counted against the benchmark's client or the
 * gateway. Prints `{ endpoint, accessKey, secretKey }` as one JSON line, stops on SIGTERM.
 */
import { S3TestServer } from '../../tests/support/s3-test-server';

async function main(): Promise<void> {
  const server = await S3TestServer.start();
  const stop = () => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey })}\n`);
}

void main();
