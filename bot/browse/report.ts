/**
 * What an admin asks of an import: which devices failed, and why. Pure: device identities in, counts, error
 * groups and an errors-first order out.
 */
import type { DeviceIdentity } from '../model';

export interface ErrorGroup {
  /** deviceErrorName, or "Unnamed error" when Graph gave only a code. */
  name: string;
  /** The distinct deviceErrorCodes seen under that name, ascending. */
  codes: number[];
  count: number;
}

export interface DeviceSummary {
  total: number;
  statusCounts: Record<string, number>;
  /** Most frequent first; ties by name. */
  errorGroups: ErrorGroup[];
  /** Errors first (grouped in errorGroups' order), then the rest in the order Graph gave them. */
  ordered: DeviceIdentity[];
}

const UNNAMED = 'Unnamed error';

export function isErrorDevice(d: DeviceIdentity): boolean {
  const code = d.state?.deviceErrorCode;
  return d.state?.deviceImportStatus === 'error' || (typeof code === 'number' && code !== 0);
}

function errorName(d: DeviceIdentity): string {
  const name = d.state?.deviceErrorName;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : UNNAMED;
}

export function summarise(devices: readonly DeviceIdentity[]): DeviceSummary {
  const statusCounts: Record<string, number> = {};
  const groups = new Map<string, { codes: Set<number>; count: number; members: DeviceIdentity[] }>();
  const rest: DeviceIdentity[] = [];
  for (const d of devices) {
    const status = d.state?.deviceImportStatus ?? 'unknown';
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    if (!isErrorDevice(d)) {
      rest.push(d);
      continue;
    }
    const name = errorName(d);
    const group = groups.get(name) ?? { codes: new Set<number>(), count: 0, members: [] };
    const code = d.state?.deviceErrorCode;
    if (typeof code === 'number' && code !== 0) group.codes.add(code);
    group.count += 1;
    group.members.push(d);
    groups.set(name, group);
  }
  const sorted = [...groups.entries()].sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  return {
    total: devices.length,
    statusCounts,
    errorGroups: sorted.map(([name, g]) => ({ name, codes: [...g.codes].sort((a, b) => a - b), count: g.count })),
    ordered: [...sorted.flatMap(([, g]) => g.members), ...rest],
  };
}

export interface ImportGroup extends Omit<DeviceSummary, 'ordered'> {
  importId: string;
}

/**
 * Device identities grouped by importId. Imports with errors first; otherwise in the order Graph listed their
 * first device (device identities carry no timestamp, so there is no "newest" to sort by).
 */
export function groupByImport(devices: readonly DeviceIdentity[]): ImportGroup[] {
  const byImport = new Map<string, DeviceIdentity[]>();
  for (const d of devices) {
    const key = typeof d.importId === 'string' && d.importId !== '' ? d.importId : '';
    const list = byImport.get(key) ?? [];
    list.push(d);
    byImport.set(key, list);
  }
  const groups = [...byImport.entries()].map(([importId, list], index) => {
    const { ordered: _ordered, ...summary } = summarise(list);
    return { importId, index, ...summary };
  });
  const errors = (g: ImportGroup) => g.statusCounts.error ?? 0;
  return groups
    .sort((a, b) => Number(errors(b) > 0) - Number(errors(a) > 0) || a.index - b.index)
    .map(({ index: _index, ...g }) => g);
}
