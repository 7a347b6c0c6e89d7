/**
 * The sandbox's ports, each movable by an environment variable, and the check that they are
 * free before anything starts — so a clash names the part and the variable that moves it,
 * instead of a child dying with EADDRINUSE (or the Playground silently picking a random port).
 */
import net from 'node:net';

export interface PortSpec {
  part: string;
  variable: string;
  defaultPort: number;
}

export const SANDBOX_PORTS = {
  bot: { part: 'bot', variable: 'BOT_PORT', defaultPort: 3978 },
  teams: { part: 'Teams channel bridge', variable: 'TEAMS_PORT', defaultPort: 3979 },
  entra: { part: 'Entra ID stand-in', variable: 'ENTRA_PORT', defaultPort: 3980 },
  graph: { part: 'Microsoft Graph stand-in', variable: 'GRAPH_PORT', defaultPort: 3981 },
  azuriteBlob: { part: 'Azurite (blob)', variable: 'AZURITE_BLOB_PORT', defaultPort: 10000 },
  azuriteQueue: { part: 'Azurite (queue)', variable: 'AZURITE_QUEUE_PORT', defaultPort: 10001 },
  playground: { part: 'Agents Playground', variable: 'PLAYGROUND_PORT', defaultPort: 56150 },
} satisfies Record<string, PortSpec>;

export type PartName = keyof typeof SANDBOX_PORTS;
export type SandboxPorts = Record<PartName, number>;

export class PortError extends Error {}

/** The ports to use, from `env` (variables above) or the defaults; a malformed value is an error. */
export function resolvePorts(env: Record<string, string | undefined>): SandboxPorts {
  const ports = {} as SandboxPorts;
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(SANDBOX_PORTS) as Array<[PartName, PortSpec]>) {
    const raw = env[spec.variable];
    if (raw === undefined || raw === '') {
      ports[name] = spec.defaultPort;
      continue;
    }
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${spec.variable}=${raw} is not a port number (1-65535)`);
    else ports[name] = port;
  }
  const seen = new Map<number, PartName>();
  for (const [name, port] of Object.entries(ports) as Array<[PartName, number]>) {
    const other = seen.get(port);
    if (other) problems.push(`${SANDBOX_PORTS[name].variable} and ${SANDBOX_PORTS[other].variable} are both ${port}`);
    seen.set(port, name);
  }
  if (problems.length) throw new PortError(`Sandbox ports: ${problems.join('; ')}`);
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    // The Playground listens on every interface; checking the wildcard catches both kinds of clash.
    probe.listen({ port, host: '::', ipv6Only: false, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Rejects with one line per busy port, naming the part and its variable. */
export async function assertPortsFree(ports: SandboxPorts): Promise<void> {
  const busy: string[] = [];
  await Promise.all(
    (Object.entries(ports) as Array<[PartName, number]>).map(async ([name, port]) => {
      if (!(await isFree(port))) {
        const spec = SANDBOX_PORTS[name];
        busy.push(`${spec.part}: port ${port} is already in use (set ${spec.variable} to move it)`);
      }
    }),
  );
  if (busy.length) throw new PortError(busy.sort().join('\n'));
}
