/** What handlers share: built once in app.ts, passed down, never read from globals. */
import type { TokenCredential } from '@azure/identity';
import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { BotConfig } from './config';
import type { DiagLine } from '../cards';
import type { GraphOfferings } from './graph/offerings';
import { UploadsClient } from './graph/uploads';
import type { Logger } from './log';
import type { Notifications } from './notifications';
import type { Upload, UploadStatus } from './model';
import type { RecentReads } from './state/recentReads';
import type { ChatScope } from './state/changes';
import type { SsoService } from './sso/service';
import type { PendingChanges } from './state/changes';
import type { ParkedCommands } from './state/parked';

/** A status change the bot applied, for whoever follows changes (team-channel notifications). */
export interface AppliedChange {
  uploadId: string;
  previousStatus: UploadStatus;
  status: UploadStatus;
  /** Display name of the person who confirmed. */
  by: string;
  at: number;
  /** Where it was asked: "personal chat", a channel's name… */
  where: string;
  scope: ChatScope;
  conversationId: string;
}

export interface Services {
  config: BotConfig;
  log: Logger;
  adapter: CloudAdapter;
  sso: SsoService;
  changes: PendingChanges;
  parked: ParkedCommands;
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
  /** Team-channel notifications: installations, subscriptions, the outbox. */
  notifications: Notifications;
  /** Told before a change's PATCH, so its announcement survives the instance stopping mid-Confirm. */
  changeClaimed(changeKey: string): Promise<void>;
  /** Told after every successful change; must not throw into the turn (the change is already made). */
  changeApplied(change: AppliedChange): Promise<void>;
  /** Runs `logic` in a conversation outside the current turn (late card updates). */
  continueConversation(reference: Partial<ConversationReference>, logic: Parameters<CloudAdapter['continueConversationAsync']>[2]): Promise<void>;
}

export function uploadsClientFactory(graph: BotConfig['graph'], offerings?: GraphOfferings): (credential: TokenCredential) => UploadsClient {
  return (credential) => new UploadsClient(credential, { ...graph, offerings });
}
