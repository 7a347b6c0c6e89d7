/** What handlers share: built once in app.ts, passed down, never read from globals. */
import type { TokenCredential } from '@azure/identity';
import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { ChangeService } from './changes/service';
import type { Clock } from './clock';
import type { BotConfig } from './config';
import type { DiagLine } from '../cards';
import type { GraphOfferings } from './graph/offerings';
import { UploadsClient } from './graph/uploads';
import type { Logger } from './log';
import type { Notifications } from './notifications';
import type { SignInStates } from './signin/state';
import type { Upload } from './model';
import type { RecentReads } from './state/recentReads';
import type { SsoService } from './sso/service';
import type { PendingChanges } from './state/changes';
import type { ParkedCommands } from './state/parked';

export interface Services {
  config: BotConfig;
  log: Logger;
  /** The one clock (bot/clock.ts): every "now" below the entry comes from here. */
  clock: Clock;
  adapter: CloudAdapter;
  sso: SsoService;
  changes: PendingChanges;
  parked: ParkedCommands;
  /** Seals and opens the sign-in button's state (bot/signin). */
  signInStates: SignInStates;
  uploads(credential: TokenCredential): UploadsClient;
  /** What each Graph host + version has been seen to offer (the "not offered" card, `diag`). */
  offerings: GraphOfferings;
  /**
   * A few seconds' memory of reads that card refreshes repeat (one user's several clients):
   * the upload behind a change, per change key + user; a user's diag results, per user.
   */
  recent: { uploads: RecentReads<Upload>; diag: RecentReads<DiagLine[]> };
  /** How long an invoke may take before the bot answers "updating…" and finishes later. */
  invokeBudgetMs: number;
  /** How long a signin/tokenExchange invoke waits for its parked command before answering (Teams drops invokes at ~15 s). */
  tokenExchangeBudgetMs: number;
  /** Team-channel notifications: installations, subscriptions, the outbox. */
  notifications: Notifications;
  /** Confirm → claim → PATCH → exact outcome → announcement (bot/changes). */
  changeService: ChangeService;
  /** Keeps work that outlives its turn (late card updates) in view of a graceful shutdown. */
  track<T>(work: Promise<T>, what: string): Promise<T>;
  /** Runs `logic` in a conversation outside the current turn (late card updates). */
  continueConversation(reference: Partial<ConversationReference>, logic: Parameters<CloudAdapter['continueConversationAsync']>[2]): Promise<void>;
}

export function uploadsClientFactory(graph: BotConfig['graph'], offerings?: GraphOfferings, clock?: Clock): (credential: TokenCredential) => UploadsClient {
  return (credential) => new UploadsClient(credential, { ...graph, offerings, clock });
}
