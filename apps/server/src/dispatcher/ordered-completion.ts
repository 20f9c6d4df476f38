interface Pending {
  ready: boolean;
  finish: () => void;
}

/**
 * Completes each client's publishes in the order they arrived. aedes hands every packet of a
 * socket read to authorizePublish at once; with asynchronous validation a later message could
 * otherwise overtake an earlier one (and break Sparkplug seq checks).
 */
export class OrderedCompletion {
  private readonly queue: Pending[] = [];
  get idle(): boolean {
    return this.queue.length === 0;
  }
  /** Wait for `decision` (if any), then call `finish` once every earlier publish has finished. */
  add(decision: Promise<unknown> | undefined, finish: () => void): void {
    const entry: Pending = { ready: false, finish };
    this.queue.push(entry);
    // A failed decision still completes (the message was recorded): never stall the client's queue.
    if (decision)
      decision.then(
        () => this.markReady(entry),
        () => this.markReady(entry),
      );
    else this.markReady(entry);
  }
  private markReady(entry: Pending): void {
    entry.ready = true;
    while (this.queue.length > 0 && this.queue[0]!.ready) this.queue.shift()!.finish();
  }
}
