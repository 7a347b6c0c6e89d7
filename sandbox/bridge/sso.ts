/**
 * The two Teams SSO paths, done by the bridge because the Agents Playground does neither
 * (its README: "Single Sign-On (SSO) is not supported"). Behaviour as documented for Teams:
 * - message level ("Add code to enable SSO in your bot app"): an OAuthCard whose
 *   tokenExchangeResource names the app's resource is answered with `signin/tokenExchange`
 *   {id, connectionName, token}, in personal and group chats only; when no exchange is answered
 *   200 the card's sign-in button is what the person sees;
 * - card level ("Add code to enable SSO for Adaptive Cards Universal Actions"): an
 *   adaptiveCard/action answered 401 `loginRequest` with the app's resource is sent again with
 *   `value.authentication = {id, connectionName, token}`; whatever the bot answers then is final.
 * Teams only does this for the resource of the app's `webApplicationInfo` (ssoAppIdUri).
 */
import { SSO_APP, type SandboxUser } from '../directory';
import type { OAuthCard } from '../teams/cards';
import type { SsoTokenSource } from '../teams/clientTypes';
import type { Delivery } from '../teams/delivery';
import type { Activity } from '../teams/world';

export const LOGIN_REQUEST = 'application/vnd.microsoft.activity.loginRequest';

export interface SsoSettings {
  entra: SsoTokenSource;
  ssoAppIdUri: string;
}

interface LoginRequestValue {
  connectionName?: string;
  tokenExchangeResource?: { id?: string; uri?: string };
}

/** The person's Teams SSO token for the resource, or undefined when Entra will not give one. */
export async function ssoTokenFor(settings: SsoSettings, user: SandboxUser, resourceUri: string): Promise<string | undefined> {
  try {
    // Entra picks the audience for the app's own resource (see sandbox/teams/client.ts).
    return await settings.entra.mintSsoToken(user, resourceUri === SSO_APP.appIdUri ? {} : { audience: resourceUri });
  } catch {
    return undefined;
  }
}

/** Whether Teams would exchange a token for this OAuthCard at all. */
export function wantsMessageSso(card: OAuthCard | undefined, settings: SsoSettings): card is OAuthCard & { tokenExchangeResource: { id: string; uri: string } } {
  const resource = card?.tokenExchangeResource;
  return Boolean(resource?.id) && resource?.uri === settings.ssoAppIdUri;
}

export function invokeResponseOf(delivery: Delivery): { statusCode?: number; type?: string; value?: unknown } | undefined {
  return delivery.body && typeof delivery.body === 'object' ? (delivery.body as { statusCode?: number; type?: string; value?: unknown }) : undefined;
}

/**
 * Delivers an adaptiveCard/action and, if the bot asks for a login with the app's resource,
 * delivers it once more with the person's SSO token. Returns the last delivery.
 */
export async function deliverWithCardSso(
  settings: SsoSettings,
  deliver: (activity: Activity) => Promise<Delivery>,
  activity: Activity,
  user: SandboxUser | undefined,
  onRetry?: (retry: Activity) => void,
): Promise<Delivery> {
  const first = await deliver(activity);
  const answer = invokeResponseOf(first);
  if (!user || answer?.statusCode !== 401 || answer.type !== LOGIN_REQUEST) return first;
  const login = (answer.value ?? {}) as LoginRequestValue;
  const resource = login.tokenExchangeResource;
  if (!resource?.id || resource.uri !== settings.ssoAppIdUri) return first;
  const token = await ssoTokenFor(settings, user, resource.uri);
  if (!token) return first;
  const retry: Activity = {
    ...activity,
    value: { ...(activity.value ?? {}), authentication: { id: resource.id, connectionName: login.connectionName, token } },
  };
  onRetry?.(retry);
  return deliver(retry);
}
