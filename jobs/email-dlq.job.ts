import { recordDeadLetters } from './dead-letters';

/** `email_dlq`: an email that failed every attempt becomes a SyncError (US-BKP-005). */
export const emailDlqJob = recordDeadLetters<'email_dlq'>('email_processing');
