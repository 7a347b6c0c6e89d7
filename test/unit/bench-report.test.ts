/** bench/results.md: a figure that could not be measured keeps its whole cause; `--only` replaces just its section. */
import net from 'node:net';
import { portHolders } from '../../bench/lib/portHolders';
import { lastLines } from '../../bench/measures/startToReady';
import { notMeasurable, spliceSections } from '../../bench/report';

const LAUNCHER_OUTPUT = [
  '    0.1 s  Azurite          http://127.0.0.1:10000 (blob), :10001 (queue)',
  '',
  'npm start failed: Agents Playground: port 56150 is already in use (set PLAYGROUND_PORT to move it)',
].join('\n');

it('a figure that cannot be measured prints every line of the cause, fenced', () => {
  const md = notMeasurable('run 2 of 3: the launcher exited (code 1) before it was ready', LAUNCHER_OUTPUT, 'The launcher\'s last lines:').join('\n');
  expect(md).toContain('Not measurable in this run: run 2 of 3: the launcher exited (code 1) before it was ready.');
  expect(md).toContain('```\n    0.1 s  Azurite');
  expect(md).toContain('npm start failed: Agents Playground: port 56150 is already in use (set PLAYGROUND_PORT to move it)\n```');
});

it('output with backticks cannot close the fence early', () => {
  const md = notMeasurable('x', 'run ```npm start``` again', 'Output:').join('\n');
  expect(md).toContain('````\nrun ```npm start``` again\n````');
});

it('keeps the last lines of output, not the first', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  expect(lastLines(text, 3)).toBe('line 97\nline 98\nline 99');
});

it('--only replaces the named section and leaves the others as they were', () => {
  const previous = '# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## Time from `npm start` to ready\n\nold start\n\n## C\n\nold c\n';
  const fresh = '# Benchmarks\n\nnew intro\n\n## A\n\nNot measured in this run.\n\n## Time from `npm start` to ready\n\nnew start\n\n## C\n\nNot measured.\n';
  const out = spliceSections(previous, fresh, ['## Time from `npm start` to ready'], '_re-measured_');
  expect(out).toBe('# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## Time from `npm start` to ready\n\nnew start\n\n_re-measured_\n\n## C\n\nold c\n');
});

it('names the process holding a port', async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    expect(portHolders(port)).toContainEqual(expect.objectContaining({ state: 'listening', pid: process.pid }));
  } finally {
    server.close();
  }
});
