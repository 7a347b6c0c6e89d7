/**
 * Which directories the Entra stand-in knows and how a tenant path segment resolves.
 *
 * Real Entra accepts a tenant id, a verified domain, or one of the aliases `common`,
 * `organizations`, `consumers` as the first path segment; anything else is AADSTS90002.
 * `botframework.com` is the (real) directory multi-tenant bots get their channel token from.
 */
import { BOT_FRAMEWORK_TENANT, MSA_TENANT_ID, TENANTS } from '../directory';

/** The real tenant id behind `botframework.com`. */
export const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';

export interface Directory {
  id: string;
  name: string;
  domain: string;
  /** `tenant_region_scope` in the discovery document (null for the consumer directory, as Entra answers). */
  region: string | null;
  /** Work or school directory (false only for the personal Microsoft account directory). */
  organizational: boolean;
}

export const DIRECTORIES: readonly Directory[] = [
  { ...TENANTS.contoso, region: 'NA', organizational: true },
  { ...TENANTS.fabrikam, region: 'EU', organizational: true },
  { ...TENANTS.msa, region: null, organizational: false },
  { id: BOT_FRAMEWORK_TENANT_ID, name: 'Bot Framework', domain: BOT_FRAMEWORK_TENANT, region: 'WW', organizational: true },
];

export type TenantAlias = 'common' | 'organizations' | 'consumers';

export type ResolvedTenant =
  | { kind: 'directory'; segment: string; directory: Directory }
  | { kind: 'alias'; segment: string; alias: TenantAlias };

const ALIASES: readonly TenantAlias[] = ['common', 'organizations', 'consumers'];

/** Resolves the first path segment of an authority URL; undefined = tenant not found. */
export function resolveTenant(segment: string): ResolvedTenant | undefined {
  const lower = segment.toLowerCase();
  const alias = ALIASES.find((a) => a === lower);
  if (alias) return { kind: 'alias', segment, alias };
  const directory = DIRECTORIES.find((d) => d.id === lower || d.domain.toLowerCase() === lower);
  return directory ? { kind: 'directory', segment, directory } : undefined;
}

export function directoryById(tid: string): Directory | undefined {
  return DIRECTORIES.find((d) => d.id === tid.toLowerCase());
}

/** The directory a resolved tenant stands for, if it names one (`consumers` names the MSA directory). */
export function concreteDirectory(tenant: ResolvedTenant): Directory | undefined {
  if (tenant.kind === 'directory') return tenant.directory;
  return tenant.alias === 'consumers' ? directoryById(MSA_TENANT_ID) : undefined;
}

/**
 * The host of v1 issuers per cloud: Microsoft Q&A 1190472 ("token issuer prefixes depend on the
 * version of the endpoints") — global and US Government https://sts.windows.net, China (21Vianet)
 * https://sts.chinacloudapi.cn. The stand-in plays one cloud (startEntra's `cloud`).
 */
export const V1_ISSUER_BASES = {
  public: 'https://sts.windows.net',
  usgov: 'https://sts.windows.net',
  china: 'https://sts.chinacloudapi.cn',
} as const;
export type EntraCloud = keyof typeof V1_ISSUER_BASES;

/** The v1 issuer every Entra v1 token (and the v1 discovery document) carries, in this stand-in's cloud. */
export const v1Issuer = (tid: string, base: string = V1_ISSUER_BASES.public): string => `${base}/${tid}/`;
