/**
 * A private Azurite per test suite: blob and queue on free ports of 127.0.0.1, data in memory, so
 * suites run in parallel and never see each other's state (or the launcher's on 10000/10001).
 *
 *   const azurite = await startAzurite();          // beforeAll
 *   new BlobsStorage(azurite.connectionString, 'state');
 *   await azurite.stop();                          // afterAll
 */
import { spawnAzurite, type RunningAzurite } from '../../sandbox/azurite';

export function startAzurite(): Promise<RunningAzurite> {
  // 20 s: Azurite loads a large dependency tree; a busy 2-core CI runner needs several seconds.
  return spawnAzurite({ blobPort: 0, queuePort: 0, readyTimeoutMs: 20_000 });
}
