/**
 * Uploads for flows to change, one flow per upload at a time: the bot (rightly) refuses to ask for
 * a status an upload already has, and concurrent flows on one upload would make each other's
 * requests moot. Created through the Graph stand-in's own API (POST, as Intune's documented
 * create), so the stand-in's state stays the only truth.
 */
import https from 'node:https';
import { GRAPH_SCOPES, type UserKey } from '../../sandbox/directory';
import type { StandIns } from './standins';

export type Status = 'noUpload' | 'pending' | 'complete' | 'error';
const CYCLE: Status[] = ['pending', 'complete', 'error', 'noUpload'];

function post(url: string, token: string, body: unknown, ca: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = https.request(url, {
      method: 'POST',
      ca,
      agent: false,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: raw ? JSON.parse(raw) : undefined });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Creates `n` uploads in the user's tenant (status pending) and returns their ids. */
export async function createUploads(s: StandIns, n: number, as: UserKey = 'alex'): Promise<string[]> {
  const token = await s.entra.mintGraphToken(as, [GRAPH_SCOPES.readWrite]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await post(`${s.graph.url}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads`, token, {
      '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload',
      status: 'pending',
    }, s.certs.ca);
    if (r.status !== 201) throw new Error(`creating an upload: Graph stand-in answered ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    ids.push(r.json.id as string);
  }
  return ids;
}

export interface Lease {
  uploadId: string;
  /** A status the upload does not have. */
  target: Status;
  release(): void;
}

/** Hands out uploads one flow at a time, waiting when all are taken. */
export class UploadPool {
  private readonly free: string[];
  private readonly waiting: Array<(id: string) => void> = [];

  constructor(
    ids: readonly string[],
    private readonly statusOf: (id: string) => Status | undefined,
  ) {
    this.free = [...ids];
  }

  async lease(): Promise<Lease> {
    const uploadId = this.free.shift() ?? (await new Promise<string>((resolve) => this.waiting.push(resolve)));
    const current = this.statusOf(uploadId) ?? 'pending';
    const target = CYCLE[(CYCLE.indexOf(current) + 1) % CYCLE.length];
    let released = false;
    return {
      uploadId,
      target,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiting.shift();
        if (next) next(uploadId);
        else this.free.push(uploadId);
      },
    };
  }
}
