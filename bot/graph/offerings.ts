/**
 * What the bot has seen each Graph (host + API version) do with the uploads collection: it worked,
 * or Graph said it does not offer it. In memory, per instance: the "not offered" card may name
 * another version as working only on this evidence (a call that succeeded, or `diag`'s probe),
 * never on a guess.
 */
import { systemClock } from '../clock';
import type { BotError } from '../errors';

export interface Offering {
  offered: boolean;
  /** When it was seen, epoch ms. */
  at: number;
  requestId?: string;
}

/** Hosts × versions the bot talks to are few (one configured host, two versions): a small cap is plenty. */
const MAX_ENTRIES = 32;

export class GraphOfferings {
  private readonly seen = new Map<string, Offering>();

  constructor(
    /** Told the first time a host + version is seen not offering the collection (warn once, not per turn). */
    private readonly onNotOffered: (err: BotError) => void = () => undefined,
    private readonly now: () => number = systemClock,
  ) {}

  works(host: string, version: string, requestId?: string): void {
    this.set(host, version, { offered: true, at: this.now(), requestId });
  }

  notOffered(err: BotError): void {
    const { graphHost, apiVersion, requestId } = err.details;
    if (!graphHost || !apiVersion) return;
    const before = this.get(graphHost, apiVersion);
    this.set(graphHost, apiVersion, { offered: false, at: this.now(), requestId });
    if (before?.offered !== false) this.onNotOffered(err);
  }

  get(host: string, version: string): Offering | undefined {
    return this.seen.get(key(host, version));
  }

  private set(host: string, version: string, offering: Offering): void {
    const k = key(host, version);
    this.seen.delete(k);
    this.seen.set(k, offering);
    while (this.seen.size > MAX_ENTRIES) this.seen.delete(this.seen.keys().next().value!);
  }
}

const key = (host: string, version: string): string => `${host.toLowerCase()}|${version.toLowerCase()}`;

export const API_VERSIONS = ['v1.0', 'beta'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

export const otherVersion = (version: string): ApiVersion => (version === 'beta' ? 'v1.0' : 'beta');
