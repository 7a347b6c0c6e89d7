/** The few lines `npm start` prints once everything is up. */
import type { SandboxUser } from '../directory';

export interface BannerInputs {
  playgroundUrl: string;
  user: SandboxUser;
  uploads: Array<{ id: string; status: string }>;
  botName: string;
  logDir: string;
  readyMs: number;
  /** The Graph stand-in's schema mode (sandbox/graph/schema.ts). */
  graphSchema: string;
}

const SCHEMA_NOTES: Record<string, string> = {
  documented: 'documented (the API page: the uploads collection exists; GRAPH_SCHEMA=published shows what Microsoft\'s metadata routes)',
  published: 'published (only what Microsoft\'s metadata routes: no uploads collection, as a real tenant most likely answers)',
};

export function banner(b: BannerInputs): string {
  const example = b.uploads.find((u) => u.status === 'pending') ?? b.uploads[0];
  const lines = [
    '',
    `  Autopilot Uploads sandbox ready in ${(b.readyMs / 1000).toFixed(1)} s`,
    '',
    `  Open the Agents Playground:  ${b.playgroundUrl}`,
    `  You are ${b.user.name} (${b.user.upn}); SANDBOX_USER=megan npm start chats as a user without consent.`,
    `  Graph schema: ${SCHEMA_NOTES[b.graphSchema] ?? b.graphSchema}`,
    '',
    '  Seeded uploads:',
    ...b.uploads.map((u) => `    ${u.id}  ${u.status}`),
    '',
    '  Try:',
    `    personal chat:  set upload ${example?.id} to complete`,
    `    team channel:   @${b.botName} set upload ${example?.id} to error`,
    '    anywhere:       help',
    '',
    `  Logs: ${b.logDir}    Stop: Ctrl-C`,
    '',
  ];
  return lines.join('\n');
}
