/**
 * `npm start`: the whole product on this machine — see sandbox/launch/sandbox.ts for what runs,
 * and README "What npm start gives you". Ctrl-C (or SIGTERM) stops every part.
 */
import path from 'node:path';
import { USERS } from './directory';
import { banner } from './launch/banner';
import { PLAYGROUND_BOT_NAME, seededUploads, startSandbox, type RunningSandbox } from './launch/sandbox';

const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  let sandbox: RunningSandbox | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await sandbox?.stop();
    process.exit(code);
  };
  // A second Ctrl-C while stopping is ignored: the children are already being stopped.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    sandbox = await startSandbox({ root, env: process.env, progress: (line) => process.stdout.write(`  ${(performance.now() / 1000).toFixed(1).padStart(5)} s  ${line}\n`) });
  } catch (err) {
    process.stderr.write(`\nnpm start failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (stopping) return;
  process.stdout.write(
    banner({
      playgroundUrl: sandbox.playgroundUrl,
      user: USERS[sandbox.user],
      uploads: seededUploads(sandbox.graph),
      botName: PLAYGROUND_BOT_NAME,
      logDir: path.relative(process.cwd(), sandbox.logDir) || sandbox.logDir,
      readyMs: performance.now(),
      graphSchema: sandbox.graph.mode.schema,
    }) + '\n',
  );
  const why = await sandbox.unexpectedExit;
  if (stopping) return;
  process.stderr.write(`\n${why}\nStopping the sandbox.\n`);
  await stop(1);
}

void main();
