/**
 * Checkpoint file, format version 1 (docs/store.md "Checkpoints"): a snapshot of the
 * whole index taken at a journal position, so that recovery loads it and replays only
 * the records after that position.
 *
 *   magic "WHARFCKP" (8) | version u32 | seq u64 | replay segment u32 | replay offset u32
 *   | last message id u64
 *   | message count u32 | per message: id u64, segment u32, offset u32, record length u32
 *   | queue count u32   | per queue: key length u32, key utf8, entry count u32,
 *                                    per entry: id u64, flags u8 (bit 0 = delivered)
 *   | crc32c of everything before u32
 * Little-endian throughout.
 */
import { crc32c } from './crc32c.js';
import type { QueueKey, StoredMessageId } from '../api.js';
import { CHECKPOINT_MAGIC, FORMAT_VERSION, readU64, writeU64 } from './format.js';
import type { JournalIndex } from './journal-index.js';

export interface CheckpointHeader {
  readonly seq: number;
  readonly replaySegment: number;
  readonly replayOffset: number;
  readonly lastMessageId: number;
}

export interface Snapshot {
  readonly data: Buffer;
  /** Segment id -> number of messages the snapshot locates there. */
  readonly referenced: ReadonlyMap<number, number>;
}

const FIXED = 8 + 4 + 8 + 4 + 4 + 8;
const MESSAGE_ENTRY = 20;
const QUEUE_ENTRY = 9;

export function serializeCheckpoint(index: JournalIndex, h: CheckpointHeader): Snapshot {
  const table = index.messages;
  const names: Array<[QueueKey, Buffer]> = [];
  let size = FIXED + 4 + table.size * MESSAGE_ENTRY + 4 + 4;
  for (const [key, q] of index.queues) {
    const name = Buffer.from(key, 'utf8');
    names.push([key, name]);
    size += 4 + name.length + 4 + q.size * QUEUE_ENTRY;
  }
  const b = Buffer.allocUnsafe(size);
  CHECKPOINT_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  writeU64(b, h.seq, 12);
  b.writeUInt32LE(h.replaySegment, 20);
  b.writeUInt32LE(h.replayOffset, 24);
  writeU64(b, h.lastMessageId, 28);
  let o = FIXED;
  b.writeUInt32LE(table.size, o);
  o += 4;
  const referenced = new Map<number, number>();
  // Insertion order (the table's slot order), as the Map this table replaced had it.
  table.forEach((id, slot) => {
    const seg = table.segmentAt(slot);
    writeU64(b, id, o);
    b.writeUInt32LE(seg, o + 8);
    b.writeUInt32LE(table.offsetAt(slot), o + 12);
    b.writeUInt32LE(table.lengthAt(slot), o + 16);
    o += MESSAGE_ENTRY;
    referenced.set(seg, (referenced.get(seg) ?? 0) + 1);
  });
  b.writeUInt32LE(names.length, o);
  o += 4;
  for (const [key, name] of names) {
    const q = index.queues.get(key)!;
    b.writeUInt32LE(name.length, o);
    name.copy(b, o + 4);
    o += 4 + name.length;
    b.writeUInt32LE(q.size, o);
    o += 4;
    q.forEach((id, delivered) => {
      writeU64(b, id, o);
      b[o + 8] = delivered ? 1 : 0;
      o += QUEUE_ENTRY;
    });
  }
  b.writeUInt32LE(crc32c(b.subarray(0, o)), o);
  o += 4;
  if (o !== size) throw new Error(`journal: checkpoint size mismatch ${o} != ${size}`);
  return { data: b, referenced };
}

export interface CheckpointSink {
  message(id: StoredMessageId, segment: number, offset: number, length: number): void;
  entry(queue: QueueKey, id: StoredMessageId, delivered: boolean): void;
}

/** Parse and apply; throws with a reason when the file is not a valid v1 checkpoint. */
export function loadCheckpoint(b: Buffer, sink: CheckpointSink): CheckpointHeader {
  if (b.length < FIXED + 4 + 4 + 4) throw new Error('checkpoint too short');
  if (!b.subarray(0, 8).equals(CHECKPOINT_MAGIC)) throw new Error('checkpoint magic mismatch');
  const end = b.length - 4;
  if (b.readUInt32LE(end) !== crc32c(b.subarray(0, end))) throw new Error('checkpoint crc mismatch');
  const version = b.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw new UnsupportedCheckpointVersion(version);
  const h: CheckpointHeader = { seq: readU64(b, 12), replaySegment: b.readUInt32LE(20), replayOffset: b.readUInt32LE(24), lastMessageId: readU64(b, 28) };
  let o = FIXED;
  const need = (n: number): void => {
    if (o + n > end) throw new Error(`checkpoint truncated at ${o}`);
  };
  need(4);
  const count = b.readUInt32LE(o);
  o += 4;
  need(count * MESSAGE_ENTRY);
  for (let i = 0; i < count; i++, o += MESSAGE_ENTRY) {
    sink.message(readU64(b, o), b.readUInt32LE(o + 8), b.readUInt32LE(o + 12), b.readUInt32LE(o + 16));
  }
  need(4);
  const queues = b.readUInt32LE(o);
  o += 4;
  for (let qi = 0; qi < queues; qi++) {
    need(4);
    const nameLen = b.readUInt32LE(o);
    o += 4;
    need(nameLen + 4);
    const key = b.toString('utf8', o, o + nameLen);
    o += nameLen;
    const n = b.readUInt32LE(o);
    o += 4;
    need(n * QUEUE_ENTRY);
    for (let i = 0; i < n; i++, o += QUEUE_ENTRY) sink.entry(key, readU64(b, o), b[o + 8] === 1);
  }
  if (o !== end) throw new Error(`checkpoint has ${end - o} trailing bytes`);
  return h;
}

export class UnsupportedCheckpointVersion extends Error {
  constructor(readonly version: number) {
    super(`journal checkpoint format version ${version} is not supported by this Wharf (supports ${FORMAT_VERSION})`);
  }
}
