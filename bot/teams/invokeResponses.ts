/**
 * Every answer the bot gives to an invoke, in one place. Two families:
 *
 * - Universal Actions (`adaptiveCard/action`) answer with an AdaptiveCardInvokeResponse body
 *   (`{statusCode, type, value}`) under HTTP 200 — see universalAction().
 * - The other invokes (sign-in, search) answer with a plain InvokeResponse whose HTTP status is
 *   the one Teams reads.
 */
import type { AdaptiveCardInvokeResponse, Attachment, InvokeResponse } from 'botbuilder';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../cards/ids';

// --- Universal Actions (adaptiveCard/action) ---------------------------------------------------

/**
 * Universal Actions carry their outcome in the body ({statusCode, type, value}); the HTTP status
 * stays 200, as Microsoft's Teams samples send it (CreateInvokeResponse) — botbuilder would copy
 * statusCode into the HTTP status, and Teams then ignores a 412's sign-in fallback.
 */
export function universalAction(body: AdaptiveCardInvokeResponse): InvokeResponse {
  return { status: 200, body };
}

/** Answers an Action.Execute invoke by replacing the card. */
export function cardResponse(card: Attachment): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: card.content } as AdaptiveCardInvokeResponse;
}

/** Answers an Action.Execute invoke with a short message and leaves the card as it is. */
export function messageResponse(text: string): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text } as unknown as AdaptiveCardInvokeResponse;
}

/** Universal Actions' error response (a malformed or unknown card action, an action type other than Action.Execute). */
export function actionError(statusCode: number, code: string, message: string): AdaptiveCardInvokeResponse {
  return { statusCode, type: 'application/vnd.microsoft.error', value: { code, message } } as unknown as AdaptiveCardInvokeResponse;
}

/** A malformed or unknown card action: Universal Actions' 400. */
export function badRequest(message: string): AdaptiveCardInvokeResponse {
  return actionError(400, 'BadRequest', message);
}

/** What Teams needs to show its sign-in for a card action: the token exchange resource and the fallback button. */
export interface LoginRequestResource {
  connectionName: string;
  tokenExchangeResource: { id: string; uri: string; providerId: string };
  signInUrl: string;
}

/** Card-level SSO: answer an Action.Execute invoke with 401 so Teams fetches the token. */
export function loginRequest(resource: LoginRequestResource): AdaptiveCardInvokeResponse {
  return {
    statusCode: 401,
    type: 'application/vnd.microsoft.activity.loginRequest',
    value: {
      text: 'Sign in to continue',
      connectionName: resource.connectionName,
      tokenExchangeResource: resource.tokenExchangeResource,
      buttons: [{ type: 'signin', title: 'Sign in', value: resource.signInUrl }],
    },
  } as unknown as AdaptiveCardInvokeResponse;
}

/** What Teams needs to fall back to its sign-in button after a failed card-level exchange. */
export function preconditionFailed(message: string): AdaptiveCardInvokeResponse {
  return {
    statusCode: 412,
    type: 'application/vnd.microsoft.error.preconditionFailed',
    value: { code: '412', message },
  } as unknown as AdaptiveCardInvokeResponse;
}

// --- every invoke ------------------------------------------------------------------------------

/** Done; nothing to say in the answer. */
export const ok = (): InvokeResponse => ({ status: 200 });

/**
 * Message extensions, task modules and the rest are not features of this bot (its manifest
 * declares none): a clear 400, not botbuilder's 501.
 */
export function unsupportedInvoke(): InvokeResponse {
  return { status: 400, body: { error: { code: 'UnsupportedInvoke', message: 'This bot does not handle this invoke.' } } };
}

/** An invoke that lacks what it needs (who sent it, its value). */
export function invalidInvoke(error: string): InvokeResponse {
  return { status: 400, body: { error } };
}

// --- signin/tokenExchange, signin/verifyState --------------------------------------------------

/** Teams reads a refused token exchange as `{id, connectionName, failureDetail}`. */
export function tokenExchangeFailureBody(value: unknown, failureDetail: string): { id?: string; connectionName?: string; failureDetail: string } {
  const v = (value ?? {}) as { id?: unknown; connectionName?: unknown };
  return {
    id: typeof v.id === 'string' ? v.id : undefined,
    connectionName: typeof v.connectionName === 'string' ? v.connectionName : undefined,
    failureDetail,
  };
}

/** 412 tells Teams the exchange failed: it shows the OAuthCard's sign-in button instead. */
export function tokenExchangeFailed(value: { id?: unknown; connectionName?: unknown }, failureDetail: string): InvokeResponse {
  return { status: 412, body: { id: value.id, connectionName: value.connectionName, failureDetail } };
}

export function verifyStateRefused(): InvokeResponse {
  return { status: 403, body: { error: 'The sign-in state was not accepted.' } };
}

// --- application/search (the upload picker's typeahead) ---------------------------------------

const SEARCH_RESPONSE = 'application/vnd.microsoft.search.searchResponse';

export function searchResults(results: { title: string; value: string }[]): InvokeResponse {
  return { status: 200, body: { statusCode: 200, type: SEARCH_RESPONSE, value: { results } } };
}

/** A search the bot cannot answer: the error in the body, HTTP 200 (as Universal Actions). */
export function searchError(status: number, code: string, message: string): InvokeResponse {
  return { status: 200, body: { statusCode: status, type: 'application/vnd.microsoft.error', value: { code, message } } };
}

// --- the tenant gate ---------------------------------------------------------------------------

export const TENANT_NOT_ALLOWED = 'TenantNotAllowed';

/** An invoke from a tenant the bot does not serve, in the shape its invoke name expects. */
export function tenantRefused(name: string | undefined, value: unknown, message: string): InvokeResponse {
  if (name === 'adaptiveCard/action') return universalAction(actionError(403, TENANT_NOT_ALLOWED, message));
  return { status: 403, body: name === 'signin/tokenExchange' ? tokenExchangeFailureBody(value, message) : { code: TENANT_NOT_ALLOWED, message } };
}
