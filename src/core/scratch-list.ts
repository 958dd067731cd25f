/**
 * A list reused from one call to the next, for hot paths that gather a few items per
 * message. Emptying a JS array with `length = 0` drops its backing store in V8, so the
 * next push allocates a new one; this keeps the store and counts instead. clear() also
 * drops the references, so a reused list holds nothing alive between calls.
 */
export class ScratchList<T> {
  private readonly items: (T | undefined)[] = [];
  size = 0;

  push(item: T): void {
    this.items[this.size++] = item;
  }

  at(i: number): T {
    return this.items[i] as T;
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) this.items[i] = undefined;
    this.size = 0;
  }
}
