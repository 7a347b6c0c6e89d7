/**
 * The error answers of the Teams bot APIs, from the table "Status codes from bot conversational
 * APIs" (msteams-docs, bots/build-conversational-capability.md): body `{error: {code, message}}`.
 */

export interface ConnectorAnswer {
  status: number;
  /** `{error: {code, message}}` for Teams' own errors. */
  body?: unknown;
  headers?: Record<string, string>;
}

const error = (status: number, code: string, message: string): ConnectorAnswer => ({
  status,
  body: { error: { code, message } },
});

export const CONNECTOR_ERRORS = {
  badArgument: (message: string) => error(400, 'BadArgument', message),
  botNotInConversationRoster: () =>
    error(403, 'BotNotInConversationRoster', "The bot isn't part of the conversation roster."),
  botDisabledByAdmin: () => error(403, 'BotDisabledByAdmin', 'The tenant admin disabled this bot'),
  conversationBlockedByUser: () => error(403, 'ConversationBlockedByUser', 'User blocked the conversation with the bot.'),
  invalidBotApiHost: () =>
    error(403, 'InvalidBotApiHost', 'Invalid bot api host. For GCC tenants, call https://smba.infra.gcc.teams.microsoft.com.'),
  /**
   * A thread blocked from message writes answers in another shape, with no `error.code`: the
   * example response of msteams-docs bots/how-to/conversations/send-proactive-messages.md.
   */
  messageWritesBlocked: (): ConnectorAnswer => ({
    status: 403,
    body: {
      errorCode: 209,
      message: '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
    },
  }),
  botNotInstalledPersonal: () =>
    error(403, 'ForbiddenOperationException', "Bot isn't installed in user's personal scope"),
  conversationNotFound: () => error(404, 'ConversationNotFound', 'Conversation not found.'),
  // Teams' table gives this code the same message as ConversationNotFound.
  activityNotFound: () => error(404, 'ActivityNotFoundInConversation', 'Conversation not found.'),
  memberNotFound: () => error(404, 'MemberNotFoundInConversation', 'The member was not found in the conversation.'),
  preconditionFailed: () => error(412, 'PreconditionFailed', 'Precondition failed, please try again.'),
  messageSizeTooBig: () => error(413, 'MessageSizeTooBig', 'Message size too large.'),
  /** `null`: no Retry-After header (Teams' 429 does not always carry one). */
  throttled: (retryAfterSeconds: number | null): ConnectorAnswer => ({
    ...error(429, 'Throttled', 'Too many requests. Also returns when to retry after.'),
    ...(retryAfterSeconds === null ? {} : { headers: { 'Retry-After': String(retryAfterSeconds) } }),
  }),
  serviceError: (status: 500 | 502) => error(status, 'ServiceError', 'Internal server error.'),
  notFound: () => error(404, 'NotFound', 'The requested resource was not found.'),
} as const;

/**
 * What the Connector answers a missing or invalid bearer token: ASP.NET's default 401 body, as bots
 * see it from smba.trafficmanager.net (e.g. MicrosoftDocs/bot-docs#1548).
 */
export const UNAUTHORIZED: ConnectorAnswer = {
  status: 401,
  body: { message: 'Authorization has been denied for this request.' },
};

/** The Teams-shaped answer for an injected fault with this status. */
export function errorForStatus(status: number, retryAfterSeconds?: number | null): ConnectorAnswer {
  switch (status) {
    case 400:
      return CONNECTOR_ERRORS.badArgument('Injected fault.');
    case 401:
      return UNAUTHORIZED;
    case 403:
      return CONNECTOR_ERRORS.botNotInConversationRoster();
    case 404:
      return CONNECTOR_ERRORS.conversationNotFound();
    case 412:
      return CONNECTOR_ERRORS.preconditionFailed();
    case 413:
      return CONNECTOR_ERRORS.messageSizeTooBig();
    case 429:
      return CONNECTOR_ERRORS.throttled(retryAfterSeconds === undefined ? 1 : retryAfterSeconds);
    case 500:
    case 502:
      return CONNECTOR_ERRORS.serviceError(status);
    default:
      // 503 and 504 come from the gateway, without a Teams error body.
      return { status, ...(retryAfterSeconds != null ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {}) };
  }
}
