/**
 * `deviceManagement/importedWindowsAutopilotDeviceIdentities`: every imported device identity of the tenant, the
 * collection Graph's published schema routes in v1.0 and beta (where the uploads collection is not offered).
 * The same client as the uploads one (credential, budget, retries, error mapping), one more collection.
 */
import type { BotError } from '../errors';
import { isBotError } from '../errors';
import type { DeviceIdentity } from '../model';
import { type Page, UploadsClient } from './uploads';

const IDENTITIES = '/deviceManagement/importedWindowsAutopilotDeviceIdentities';

export type DeviceImportStatus = NonNullable<NonNullable<DeviceIdentity['state']>['deviceImportStatus']>;

export class DeviceIdentitiesClient extends UploadsClient {
  /**
   * A page of imported device identities, in Graph's order (they carry no timestamp), optionally of one import
   * and/or one import status — the two filters Intune accepts here.
   */
  identities(opts: { top?: number; importId?: string; status?: DeviceImportStatus; nextLink?: string } = {}): Promise<Page<DeviceIdentity>> {
    return this.call(async (budget) => {
      let req = this.request(opts.nextLink ?? IDENTITIES, budget);
      if (!opts.nextLink) {
        if (opts.top) req = req.top(opts.top);
        const clauses = [
          ...(opts.importId ? [`importId eq '${quote(opts.importId)}'`] : []),
          ...(opts.status ? [`state/deviceImportStatus eq '${quote(opts.status)}'`] : []),
        ];
        if (clauses.length) req = req.filter(clauses.join(' and '));
      }
      const body = (await req.get()) as { value: DeviceIdentity[]; '@odata.nextLink'?: string };
      return { items: body.value, nextLink: body['@odata.nextLink'] };
    });
  }
}

/** OData string literal: a quote is doubled. (Callers pass GUIDs and enum words; this is defence in depth.) */
function quote(value: string): string {
  return value.replace(/'/g, "''");
}

/**
 * Follows nextLinks until the collection ends or `maxItems` were read: for views that must see every row to
 * order them (errors first) and count them. `truncated` says the view is partial.
 */
export async function readAll<T>(
  first: () => Promise<Page<T>>,
  next: (nextLink: string) => Promise<Page<T>>,
  maxItems: number,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let page = await first();
  for (;;) {
    items.push(...page.items);
    if (!page.nextLink || items.length >= maxItems) return { items: items.slice(0, maxItems), truncated: page.nextLink !== undefined || items.length > maxItems };
    page = await next(page.nextLink);
  }
}

