import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '../../bot/log';
import { EXIT_UNCAUGHT, installFaultHandlers, routeConsole, type ConsoleLike } from '../../bot/processFaults';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGV4In0.c2lnbmF0dXJlLXZhbHVl';

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('debug', stream), records: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('process fault handlers', () => {
  it('an uncaught exception is logged as one structured line (scrubbed) and exits non-zero', () => {
    const { log, records } = sink();
    const proc = new EventEmitter();
    const exits: number[] = [];
    installFaultHandlers(proc as never, { log, exit: (code) => exits.push(code) });
    const err = Object.assign(new Error(`socket broke while sending Bearer ${JWT}`), { correlationId: 'corr-1' });
    proc.emit('uncaughtException', err, 'uncaughtException');
    expect(exits).toEqual([EXIT_UNCAUGHT]);
    expect(EXIT_UNCAUGHT).not.toBe(0);
    const [line] = records();
    expect(line).toMatchObject({ level: 'fatal', correlationId: 'corr-1', origin: 'uncaughtException', err: { type: 'Error' } });
    expect(line!.msg).toMatch(/uncaught exception/);
    expect(JSON.stringify(line)).not.toContain(JWT);
    expect(line!.err.message).toContain('[jwt]');
  });

  it('an unhandled rejection is logged at error and the process keeps running', () => {
    const { log, records } = sink();
    const proc = new EventEmitter();
    const exits: number[] = [];
    installFaultHandlers(proc as never, { log, exit: (code) => exits.push(code) });
    proc.emit('unhandledRejection', new Error('stray'));
    proc.emit('unhandledRejection', { not: 'an error', token: JWT });
    expect(exits).toEqual([]);
    const lines = records();
    expect(lines.map((l) => l.level)).toEqual(['error', 'error']);
    expect(lines[0]!.err.message).toBe('stray');
    expect(JSON.stringify(lines[1])).not.toContain(JWT);
  });
});

describe('routeConsole', () => {
  it('botbuilder\'s console.error(err) becomes a structured, scrubbed log line', () => {
    const { log, records } = sink();
    const fake: ConsoleLike = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), log: jest.fn(), debug: jest.fn() };
    const originals = { ...fake };
    routeConsole(fake, log);
    fake.error(new Error(`Unauthorized. Invalid AppId passed on token: ${JWT}`));
    fake.warn('BadRequest: Missing activity or activity type.');
    for (const m of Object.values(originals)) expect(m).not.toHaveBeenCalled();
    const [error, warn] = records();
    expect(error).toMatchObject({ level: 'error', source: 'console', err: { type: 'Error' } });
    expect(JSON.stringify(error)).not.toContain(JWT);
    expect(warn).toMatchObject({ level: 'warn', source: 'console', msg: 'BadRequest: Missing activity or activity type.' });
  });
});
