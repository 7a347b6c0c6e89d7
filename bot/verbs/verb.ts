/**
 * A card verb (cards/ids.ts CARD_VERBS): one small function per file in this folder, looked up by
 * the route table (teams/routes.ts). It decides an Outcome; handlers/cardAction.ts renders it as the
 * Action.Execute invoke's answer or, for the Action.Submit fallback, as messages and card updates.
 */
import type { TokenCredential } from '@azure/identity';
import type { Attachment, TurnContext } from 'botbuilder';
import type { Services } from '../services';
import type { Requester } from '../state/changes';

/** What a verb decided. `outcome` is the turn log's word for it (tests read it too). */
export type Outcome =
  | { kind: 'card'; card: Attachment; outcome: string }
  | { kind: 'message'; text: string; outcome: string }
  | { kind: 'signIn' }
  | { kind: 'bad'; message: string };

export interface VerbInput {
  verb: string;
  data: Record<string, unknown>;
  actor: Requester;
  credential?: TokenCredential;
  /** The card message this action came from. */
  replyToId?: string;
  /**
   * Settles once the turn's own answer is on screen. A late result card must land after it, or
   * the "updating…" card would overwrite the result (the Action.Submit path shows its answer
   * with its own updateActivity). Undefined on the invoke path: there the turn's end is the answer.
   */
  answered?: Promise<unknown>;
}

export type Verb = (context: TurnContext, services: Services, input: VerbInput) => Promise<Outcome>;

/** The verb the route table has for a name, if any. */
export type FindVerb = (name: string) => Verb | undefined;
