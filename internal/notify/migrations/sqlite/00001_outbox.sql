-- +goose Up
-- What producers told, once per message.
CREATE TABLE notify_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- source and subject together: one subject's deliveries go in order.
    subject_key TEXT NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    owner TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL,
    -- 0 when no route selected it: kept, logged and counted.
    routed INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notify_messages_subject ON notify_messages (subject_key, id);
CREATE INDEX notify_messages_created ON notify_messages (created_at);

-- One row per message and channel.
CREATE TABLE notify_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES notify_messages (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    to_owner INTEGER NOT NULL DEFAULT 0,
    -- 1 on the oldest pending delivery of its subject on its channel: the
    -- only one of them a worker may send.
    head INTEGER NOT NULL DEFAULT 0,
    -- random, the same across retries: receivers drop repeats with it.
    delivery_key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_try INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    delivered_at INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_try, id) WHERE state = 'pending' AND head = 1;
CREATE INDEX notify_deliveries_order ON notify_deliveries (channel, subject_key, id) WHERE state = 'pending';
CREATE INDEX notify_deliveries_message ON notify_deliveries (message_id);
CREATE INDEX notify_deliveries_channel ON notify_deliveries (channel, state, id);
CREATE INDEX notify_deliveries_state ON notify_deliveries (state, id);

-- +goose Down
DROP TABLE notify_deliveries;
DROP TABLE notify_messages;
