CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  command TEXT NOT NULL,
  args TEXT NOT NULL DEFAULT '',
  user TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  config_path TEXT NOT NULL DEFAULT '',
  config_sha256 TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER,
  exit_code INTEGER,
  counts TEXT NOT NULL DEFAULT '{}',
  report_path TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE INDEX IF NOT EXISTS runs_command ON runs(command, id);
CREATE INDEX IF NOT EXISTS runs_exit ON runs(exit_code, id);
CREATE TABLE IF NOT EXISTS watermarks (
  source TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pulled_files (
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mod_time TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  local_path TEXT NOT NULL,
  pulled_at TEXT NOT NULL,
  PRIMARY KEY (source, path, size, mod_time)
);
CREATE TABLE IF NOT EXISTS console_users (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  profile TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_events (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	target          TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	payload         BLOB    NOT NULL,
	content_type    TEXT    NOT NULL DEFAULT '',
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'processed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt    TEXT,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_response   TEXT    NOT NULL DEFAULT '',
	note            TEXT    NOT NULL DEFAULT '',
	run_id          INTEGER NOT NULL DEFAULT 0,
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL,
	UNIQUE (target, idempotency_key)
);
CREATE INDEX IF NOT EXISTS outbox_events_due ON outbox_events (next_attempt) WHERE next_attempt IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_events_status ON outbox_events (status, updated_at);
CREATE INDEX IF NOT EXISTS outbox_events_status_id ON outbox_events (status, id);
CREATE TABLE IF NOT EXISTS outbox_replies (
	event_id INTEGER NOT NULL,
	at       TEXT    NOT NULL,
	status   INTEGER NOT NULL DEFAULT 0,
	response TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_replies_event ON outbox_replies (event_id, at);
CREATE TABLE IF NOT EXISTS resync_changes (
  run_id INTEGER NOT NULL,
  employee_id TEXT NOT NULL,
  punch_time TEXT NOT NULL,
  outcome TEXT NOT NULL,
  direction TEXT NOT NULL DEFAULT '',
  device_id TEXT NOT NULL DEFAULT '',
  before_direction TEXT NOT NULL DEFAULT '',
  before_device_id TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '',
  line INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS resync_changes_run ON resync_changes(run_id);
