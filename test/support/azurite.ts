/**
 * A private Azurite per test suite: blob and queue on free ports of 127.0.0.1, data in memory, so
 * suites run in parallel and never see each other's state (or the launcher's on 10000/10001).
 *
 *   const azurite = await startAzurite();          // beforeAll
 *   new BlobsStorage(azurite.connectionString, 'state');
 *   await azurite.stop();                          // afterAll
 *
 * Or, for a suite: `const azurite = azuriteForSuite()` (hooks included; `azurite()` in a test), and
 * `startAzuriteWorld()`: the stand-ins plus Azurite, with the environment of a bot that keeps its
 * state and outbox there (what the child-process suites start `node dist/bot/index.js` with).
 */
import { startStandIns, type StandIns, type StandInOptions } from '../../bench/lib/standins';
import { spawnAzurite, type RunningAzurite } from '../../sandbox/azurite';

export function startAzurite(): Promise<RunningAzurite> {
  // 20 s: Azurite loads a large dependency tree; a busy 2-core CI runner needs several seconds.
  return spawnAzurite({ blobPort: 0, queuePort: 0, readyTimeoutMs: 20_000 });
}

/** One Azurite for the whole suite: started before its first test, stopped after its last. */
export function azuriteForSuite(): () => RunningAzurite {
  let azurite: RunningAzurite | undefined;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  return () => {
    if (!azurite) throw new Error('Azurite is not running: azuriteForSuite() starts it in beforeAll');
    return azurite;
  };
}

let named = 0;
/** A blob container and queue name (one string, valid as both) that no other test of this process used. */
export function freshName(prefix: string): string {
  named += 1;
  return `${prefix}-${named}-${Date.now()}`;
}

/** The environment that puts a bot's state (container) and outbox (queue) in one storage account under one name. */
export const storageEnv = (connectionString: string, name: string): Record<string, string> => ({
  AZURE_STORAGE_CONNECTION_STRING: connectionString,
  STATE_CONTAINER: name,
  NOTIFY_QUEUE: name,
});

export interface AzuriteWorld extends StandIns {
  azurite: RunningAzurite;
  /** The container (state) and the queue (outbox) this world's bots share. */
  container: string;
  /**
   * The stand-ins' bot environment with state and outbox in this world's Azurite, on loopback;
   * `overrides` last (a fault proxy's AZURE_STORAGE_CONNECTION_STRING, a notify key, LOG_LEVEL).
   */
  botEnv(overrides?: Record<string, string>): Record<string, string>;
}

/**
 * Entra, Graph and Teams stand-ins and an Azurite (its own, or the suite's when given), and one
 * fresh container/queue name. close() stops the stand-ins, and the Azurite only if it started it.
 */
export async function startAzuriteWorld(prefix: string, opts: StandInOptions & { azurite?: RunningAzurite } = {}): Promise<AzuriteWorld> {
  const azurite = opts.azurite ?? (await startAzurite());
  const standIns = await startStandIns(opts);
  const container = freshName(prefix);
  return {
    ...standIns,
    azurite,
    container,
    botEnv: (overrides = {}) =>
      standIns.botEnv({ HOST: '127.0.0.1', ...storageEnv(azurite.connectionString, container), ...overrides }),
    async close() {
      await standIns.close();
      if (!opts.azurite) await azurite.stop();
    },
  };
}
