/**
 * In-memory caches keyed by who talks to the bot stay bounded. The SSO validator's per-tenant
 * discovery/JWKS cache is keyed only by allowed tenants: the tenant check runs before any entry is
 * made, so tokens naming any number of other tenants add nothing (real discovery against the
 * Entra stand-in over HTTPS).
 */
import { randomUUID } from 'node:crypto';
import { BotError } from '../../bot/errors';
import type { SsoTokenValidator } from '../../bot/sso/validate';
import { ensureCerts } from '../../sandbox/certs';
import { TENANTS } from '../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../sandbox/entra';
import { ssoValidator } from '../support/standins';

let entra: EntraStandIn;

beforeAll(async () => {
  entra = await startEntra({ certs: ensureCerts(), port: 0 });
});

afterAll(async () => {
  await entra?.close();
});

const cached = (validator: SsoTokenValidator): string[] => [...(validator as unknown as { tenants: Map<string, unknown> }).tenants.keys()].sort();

/** A token as anyone can make one: it names a tenant, and is signed by no one. */
const forged = (tid: string): string => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${part({ tid, oid: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;
};

async function refusalCode(validator: SsoTokenValidator, token: string): Promise<string> {
  const err = await validator.validate(token).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BotError);
  return (err as BotError).code;
}

it('holds discovery only for allowed tenants, however many other tenants tokens name', async () => {
  const validator = ssoValidator(entra.url, { allowedTenants: [TENANTS.contoso.id] });
  await validator.validate(await entra.mintSsoToken('alex'));
  expect(cached(validator)).toEqual([TENANTS.contoso.id]);

  for (let i = 0; i < 200; i += 1) expect(await refusalCode(validator, forged(randomUUID()))).toBe('tenant_not_allowed');
  // A real token of a real tenant that is not allowed is refused the same way, before discovery.
  expect(await refusalCode(validator, await entra.mintSsoToken('lee'))).toBe('tenant_not_allowed');
  expect(cached(validator)).toEqual([TENANTS.contoso.id]);

  // With two allowed tenants: at most two entries.
  const both = ssoValidator(entra.url, { allowedTenants: [TENANTS.contoso.id, TENANTS.fabrikam.id] });
  await both.validate(await entra.mintSsoToken('alex'));
  await both.validate(await entra.mintSsoToken('lee')).catch(() => undefined);
  for (let i = 0; i < 50; i += 1) await refusalCode(both, forged(randomUUID()));
  expect(cached(both).length).toBeLessThanOrEqual(2);
  expect(cached(both)).toContain(TENANTS.contoso.id);
});
