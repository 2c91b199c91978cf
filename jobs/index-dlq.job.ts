import { recordDeadLetters } from './dead-letters';

/** `index_dlq`: indexing that failed every attempt becomes a SyncError; `replayDeadLetter` queues it again. */
export const indexDlqJob = recordDeadLetters<'index_dlq'>('index_activity');
