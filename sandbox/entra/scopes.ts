/**
 * Splits a v2 `scope` parameter the way Entra reads it: OpenID Connect scopes apart, every other
 * scope `<resource>/<name>` (a bare name means Microsoft Graph), all for one resource.
 */
import { GRAPH_APP_ID, GRAPH_RESOURCE } from '../directory';
import { AADSTS } from './errors';

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export const DEFAULT_SCOPE = '.default';

export interface ParsedScopes {
  oidc: Set<string>;
  /** Normalised resource identifier, e.g. https://graph.microsoft.com; undefined when only OIDC scopes were asked. */
  resource?: string;
  /** Scope names on that resource, e.g. `.default` or `User.Read`. */
  names: string[];
}

function normaliseResource(resource: string): string {
  const trimmed = resource.replace(/\/+$/, '');
  if (trimmed.toLowerCase() === GRAPH_RESOURCE || trimmed.toLowerCase() === GRAPH_APP_ID) return GRAPH_RESOURCE;
  return trimmed;
}

export function parseScopes(raw: string): ParsedScopes {
  const oidc = new Set<string>();
  const names: string[] = [];
  let resource: string | undefined;
  for (const scope of raw.split(/\s+/).filter(Boolean)) {
    const lower = scope.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) {
      oidc.add(lower);
      continue;
    }
    const slash = scope.lastIndexOf('/');
    const scopeResource = slash < 0 ? GRAPH_RESOURCE : normaliseResource(scope.slice(0, slash));
    const name = slash < 0 ? scope : scope.slice(slash + 1);
    if (resource && resource.toLowerCase() !== scopeResource.toLowerCase()) throw AADSTS.multipleResources(raw);
    resource = scopeResource;
    names.push(name);
  }
  return { oidc, resource, names };
}
