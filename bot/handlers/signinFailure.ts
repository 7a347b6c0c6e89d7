/**
 * `signin/failure`: the Teams client reports that SSO failed on its side, with a `code` and a
 * `message` (msteams-docs teams-sdk user-authentication/troubleshooting-sso: installappfailed,
 * authrequestfailed, installedappnotfound, invokeerror, resourcematchfailed, oauthcardnotvalid,
 * tokenmissing, userconsentrequired, interactionrequired). Most are silent in the client, so the
 * bot logs the code and tells the person what failed.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import type { Services } from '../services';
import { setOutcome } from '../teams/outcome';
import { sendNotice } from './respond';
import { ok } from '../teams/invokeResponses';

const EXPLANATIONS: Record<string, string> = {
  resourcematchfailed:
    "Teams could not match this bot's sign-in resource to its Entra app (the manifest's webApplicationInfo resource and the app's Application ID URI differ). Ask your Teams administrator to check the app registration.",
  installedappnotfound: 'The bot app is not installed for you here. Install it (or ask your Teams administrator), then try again.',
  installappfailed: 'Teams could not install the bot app in your personal scope, which sign-in needs. Install it from the Teams app store, then try again.',
  authrequestfailed: 'Teams could not complete the sign-in request. If your account is from another organization, sign-in may not be possible here.',
  tokenmissing: 'Teams could not get a sign-in token from Microsoft Entra ID. Try again in a moment.',
  oauthcardnotvalid: "Teams could not read the bot's sign-in card. This is a problem on the bot's side; please report it.",
  userconsentrequired: 'Permission is needed before the bot can act for you. Ask an administrator to grant admin consent, then try again.',
  interactionrequired: 'Microsoft Entra ID needs you to sign in interactively. Use the sign-in button, then try again.',
};

export async function handleSigninFailure(context: TurnContext, services: Services): Promise<InvokeResponse> {
  const value = (context.activity.value ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof value.code === 'string' ? value.code.slice(0, 64) : 'unknown';
  const message = typeof value.message === 'string' ? value.message.slice(0, 300) : undefined;
  services.log.warn({ code, message, conversation: context.activity.conversation?.id }, 'Teams reported a sign-in failure');
  await sendNotice(context, {
    title: 'Sign-in failed',
    message: `${EXPLANATIONS[code.toLowerCase()] ?? 'Teams could not sign you in to this bot.'} (Teams reported: ${code})`,
    tone: 'attention',
  });
  setOutcome(context, `signin-failure:${code}`);
  return ok();
}
