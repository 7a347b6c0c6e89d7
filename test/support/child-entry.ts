/**
 * A bot instance in a process of its own, for tests that kill one (SIGKILL): what
 * `node dist/bot/index.js` runs, plus the outbox worker options from TEST_WORKER_OPTIONS (JSON),
 * so a job the dead process held comes back within seconds instead of the default 30 s.
 * Tests start it through test/support/bot-child.ts: `startChildBot(env, { entry: CHILD_ENTRY })`.
 */
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import type { WorkerOptions } from '../../bot/notifications';

const config = loadConfig(process.env);
const worker = JSON.parse(process.env.TEST_WORKER_OPTIONS ?? '{}') as Partial<WorkerOptions>;
const app = createApp(config, { notifications: { worker } });
void app.listen(config.port, '127.0.0.1').then((url) => app.services.log.info({ url }, 'bot listening'));
