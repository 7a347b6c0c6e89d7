/**
 * Background work a Teams client starts on its own (SSO token exchanges, card refreshes), kept
 * per conversation so a test can wait until the client has finished reacting.
 */
export class WorkTracker {
  private readonly pending = new Map<string, Set<Promise<unknown>>>();
  readonly failures: Array<{ conversationId: string; error: Error }> = [];

  add(conversationId: string, work: () => Promise<unknown>): void {
    const set = this.pending.get(conversationId) ?? new Set();
    this.pending.set(conversationId, set);
    const p: Promise<unknown> = Promise.resolve()
      .then(work)
      .catch((error: unknown) => {
        this.failures.push({ conversationId, error: error instanceof Error ? error : new Error(String(error)) });
      })
      .finally(() => set.delete(p));
    set.add(p);
  }

  /** Resolves once no work is pending for the conversation (work started meanwhile is waited for too). */
  async settled(conversationId?: string): Promise<void> {
    for (;;) {
      const sets = conversationId ? [this.pending.get(conversationId)] : [...this.pending.values()];
      const all = sets.flatMap((s) => (s ? [...s] : []));
      if (all.length === 0) return;
      await Promise.allSettled(all);
    }
  }
}
