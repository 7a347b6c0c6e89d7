/**
 * The tenant gate: every activity from a tenant outside ALLOWED_TENANTS (or naming none) gets
 * one short refusal and nothing else — no handler, no storage, no OBO, no Graph call. Installs
 * and other events from such tenants are not registered and get no answer at all.
 */
import { ActivityTypes, type TurnContext } from 'botbuilder';
import { noticeCard } from '../../cards';
import type { Logger } from '../log';
import { PERSONAL_ACCOUNT_TENANT } from '../sso/validate';
import { sendCard } from '../handlers/respond';
import { tenantRefused } from './invokeResponses';

export { TENANT_NOT_ALLOWED } from './invokeResponses';

/** The words of a refusal; personal accounts are told why they, specifically, cannot. */
export function refusalFor(tenantId: string | undefined): { title: string; message: string } {
  if (tenantId === PERSONAL_ACCOUNT_TENANT) {
    return {
      title: 'Work or school account needed',
      message: 'Personal Microsoft accounts cannot use this bot: it manages Intune for work or school organizations.',
    };
  }
  return { title: 'Organization not allowed', message: 'Your organization is not on this bot\'s list of allowed tenants.' };
}

/** Answers an activity from a tenant the bot does not serve; returns the turn outcome. */
export async function refuseTenant(context: TurnContext, log: Logger, tenantId: string | undefined): Promise<string> {
  const a = context.activity;
  log.warn(
    { tenantId: tenantId ?? null, activityType: a.type, name: a.name, conversationType: a.conversation?.conversationType ?? 'personal' },
    tenantId ? 'activity from a tenant the bot does not allow: refused' : 'activity without a tenant: refused',
  );
  const { title, message } = refusalFor(tenantId);
  switch (a.type) {
    case ActivityTypes.Message:
      await sendCard(context, noticeCard({ title, message, tone: 'attention' }));
      return 'tenant-refused';
    case ActivityTypes.Invoke:
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: tenantRefused(a.name, a.value, message) });
      return 'tenant-refused';
    case ActivityTypes.InstallationUpdate:
    case ActivityTypes.ConversationUpdate:
      return 'install-refused';
    default:
      return 'tenant-ignored';
  }
}
