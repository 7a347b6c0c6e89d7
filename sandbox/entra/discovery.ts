/**
 * OpenID Connect discovery documents, field for field as login.microsoftonline.com serves them
 * (compare panva/wellknown issuers/entra-common and entra-organizations, which snapshot the real
 * documents). A tenant requested by domain answers with its id in every endpoint; `common` and
 * `organizations` keep the alias in endpoints and the literal `{tenantid}` in the issuer;
 * `consumers` keeps the alias in endpoints and names the personal-account tenant in the issuer.
 */
import { MSA_TENANT_ID } from '../directory';
import { type ResolvedTenant, v1Issuer } from './tenants';

/** Tenant segment used in endpoint URLs, issuer tenant (or `{tenantid}`), and region. */
function tenantParts(tenant: ResolvedTenant): { segment: string; issuerTenant: string; region: string | null } {
  if (tenant.kind === 'directory') {
    return { segment: tenant.directory.id, issuerTenant: tenant.directory.id, region: tenant.directory.region };
  }
  const issuerTenant = tenant.alias === 'consumers' ? MSA_TENANT_ID : '{tenantid}';
  return { segment: tenant.alias, issuerTenant, region: null };
}

export function v2Issuer(authorityHost: string, tid: string): string {
  return `${authorityHost}/${tid}/v2.0`;
}

/** The issuer a tenant's v2 discovery document (and its v2 JWKS keys) name. */
export function v2IssuerFor(authorityHost: string, tenant: ResolvedTenant): string {
  return v2Issuer(authorityHost, tenantParts(tenant).issuerTenant);
}

const CLOUD = {
  cloud_instance_name: 'microsoftonline.com',
  cloud_graph_host_name: 'graph.windows.net',
  msgraph_host: 'graph.microsoft.com',
  rbac_url: 'https://pas.windows.net',
} as const;

const AUTH_METHODS = ['client_secret_post', 'private_key_jwt', 'client_secret_basic'];

export function openIdConfigurationV2(authorityHost: string, tenant: ResolvedTenant): Record<string, unknown> {
  const { segment, issuerTenant, region } = tenantParts(tenant);
  const base = `${authorityHost}/${segment}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2Issuer(authorityHost, issuerTenant),
    request_uri_parameter_supported: false,
    // Entra points v2 userinfo at Microsoft Graph, not at itself.
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host',
      'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash',
      'c_hash', 'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: region,
    ...CLOUD,
  };
}

export function openIdConfigurationV1(authorityHost: string, tenant: ResolvedTenant, v1IssuerBase?: string): Record<string, unknown> {
  const { segment, issuerTenant, region } = tenantParts(tenant);
  const base = `${authorityHost}/${segment}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    jwks_uri: `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid'],
    issuer: v1Issuer(issuerTenant, v1IssuerBase),
    microsoft_multi_refresh_token: true,
    authorization_endpoint: `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/logout`,
    claims_supported: [
      'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host',
      'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce', 'email', 'given_name', 'family_name', 'nickname',
    ],
    check_session_iframe: `${base}/oauth2/checksession`,
    userinfo_endpoint: `${base}/openid/userinfo`,
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: region,
    ...CLOUD,
  };
}
