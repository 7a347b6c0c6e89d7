/**
 * A minimal real botbuilder bot for exercising the Teams stand-in: restify + CloudAdapter in
 * production auth mode (inbound JWTs checked against the stand-in's metadata, outbound tokens
 * from the Entra stand-in through MSAL), nothing mocked.
 *
 *   text "login"   → an OAuthCard with tokenExchangeResource (message-level SSO)
 *   text "card"    → an Adaptive Card 1.5: refresh for the sender only, Confirm = Action.Execute
 *                    with an Action.Submit fallback, an Input.Text "note"
 *   text "burst N" → N messages in a row, recording each send's outcome
 *   text "later"   → "working…" now, "done" from a proactive turn shortly after
 *   text "slow MS" → waits MS milliseconds, then "slow done"
 *   anything else  → "Echo: <text>"
 *   adaptiveCard/action → 401 loginRequest until the user is authenticated (value.authentication
 *                    with a token `acceptToken` accepts, or value.state); then a card per verb
 *   signin/tokenExchange → 200 if `acceptToken` accepts the token, else 412
 */
import restify from 'restify';
import {
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TurnContext,
  type Activity,
  type ConversationReference,
  type InvokeResponse,
} from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';

// The msal-node that botframework-connector itself depends on (DESIGN.md facts).
const msal = require(require.resolve('@azure/msal-node', { paths: [require.resolve('botframework-connector')] })) as typeof import('@azure/msal-node');

export interface EchoBotOptions {
  appId: string;
  password: string;
  /** Entra stand-in authority host (https://127.0.0.1:PORT). */
  entraUrl: string;
  /** The Teams stand-in's OpenID metadata URL. */
  openIdMetadataUrl: string;
  ssoAppIdUri: string;
  /** Decides whether an SSO token is good for this user; default: any token whose aud is the SSO app. */
  acceptToken?: (token: string, activity: Partial<Activity>) => boolean;
}

export interface SendOutcome {
  text: string;
  ok: boolean;
  statusCode?: number;
}

export interface EchoBot {
  endpoint: string;
  /** Activities whose turn ran (i.e. that passed botbuilder's authentication). */
  turns: Partial<Activity>[];
  /** Headers of every POST to /api/messages, authenticated or not. */
  requestHeaders: Record<string, string | string[] | undefined>[];
  /** Outcomes of the sends made by "burst". */
  burst: SendOutcome[];
  /** Users (aadObjectId) the bot considers signed in for card actions. */
  signedIn: Set<string>;
  close(): Promise<void>;
}

function audienceOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return payload.aud;
  } catch {
    return undefined;
  }
}

/** An MSAL confidential client for the bot's outbound token against the Entra stand-in. */
export function botMsalClient(entraUrl: string, appId: string, password: string, tenant = 'botframework.com') {
  return new msal.ConfidentialClientApplication({
    auth: {
      clientId: appId,
      clientSecret: password,
      authority: `${entraUrl}/${tenant}`,
      knownAuthorities: [new URL(entraUrl).host],
    },
  });
}

export async function startEchoBot(opts: EchoBotOptions): Promise<EchoBot> {
  const accept = opts.acceptToken ?? ((token: string) => audienceOf(token) === opts.ssoAppIdUri);
  const credentialsFactory = new MsalServiceClientCredentialsFactory(opts.appId, botMsalClient(opts.entraUrl, opts.appId, opts.password));
  const auth = new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: opts.appId,
      MicrosoftAppPassword: opts.password,
      MicrosoftAppType: 'MultiTenant',
      ToBotFromChannelOpenIdMetadataUrl: opts.openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
      ToBotFromEmulatorOpenIdMetadataUrl: opts.openIdMetadataUrl,
      ToChannelFromBotLoginUrl: `${opts.entraUrl}/botframework.com`,
      ToChannelFromBotOAuthScope: 'https://api.botframework.com',
      ValidateAuthority: false,
      CallerId: 'urn:botframework:azure',
      OAuthUrl: opts.openIdMetadataUrl.replace(/\/v1\/.*$/, ''),
    },
    credentialsFactory,
  );
  const adapter = new CloudAdapter(auth);
  const turns: Partial<Activity>[] = [];
  const requestHeaders: EchoBot['requestHeaders'] = [];
  const burst: SendOutcome[] = [];
  const signedIn = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  const cardFor = (ctx: TurnContext) => ({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    refresh: {
      action: { type: 'Action.Execute', title: 'Refresh', verb: 'personalView', data: { requester: ctx.activity.from.aadObjectId } },
      userIds: [ctx.activity.from.id],
    },
    body: [
      { type: 'TextBlock', text: `Shared card for ${ctx.activity.from.name}` },
      { type: 'Input.Text', id: 'note', placeholder: 'note' },
    ],
    actions: [
      {
        type: 'Action.Execute',
        title: 'Confirm',
        verb: 'confirm',
        data: { key: 'k-1' },
        fallback: { type: 'Action.Submit', title: 'Confirm', data: { verb: 'confirm', key: 'k-1' } },
      },
      { type: 'Action.Execute', title: 'Ping', verb: 'toast' },
      { type: 'Action.Execute', title: 'Broken', verb: 'nope' },
    ],
  });

  const resultCard = (text: string) => ({
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'TextBlock', text }],
  });

  const invoke = (status: number, body: unknown): InvokeResponse => ({ status, body });

  const onInvoke = async (ctx: TurnContext): Promise<InvokeResponse> => {
    const a = ctx.activity;
    const value = (a.value ?? {}) as Record<string, any>;
    const user = a.from.aadObjectId ?? a.from.id;
    if (a.name === 'signin/tokenExchange') {
      return accept(value.token, a) ? invoke(200, {}) : invoke(412, { id: value.id, connectionName: value.connectionName, failureDetail: 'consent required' });
    }
    if (a.name === 'signin/verifyState') {
      await ctx.sendActivity(`Signed in (${value.state})`);
      return invoke(200, {});
    }
    if (a.name === 'adaptiveCard/action') {
      if (value.authentication) {
        if (!accept(value.authentication.token, a)) {
          return invoke(200, {
            statusCode: 412,
            type: 'application/vnd.microsoft.error.preconditionFailed',
            value: { code: '412', message: 'authentication token expired' },
          });
        }
        signedIn.add(user);
      }
      if (value.state) signedIn.add(user);
      if (!signedIn.has(user)) {
        return invoke(200, {
          statusCode: 401,
          type: 'application/vnd.microsoft.activity.loginRequest',
          value: {
            text: 'Please sign in',
            connectionName: 'sso',
            tokenExchangeResource: { id: crypto.randomUUID(), uri: opts.ssoAppIdUri },
            buttons: [{ type: 'signin', title: 'Sign in', text: 'Sign in', value: 'https://127.0.0.1/sign-in' }],
          },
        });
      }
      const verb = value.action?.verb;
      if (verb === 'personalView') return invoke(200, { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: resultCard(`Personal view for ${a.from.name}`) });
      if (verb === 'confirm') return invoke(200, { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: resultCard(`Confirmed by ${a.from.name}: ${value.action?.data?.note ?? ''}`) });
      if (verb === 'toast') return invoke(200, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done!' });
      return invoke(200, { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: `unknown verb ${verb}` } });
    }
    return invoke(501, undefined);
  };

  const onMessage = async (ctx: TurnContext) => {
    if (ctx.activity.value && !ctx.activity.text) {
      await ctx.sendActivity(`Submitted ${JSON.stringify(ctx.activity.value)}`);
      return;
    }
    const text = TurnContext.removeRecipientMention(ctx.activity).trim();
    if (text === 'login') {
      const resource = { id: crypto.randomUUID(), uri: opts.ssoAppIdUri };
      await ctx.sendActivity({ attachments: [CardFactory.oauthCard('sso', 'Sign in', 'Please sign in', 'https://127.0.0.1/sign-in', resource)] });
    } else if (text === 'card') {
      await ctx.sendActivity({ attachments: [CardFactory.adaptiveCard(cardFor(ctx))] });
    } else if (text.startsWith('burst ')) {
      const n = Number(text.slice(6));
      for (let i = 1; i <= n; i += 1) {
        try {
          await ctx.sendActivity(`message ${i}`);
          burst.push({ text: `message ${i}`, ok: true });
        } catch (err) {
          burst.push({ text: `message ${i}`, ok: false, statusCode: (err as { statusCode?: number }).statusCode });
        }
      }
    } else if (text.startsWith('slow ')) {
      await new Promise((resolve) => setTimeout(resolve, Number(text.slice(5))));
      await ctx.sendActivity('slow done');
    } else if (text === 'later') {
      await ctx.sendActivity('working…');
      const reference = TurnContext.getConversationReference(ctx.activity) as ConversationReference;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void adapter.continueConversationAsync(opts.appId, reference, async (proactive) => {
          await proactive.sendActivity('done');
        });
      }, 50);
      timers.add(timer);
    } else {
      await ctx.sendActivity(`Echo: ${text}`);
    }
  };

  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    requestHeaders.push({ ...req.headers });
    await adapter.process(req, res, async (ctx) => {
      turns.push(ctx.activity);
      if (ctx.activity.type === ActivityTypes.Message) await onMessage(ctx);
      else if (ctx.activity.type === ActivityTypes.Invoke) {
        await ctx.sendActivity({ type: ActivityTypes.InvokeResponse, value: await onInvoke(ctx) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    turns,
    requestHeaders,
    burst,
    signedIn,
    close: () =>
      new Promise<void>((resolve) => {
        timers.forEach((t) => clearTimeout(t));
        server.close(() => resolve());
      }),
  };
}
