/**
 * Coalesces container changes into shortcut reports (wire §4.5): the first change arms a short
 * timer; changes until it fires go into the same report. A removal wins over a change of the same
 * container, and a later change of a removed id (never seen in practice: ids are unique) is ignored.
 */
export class ShortcutBatcher {
  private changedIds = new Set<string>();
  private removedIds = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * @param delayMillis how long to gather changes after the first one.
   * @param flush called with the ids gathered (changed ones not removed, and removed ones).
   */
  constructor(
    private readonly delayMillis: number,
    private readonly flush: (changed: ReadonlySet<string>, removed: ReadonlySet<string>) => void,
  ) {}

  changed(id: string): void {
    if (this.removedIds.has(id)) return;
    this.changedIds.add(id);
    this.arm();
  }

  removed(id: string): void {
    this.changedIds.delete(id);
    this.removedIds.add(id);
    this.arm();
  }

  /** Drops pending changes; nothing is published afterwards. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changedIds.clear();
    this.removedIds.clear();
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const changed = this.changedIds;
      const removed = this.removedIds;
      this.changedIds = new Set();
      this.removedIds = new Set();
      if (changed.size > 0 || removed.size > 0) this.flush(changed, removed);
    }, this.delayMillis);
  }
}
