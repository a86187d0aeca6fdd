// Package queue is a small durable job queue in the database.
//
// Work that must survive a restart or a peer that is down (back-channel
// logout notifications now, outgoing mail later) is enqueued in the same
// transaction as the change that causes it, so it commits or rolls back
// with it. Workers, one per node, claim a due job by moving its lock
// forward, run its handler outside any transaction, and delete it on
// success; a failure is retried with exponential backoff until the kind's
// attempts run out, then the job stays, failed, for operators to see and
// retry.
//
// Delivery is at least once: a worker that dies after the handler ran but
// before the delete lets the lock lapse and another worker runs the job
// again. Handlers must be idempotent.
package queue
