/**
 * A saga's compensations, as the Temporal saga sample keeps them: after each step that changed
 * something, the step pushes its undo; on failure, {@link Saga.compensate} runs them newest first.
 * A failed undo does not stop the others: it is reported with what it would have undone.
 */
export class Saga<T> {
  private readonly steps: { item: T; undo: () => Promise<unknown> }[] = [];

  /** Records that `item` was made, and how to undo it. */
  push(item: T, undo: () => Promise<unknown>): void {
    this.steps.push({ item, undo });
  }

  /** What was made so far, oldest first. */
  get done(): T[] {
    return this.steps.map((s) => s.item);
  }

  /** Undoes everything made, newest first; each undo retries as its activity's policy says. */
  async compensate(): Promise<{ undone: T[]; failed: { item: T; error: unknown }[] }> {
    const undone: T[] = [];
    const failed: { item: T; error: unknown }[] = [];
    for (const { item, undo } of [...this.steps].reverse()) {
      try {
        await undo();
        undone.push(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
    return { undone, failed };
  }
}
