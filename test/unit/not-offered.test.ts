/**
 * "Not offered" is recognised from Graph's own segment message, never guessed from other 400s, and
 * what the bot has seen of each Graph host + version is kept (warned once per host + version).
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { BotError } from '../../bot/errors';
import { GraphOfferings } from '../../bot/graph/offerings';
import { toBotError } from '../../bot/graph/uploads';
import { DIAG_REFRESH_WINDOW_MS, diagRefreshExpired } from '../../bot/handlers/diag';

const WHERE = { graphHost: 'graph.microsoft.com', apiVersion: 'v1.0' };

function graph400(code: string, message: string): GraphError {
  const err = new GraphError(400, message);
  err.code = code;
  err.requestId = '0f7e3c1a-2b4d-4e6f-8a9b-1c2d3e4f5a6b';
  return err;
}

describe('toBotError: not_offered', () => {
  it("Graph's segment message naming the uploads collection → not_offered with version, host, segment and request-id", () => {
    const e = toBotError(graph400('BadRequest', "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'."), WHERE);
    expect(e.code).toBe('not_offered');
    expect(e.details).toMatchObject({
      ...WHERE,
      segment: 'importedWindowsAutopilotDeviceIdentityUploads',
      requestId: '0f7e3c1a-2b4d-4e6f-8a9b-1c2d3e4f5a6b',
      httpStatus: 400,
      serviceCode: 'BadRequest',
    });
  });

  it.each([
    ['BadRequest', 'Empty Payload. JSON content expected.'],
    ['BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'],
    ['BadRequest', "Resource not found for the segment 'someoneElsesSegment'."],
    ['ModelValidationFailure', "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'."],
    ['BadRequest', "Invalid filter: Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'. (nested)"],
  ])('any other 400 (%s: %s) stays invalid_request', (code, message) => {
    expect(toBotError(graph400(code, message), WHERE).code).toBe('invalid_request');
  });

  it('without knowing which Graph was asked, the bot does not claim a version: invalid_request', () => {
    expect(toBotError(graph400('BadRequest', "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'.")).code).toBe('invalid_request');
  });
});

describe('GraphOfferings', () => {
  const notOffered = (version: string) =>
    new BotError('not_offered', 'x', { graphHost: 'graph.microsoft.com', apiVersion: version, segment: 'importedWindowsAutopilotDeviceIdentityUploads' });

  it('warns once per host + version, however many turns see it', () => {
    const warned: string[] = [];
    const offerings = new GraphOfferings((e) => warned.push(e.details.apiVersion!), () => 1);
    for (let i = 0; i < 5; i++) offerings.notOffered(notOffered('v1.0'));
    offerings.notOffered(notOffered('beta'));
    expect(warned).toEqual(['v1.0', 'beta']);
    expect(offerings.get('GRAPH.microsoft.com', 'v1.0')).toMatchObject({ offered: false });
  });

  it('remembers what worked; unknown stays unknown', () => {
    const offerings = new GraphOfferings(undefined, () => 42);
    expect(offerings.get('graph.microsoft.com', 'beta')).toBeUndefined();
    offerings.works('graph.microsoft.com', 'beta', 'rid');
    expect(offerings.get('graph.microsoft.com', 'beta')).toEqual({ offered: true, at: 42, requestId: 'rid' });
  });
});

describe('diag refresh window', () => {
  const asked = 1_000_000;
  it('automatic refreshes re-run the check only within the window; a press always runs it', () => {
    expect(diagRefreshExpired(String(asked), 'automatic', asked + DIAG_REFRESH_WINDOW_MS)).toBe(false);
    expect(diagRefreshExpired(String(asked), 'automatic', asked + DIAG_REFRESH_WINDOW_MS + 1)).toBe(true);
    expect(diagRefreshExpired(String(asked), 'manual', asked + 10 * DIAG_REFRESH_WINDOW_MS)).toBe(false);
    expect(diagRefreshExpired(undefined, 'manual', asked)).toBe(false);
    // A card without a readable time (altered) does not re-run on its own.
    expect(diagRefreshExpired('soon', 'automatic', asked)).toBe(true);
  });
});
