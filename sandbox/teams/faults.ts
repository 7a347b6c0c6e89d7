/**
 * Fault injection for the Connector REST API: "the next n calls (matching a filter) fail with this
 * status", answered with the body Teams sends for that status.
 */
import { errorForStatus, type ConnectorAnswer } from './connectorErrors';
import type { ConnectorOperation } from './connectorApi';

export interface FaultSpec {
  status: number;
  /**
   * Sets the Retry-After header (seconds), e.g. for 429 and 503. A 429 carries `Retry-After: 1`
   * unless told otherwise; `null` sends it without one (Teams does not always say when).
   */
  retryAfterSeconds?: number | null;
  /** Replace Teams' default `{error: {code, message}}` for that status. */
  code?: string;
  message?: string;
  /** Answer this body verbatim instead (Teams' other shapes, e.g. CONNECTOR_ERRORS.messageWritesBlocked().body). */
  body?: unknown;
}

export interface FaultFilter {
  /** Matches the call's conversation, with or without `;messageid=`. */
  conversationId?: string;
  operation?: ConnectorOperation;
}

interface Armed {
  remaining: number;
  spec: FaultSpec;
  filter: FaultFilter;
}

export class Faults {
  private armed: Armed[] = [];

  /** The next `n` matching calls fail with `spec`. */
  next(n: number, spec: FaultSpec, filter: FaultFilter = {}): void {
    if (!Number.isInteger(n) || n < 1) throw new Error('faults.next: n must be a positive integer');
    this.armed.push({ remaining: n, spec, filter });
  }

  clear(): void {
    this.armed = [];
  }

  /** How many injected failures are still waiting. */
  pending(): number {
    return this.armed.reduce((sum, a) => sum + a.remaining, 0);
  }

  /** Consumes and returns the fault for this call, if one is armed for it. */
  take(call: { conversationId?: string; operation: ConnectorOperation }): ConnectorAnswer | undefined {
    const base = (id?: string) => id?.split(';')[0];
    const armed = this.armed.find(
      (a) =>
        (!a.filter.operation || a.filter.operation === call.operation) &&
        (!a.filter.conversationId || base(a.filter.conversationId) === base(call.conversationId)),
    );
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining === 0) this.armed = this.armed.filter((a) => a !== armed);
    const answer = errorForStatus(armed.spec.status, armed.spec.retryAfterSeconds);
    if (armed.spec.body !== undefined) {
      answer.body = armed.spec.body;
    } else if (armed.spec.code || armed.spec.message) {
      answer.body = {
        error: { code: armed.spec.code ?? 'InjectedFault', message: armed.spec.message ?? 'Injected fault.' },
      };
    }
    return answer;
  }
}
