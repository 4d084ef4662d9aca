/**
 * Runs the gateway as a process (the container's entry point; `bb serve gateway` does the same):
 * closes gracefully on SIGTERM / SIGINT.
 */
import { serveGateway } from './serve.js';

const controller = new AbortController();
try {
  const served = await serveGateway({ signal: controller.signal });
  const stop = () => {
    void served.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  console.error(`bloodbank gateway: ${(error as Error).message}`);
  process.exit(1);
}
