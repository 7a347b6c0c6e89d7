/**
 * classifySendError against the Bot Connector's documented answers (test/fixtures/real-cloud/
 * teams-connector-errors.json, sources in SOURCE.md): prune only on roster / not found, suspend on
 * the three "blocked" answers (one of them in its own body shape), retry only what Teams' retry
 * guidance lists, fail everything else at once.
 */
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { classifySendError, GCC_SERVICE_URL, SendFailure } from '../../bot/notifications/sender';
import fixtures from '../fixtures/real-cloud/teams-connector-errors.json';

type Fixture = { status: number; body?: unknown };
const ANSWERS = fixtures as Record<string, Fixture>;

/** The error botbuilder's ConnectorClient (@azure/core-client) throws for an answer: a RestError with the raw body, and the code/message it lifted from `error`. */
function connectorError(answer: Fixture, headers: Record<string, string> = {}): RestError {
  const bodyAsText = answer.body === undefined ? '' : JSON.stringify(answer.body);
  const parsed = answer.body as { error?: { code?: string; message?: string }; message?: string } | undefined;
  const inner = parsed?.error ?? parsed;
  const request = createPipelineRequest({ url: 'https://smba.trafficmanager.net/amer/v3/conversations/19%3Ax/activities' });
  return new RestError(inner?.message ?? `Unexpected status code: ${answer.status}`, {
    statusCode: answer.status,
    code: (inner as { code?: string } | undefined)?.code,
    request,
    response: { status: answer.status, headers: createHttpHeaders(headers), request, bodyAsText, ...({ parsedBody: parsed } as object) },
  });
}

const verdictOf = (name: string) => classifySendError(connectorError(ANSWERS[name]!));

describe('classifySendError, on the documented answers', () => {
  it.each(['BotNotInConversationRoster', 'ConversationNotFound'])('%s prunes', (name) => {
    expect(verdictOf(name)).toMatchObject({ kind: 'prune', status: ANSWERS[name]!.status, code: name });
  });

  it.each(['BotDisabledByAdmin', 'ConversationBlockedByUser'])('%s suspends', (name) => {
    expect(verdictOf(name)).toMatchObject({ kind: 'suspend', status: 403, code: name });
  });

  it('MessageWritesBlocked (errorCode 209, subCode inside a JSON string, no error.code) suspends', () => {
    const verdict = verdictOf('MessageWritesBlocked');
    expect(verdict).toMatchObject({ kind: 'suspend', status: 403, code: 'MessageWritesBlocked' });
    expect(verdict.reason).toContain('Thread is blocked from message writes.');
    // The same body seen only as text (no parsed body, no lifted code) is read the same way.
    const textOnly = new RestError('x', { statusCode: 403, response: { status: 403, headers: createHttpHeaders(), request: createPipelineRequest({ url: 'https://x/' }), bodyAsText: JSON.stringify(ANSWERS.MessageWritesBlocked!.body) } });
    expect(classifySendError(textOnly)).toMatchObject({ kind: 'suspend', code: 'MessageWritesBlocked' });
  });

  it.each(['PreconditionFailed', 'Throttled', 'ServiceError502', 'Status503', 'Status504'])('%s is retried', (name) => {
    expect(verdictOf(name)).toMatchObject({ kind: 'retry', status: ANSWERS[name]!.status });
  });

  it.each([
    'ServiceError500',
    'BadArgument',
    'BotNotRegistered',
    'ForbiddenOperationException',
    'NotEnoughPermissions',
    'ActivityNotFoundInConversation',
    'MessageSizeTooBig',
  ])('%s fails at once (never retried, never pruned)', (name) => {
    expect(verdictOf(name)).toMatchObject({ kind: 'fail', status: ANSWERS[name]!.status });
  });

  it('403 InvalidBotApiHost is retried at the GCC host, once', () => {
    expect(verdictOf('InvalidBotApiHost')).toMatchObject({ kind: 'retry', status: 403, code: 'InvalidBotApiHost', serviceUrl: GCC_SERVICE_URL });
    expect(classifySendError(connectorError(ANSWERS.InvalidBotApiHost!), GCC_SERVICE_URL)).toMatchObject({ kind: 'fail', code: 'InvalidBotApiHost' });
  });

  it('429 honours Retry-After (seconds)', () => {
    expect(classifySendError(connectorError(ANSWERS.Throttled!, { 'Retry-After': '7' }))).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
  });

  it('a 403 or 404 with another code is not a prune', () => {
    expect(classifySendError(connectorError({ status: 403 }))).toMatchObject({ kind: 'fail', code: 'HTTP403' });
    expect(classifySendError(connectorError({ status: 404, body: { error: { code: 'NotFound', message: 'x' } } }))).toMatchObject({ kind: 'fail' });
  });

  it('no answer at all (a network failure) is retried; a SendFailure is read through', () => {
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifySendError(network)).toMatchObject({ kind: 'retry', code: 'ECONNREFUSED' });
    expect(classifySendError(new SendFailure(connectorError(ANSWERS.BotDisabledByAdmin!), 1))).toMatchObject({ kind: 'suspend' });
  });
});
