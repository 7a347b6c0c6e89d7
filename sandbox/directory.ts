/**
 * Who exists in the sandbox: tenants, users, their consent, and the two app registrations.
 *
 * `env/.env.local` must agree with these values (a test checks it). Nothing here is a real
 * secret: the sandbox never reaches Microsoft.
 */

export const MSA_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export const GRAPH_SCOPES = {
  readWrite: 'DeviceManagementServiceConfig.ReadWrite.All',
  read: 'DeviceManagementServiceConfig.Read.All',
} as const;

/** The Teams desktop/mobile and web clients, pre-authorized on the SSO app's scope. */
export const TEAMS_CLIENT_IDS = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];

export interface Tenant {
  id: string;
  name: string;
  domain: string;
}

export const TENANTS = {
  contoso: { id: '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10', name: 'Contoso', domain: 'contoso.onmicrosoft.com' },
  fabrikam: { id: '7c1e4a2d-9b3f-4e6a-8d5c-1f2e3a4b5c6d', name: 'Fabrikam', domain: 'fabrikam.onmicrosoft.com' },
  msa: { id: MSA_TENANT_ID, name: 'Microsoft accounts', domain: 'live.com' },
} satisfies Record<string, Tenant>;

export interface SandboxUser {
  key: string;
  oid: string;
  tid: string;
  upn: string;
  name: string;
  /** Delegated Graph scopes this user (or an admin for them) has consented to for the SSO app. */
  consented: string[];
  /** Teams user id (MRI) the channel stand-in uses for this user. */
  teamsId: string;
}

const user = (u: Omit<SandboxUser, 'teamsId'>): SandboxUser => ({ ...u, teamsId: `29:sandbox-${u.key}` });

export const USERS = {
  /** Consented to ReadWrite.All: the happy path. */
  alex: user({
    key: 'alex', oid: 'c0a8e1f2-3b4d-4e5f-8a6b-7c8d9e0f1a2b', tid: TENANTS.contoso.id,
    upn: 'AlexW@contoso.onmicrosoft.com', name: 'Alex Wilber', consented: [GRAPH_SCOPES.readWrite],
  }),
  /** A second consented admin: "another user presses Confirm". */
  adele: user({
    key: 'adele', oid: 'd1b9f2a3-4c5e-4f60-9b7c-8d9e0f1a2b3c', tid: TENANTS.contoso.id,
    upn: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance', consented: [GRAPH_SCOPES.readWrite],
  }),
  /** Never consented: OBO fails with AADSTS65001. */
  megan: user({
    key: 'megan', oid: 'e2c0a3b4-5d6f-4a71-8c8d-9e0f1a2b3c4d', tid: TENANTS.contoso.id,
    upn: 'MeganB@contoso.onmicrosoft.com', name: 'Megan Bowen', consented: [],
  }),
  /** Read.All only: can look, PATCH is forbidden by Graph. */
  diego: user({
    key: 'diego', oid: 'f3d1b4c5-6e7a-4b82-9d9e-0f1a2b3c4d5e', tid: TENANTS.contoso.id,
    upn: 'DiegoS@contoso.onmicrosoft.com', name: 'Diego Siciliani', consented: [GRAPH_SCOPES.read],
  }),
  /** A work account in a tenant the bot does not allow. */
  lee: user({
    key: 'lee', oid: 'a4e2c5d6-7f8b-4c93-8e0f-1a2b3c4d5e6f', tid: TENANTS.fabrikam.id,
    upn: 'LeeG@fabrikam.onmicrosoft.com', name: 'Lee Gu', consented: [GRAPH_SCOPES.readWrite],
  }),
  /** A personal Microsoft account: Graph does not support it for this API; refused before OBO. */
  sam: user({
    key: 'sam', oid: '00000000-0000-0000-5a6b-7c8d9e0f1a2b', tid: MSA_TENANT_ID,
    upn: 'sam@outlook.com', name: 'Sam Personal', consented: [GRAPH_SCOPES.readWrite],
  }),
} satisfies Record<string, SandboxUser>;

export type UserKey = keyof typeof USERS;

/** The Entra app behind SSO and OBO (AAD_APP_*). */
export const SSO_APP = {
  clientId: '0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
  clientSecret: 'sandbox-sso-app-secret-not-real',
  appIdUri: 'api://localhost/0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
  homeTenantId: TENANTS.contoso.id,
  /** Graph delegated permissions the app registration requests (what `.default` can yield). */
  graphPermissions: [GRAPH_SCOPES.readWrite, GRAPH_SCOPES.read],
  /**
   * The registration's redirect URIs (Authentication › Web): the bot's sign-in end page. The
   * sandbox bot listens on http://127.0.0.1:<port>; Entra ignores the port of loopback redirect
   * URIs (RFC 8252 §7.3; Microsoft's "Redirect URI restrictions", localhost exceptions).
   */
  redirectUris: ['http://127.0.0.1/auth/end', 'https://localhost/auth/end'],
} as const;

/** The Azure Bot registration (BOT_ID / BOT_PASSWORD), multi-tenant. */
export const BOT_APP = {
  id: '5c3a9e71-8f2d-4b6a-9e1c-7d0f4a2b8c3e',
  password: 'sandbox-bot-secret-not-real',
} as const;

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const BOT_FRAMEWORK_RESOURCE = 'https://api.botframework.com';
/** The tenant alias multi-tenant bots use for their outbound channel token. */
export const BOT_FRAMEWORK_TENANT = 'botframework.com';

export function findUser(by: { oid?: string; key?: string; teamsId?: string }): SandboxUser | undefined {
  return Object.values(USERS).find(
    (u) => (by.oid && u.oid === by.oid) || (by.key && u.key === by.key) || (by.teamsId && u.teamsId === by.teamsId),
  );
}
