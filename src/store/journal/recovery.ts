/**
 * Recovery (docs/store.md "Recovery"): load the checkpoint, then replay every record
 * after its position, segment by segment in ascending order.
 *
 * Damage rules, all logged, none fatal:
 * - A record that is torn, zero-filled, fails its CRC or has an impossible length or
 *   type ends the scan of *that* segment; everything before it is kept and later
 *   segments are still replayed. (In the last segment this is the normal torn tail of a
 *   crash; elsewhere it is media corruption.)
 * - A segment whose header is damaged is skipped.
 * - A checkpoint that fails its CRC is ignored and every segment is replayed instead.
 * - A checkpointed message located in a missing or too short segment is dropped.
 * Only a segment or checkpoint that is intact but of a newer format version stops
 * open(): reading it with this code could silently misinterpret it.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueKey } from '../api.js';
import { loadCheckpoint, UnsupportedCheckpointVersion } from './checkpoint.js';
import { CHECKPOINT_FILE, checkSegmentHeader, ID_SIZE, readU64, RecordType, SEGMENT_HEADER_SIZE } from './format.js';
import type { JournalIndex } from './journal-index.js';
import type { JournalLogger } from './options.js';
import { scanSegment } from './segment-scanner.js';
import type { SegmentSet } from './segment.js';

export interface RecoveryReport {
  /** Sequence of the checkpoint recovery started from (0: none). */
  readonly checkpointSeq: number;
  /** Segment the checkpoint replays from (0: none). */
  readonly replaySegment: number;
  readonly segmentsScanned: number;
  readonly recordsReplayed: number;
  /** Segments whose scan stopped at damage, or whose header was unusable. */
  readonly damagedSegments: number;
  /** Bytes of journal that recovery could not use. */
  readonly droppedBytes: number;
  /** Enqueue records naming a message that is not (any more) in the journal. */
  readonly danglingRefs: number;
  /** Messages written but in no queue, dropped. */
  readonly orphansDropped: number;
  /** Checkpointed messages whose segment is missing or too short, dropped. */
  readonly lostLocations: number;
}

export class UnsupportedJournalVersion extends Error {}

export function recover(dir: string, segments: SegmentSet, index: JournalIndex, maxRecordSize: number, log: JournalLogger): RecoveryReport {
  let checkpointSeq = 0;
  let replaySegment = 0;
  let replayOffset = SEGMENT_HEADER_SIZE;
  let danglingRefs = 0;
  let lostLocations = 0;

  const cpPath = join(dir, CHECKPOINT_FILE);
  let cpData: Buffer | undefined;
  try {
    cpData = readFileSync(cpPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (cpData !== undefined) {
    try {
      const h = loadCheckpoint(cpData, {
        message: (id, seg, off, len) => {
          const s = segments.get(seg);
          if (s === undefined || off + len > s.appendOffset || !index.putMessage(id, seg, off, len)) lostLocations++;
        },
        entry: (queue: QueueKey, id, delivered) => {
          if (!index.enqueue(queue, id, delivered)) danglingRefs++;
        },
      });
      checkpointSeq = h.seq;
      replaySegment = h.replaySegment;
      replayOffset = h.replayOffset;
      if (h.lastMessageId > index.lastMessageId) index.lastMessageId = h.lastMessageId;
    } catch (err) {
      if (err instanceof UnsupportedCheckpointVersion) throw new UnsupportedJournalVersion(err.message);
      log.warn({ file: cpPath, reason: (err as Error).message }, 'journal: checkpoint unusable, replaying every segment');
      // Start over from nothing: what was loaded before the error is not trustworthy.
      for (const q of [...index.queues.keys()]) index.dropQueue(q);
      for (const id of index.orphans()) index.forget(id);
      checkpointSeq = 0;
      replaySegment = 0;
      replayOffset = SEGMENT_HEADER_SIZE;
      lostLocations = 0;
      danglingRefs = 0;
    }
  }
  if (lostLocations > 0) log.warn({ count: lostLocations }, 'journal: checkpointed messages point at missing segment data, dropped');

  let segmentsScanned = 0;
  let recordsReplayed = 0;
  let damagedSegments = 0;
  let droppedBytes = 0;
  const all = segments.list();
  // Rolling creates a file before its first batch is written, so a crash can leave empty
  // segments behind the real tail; "last" means the last one holding any bytes.
  const nonEmpty = all.filter((s) => s.appendOffset > 0);
  const last = nonEmpty[nonEmpty.length - 1];
  if (checkpointSeq > 0 && replaySegment > 0 && segments.get(replaySegment) === undefined) {
    log.warn({ segment: replaySegment }, 'journal: segment the checkpoint replays from is missing');
  }
  for (const seg of all) {
    if (seg.id < replaySegment) continue;
    const size = seg.appendOffset;
    if (size === 0) continue; // created, never written: nothing to replay, deleted at the next checkpoint
    const fd = openSync(seg.path, 'r');
    try {
      const head = Buffer.alloc(Math.min(SEGMENT_HEADER_SIZE, size));
      if (head.length > 0) readSync(fd, head, 0, head.length, 0);
      const check = checkSegmentHeader(head, seg.id);
      if (!check.ok) {
        if (check.reason === 'unsupported-version') {
          throw new UnsupportedJournalVersion(`journal segment ${seg.path} has format version ${check.version}; this Wharf reads version 1`);
        }
        damagedSegments++;
        droppedBytes += size;
        log.warn({ segment: seg.id, reason: check.reason, bytes: size, last: seg === last }, 'journal: segment header unusable, skipping segment');
        continue;
      }
      segmentsScanned++;
      const from = seg.id === replaySegment ? replayOffset : SEGMENT_HEADER_SIZE;
      let first = true;
      const res = scanSegment(fd, size, from, maxRecordSize + ID_SIZE, (type, buf, start, len, recOff, recLen) => {
        if (first && checkpointSeq > 0 && seg.id === replaySegment) {
          // The checkpoint's position must hold its own marker; anything else means the
          // checkpoint and the segments disagree (e.g. files restored from different times).
          if (type !== RecordType.Checkpoint || readU64(buf, start) !== checkpointSeq) {
            log.warn({ segment: seg.id, offset: recOff, checkpointSeq }, 'journal: checkpoint marker missing at replay position');
          }
        }
        first = false;
        switch (type) {
          case RecordType.Message:
            index.putMessage(readU64(buf, start), seg.id, recOff, recLen);
            break;
          case RecordType.Enqueue:
            if (!index.enqueue(buf.toString('utf8', start + ID_SIZE, start + len), readU64(buf, start))) {
              if (!index.messages.has(readU64(buf, start))) danglingRefs++;
            }
            break;
          case RecordType.Dequeue:
            index.dequeue(buf.toString('utf8', start + ID_SIZE, start + len), readU64(buf, start));
            break;
          case RecordType.Delivered:
            index.markDelivered(buf.toString('utf8', start + ID_SIZE, start + len), readU64(buf, start));
            break;
          case RecordType.DropQueue:
            index.dropQueue(buf.toString('utf8', start, start + len));
            break;
          case RecordType.Checkpoint:
            break;
        }
      });
      recordsReplayed += res.records;
      if (res.damage !== undefined) {
        damagedSegments++;
        droppedBytes += res.damage.droppedBytes;
        log.warn(
          { segment: seg.id, offset: res.damage.offset, kind: res.damage.kind, droppedBytes: res.damage.droppedBytes, last: seg === last, keptRecords: res.records },
          seg === last ? 'journal: dropped damaged tail of the last segment' : 'journal: damaged record in the middle of the journal; rest of this segment ignored',
        );
      }
    } finally {
      closeSync(fd);
    }
  }
  if (danglingRefs > 0) log.warn({ count: danglingRefs }, 'journal: queue entries for messages not in the journal, ignored');
  const orphans = index.orphans();
  for (const id of orphans) index.forget(id);
  return { checkpointSeq, replaySegment, segmentsScanned, recordsReplayed, damagedSegments, droppedBytes, danglingRefs, orphansDropped: orphans.length, lostLocations };
}

/** Size of a file by descriptor (segments found at start). */
export function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
