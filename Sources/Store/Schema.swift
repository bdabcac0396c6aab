// The store's schema, as migrations applied in order and tracked with PRAGMA user_version.
//
// These constants are the canonical SQL, compiled into every binary that links the store (so no
// resource files must be found at run time). schema/*.sql holds the same text for people reading
// the database with the sqlite3 shell; SchemaTests fails when the two differ, and
// `LZN_WRITE_SCHEMA=1 swift test --filter SchemaTests` rewrites schema/ from these constants.
// Never edit a released migration: add the next NNN_*.sql migration instead.

struct Migration {
    let version: Int32
    let fileName: String
    let sql: String
}

enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, fileName: "001_blobs_and_artifacts.sql", sql: #"""
-- lzn-pipe store, migration 001: content-addressed blobs and the typed artifacts built on them.
--
-- Blob content is split into chunks (4 MiB by default, the last one shorter). A chunk is named by
-- the SHA-256 of its own bytes, so identical chunks are stored once; a blob is named by the SHA-256
-- of its whole content ('sha256-' || 64 lowercase hex digits, equal to `sha256sum FILE`).
-- Readers re-hash every chunk and the whole blob and refuse content that does not match.
-- Times are UTC text, e.g. '2026-11-30T09:15:02.123Z'.

CREATE TABLE chunks (
    hash TEXT PRIMARY KEY,               -- lowercase hex SHA-256 of data
    size INTEGER NOT NULL CHECK (size = length(data)),
    data BLOB NOT NULL
);

CREATE TABLE blobs (
    address TEXT PRIMARY KEY,            -- 'sha256-<hex>' of the whole content
    size INTEGER NOT NULL CHECK (size >= 0),
    chunk_count INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The ordered chunk list of each blob (seq = 0, 1, ...).
CREATE TABLE blob_chunks (
    blob TEXT NOT NULL REFERENCES blobs (address) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chunk TEXT NOT NULL REFERENCES chunks (hash),
    PRIMARY KEY (blob, seq)
) WITHOUT ROWID;
CREATE INDEX blob_chunks_by_chunk ON blob_chunks (chunk);

-- Artifacts are immutable, typed views of a blob. The id is the SHA-256 (hex) of the artifact's
-- kind, name, blob, media type, metadata and members, so registering the same thing twice yields the
-- same artifact; commands accept any unique prefix of it (git-style short ids).
--   tensor   blob = one .npy file (format 1.0/2.0): little-endian, C order, dtype one of
--            float32 float64 int32 int64 uint8; dtype and shape are copied into the columns below.
--   bundle   named tensors (a checkpoint) listed in bundle_members; blob = a JSON document
--            (the config, step counters, RNG state, ...).
--   dataset  a bundle whose members are e.g. 'images' (uint8 N×C×H×W) and 'labels'; its metadata
--            holds the class names, split and source.
--   image    blob = encoded image bytes (media_type image/png or image/jpeg).
--   text     blob = UTF-8 text (logs, reports; media_type text/plain, text/html, ...).
--   json     blob = a UTF-8 JSON document.
CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('tensor', 'bundle', 'dataset', 'image', 'text', 'json')),
    name TEXT NOT NULL,
    blob TEXT NOT NULL REFERENCES blobs (address),
    media_type TEXT NOT NULL,
    dtype TEXT,                           -- tensors only
    shape TEXT,                           -- tensors only: JSON array, e.g. '[60000,1,28,28]'
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX artifacts_by_name ON artifacts (name);
CREATE INDEX artifacts_by_blob ON artifacts (blob);

-- The tensors of a bundle or dataset; each member's blob is an .npy file like a tensor artifact's.
CREATE TABLE bundle_members (
    artifact TEXT NOT NULL REFERENCES artifacts (id),
    name TEXT NOT NULL,
    blob TEXT NOT NULL REFERENCES blobs (address),
    dtype TEXT NOT NULL,
    shape TEXT NOT NULL,
    PRIMARY KEY (artifact, name)
) WITHOUT ROWID;
CREATE INDEX bundle_members_by_blob ON bundle_members (blob);

-- Crash safety. A writer streams chunks in short transactions before the blob row exists; each
-- process registers itself here and pins what it wrote until it closes the store, so `gc` never
-- removes data a live writer is about to reference. After a crash the session's process is gone,
-- and `gc` drops the session and everything only it referenced.
CREATE TABLE write_sessions (
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE session_chunks (
    session INTEGER NOT NULL REFERENCES write_sessions (id) ON DELETE CASCADE,
    chunk TEXT NOT NULL REFERENCES chunks (hash),
    PRIMARY KEY (session, chunk)
) WITHOUT ROWID;
CREATE INDEX session_chunks_by_chunk ON session_chunks (chunk);
CREATE TABLE session_blobs (
    session INTEGER NOT NULL REFERENCES write_sessions (id) ON DELETE CASCADE,
    blob TEXT NOT NULL REFERENCES blobs (address),
    PRIMARY KEY (session, blob)
) WITHOUT ROWID;
CREATE INDEX session_blobs_by_blob ON session_blobs (blob);
"""#),
        Migration(version: 2, fileName: "002_runs_and_metrics.sql", sql: #"""
-- lzn-pipe store, migration 002: pipeline runs, stage runs, lineage and metrics.

-- One row per `lzn-pipe run PIPELINE` invocation. pid/host identify the scheduler process so a
-- later run can tell an abandoned 'running' row from a live one.
CREATE TABLE pipeline_runs (
    id INTEGER PRIMARY KEY,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ended_at TEXT,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata))
);

-- One row per execution of a stage. signature identifies the exact computation (code identity,
-- parameters, input artifacts); a succeeded run with the same stage and signature is reused
-- instead of recomputed (the run cache). A stage run is 'succeeded' only once its outputs and
-- metrics were committed in the same transaction that set the status.
CREATE TABLE stage_runs (
    id INTEGER PRIMARY KEY,
    pipeline_run INTEGER REFERENCES pipeline_runs (id),   -- NULL for a stage run outside a pipeline
    stage TEXT NOT NULL,
    signature TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ended_at TEXT,
    exit_code INTEGER,
    log TEXT REFERENCES artifacts (id),                  -- a 'text' artifact with the stage's output
    pid INTEGER NOT NULL,
    host TEXT NOT NULL
);
CREATE INDEX stage_runs_by_signature ON stage_runs (stage, signature, status);
CREATE INDEX stage_runs_by_pipeline_run ON stage_runs (pipeline_run);

-- Lineage: the artifacts each stage run consumed and produced, under the stage's input/output names.
CREATE TABLE stage_inputs (
    stage_run INTEGER NOT NULL REFERENCES stage_runs (id),
    name TEXT NOT NULL,
    artifact TEXT NOT NULL REFERENCES artifacts (id),
    PRIMARY KEY (stage_run, name)
);
CREATE INDEX stage_inputs_by_artifact ON stage_inputs (artifact);
CREATE TABLE stage_outputs (
    stage_run INTEGER NOT NULL REFERENCES stage_runs (id),
    name TEXT NOT NULL,
    artifact TEXT NOT NULL REFERENCES artifacts (id),
    PRIMARY KEY (stage_run, name)
);
CREATE INDEX stage_outputs_by_artifact ON stage_outputs (artifact);

-- One row per recorded value. step: training iteration (NULL for one-off evaluations);
-- split: 'train', 'test', ...; tag: which model or variant the value is about (e.g. 'ema').
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    stage_run INTEGER NOT NULL REFERENCES stage_runs (id),
    name TEXT NOT NULL,
    value REAL,
    step INTEGER,
    split TEXT,
    tag TEXT,
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX metrics_by_stage_run ON metrics (stage_run, name);
CREATE INDEX metrics_by_name ON metrics (name);
"""#),
        Migration(version: 3, fileName: "003_metric_views.sql", sql: #"""
-- lzn-pipe store, migration 003: views answering the common metric questions.

-- Every recorded value with the pipeline and stage it belongs to, oldest first.
-- pipeline is NULL for stage runs made outside a pipeline.
CREATE VIEW metric_history AS
SELECT pr.pipeline AS pipeline,
       sr.stage AS stage,
       m.name AS name,
       m.value AS value,
       sr.pipeline_run AS pipeline_run,
       m.recorded_at AS recorded_at,
       m.step AS step,
       m.split AS split,
       m.tag AS tag,
       m.stage_run AS stage_run
FROM metrics AS m
JOIN stage_runs AS sr ON sr.id = m.stage_run
LEFT JOIN pipeline_runs AS pr ON pr.id = sr.pipeline_run
ORDER BY m.id;

-- The newest value of each metric (per split and tag) of each stage of each pipeline.
CREATE VIEW latest_metrics AS
SELECT pipeline, stage, name, value, step, split, tag, recorded_at
FROM (
    SELECT pr.pipeline AS pipeline, sr.stage AS stage, m.name AS name, m.value AS value,
           m.step AS step, m.split AS split, m.tag AS tag, m.recorded_at AS recorded_at,
           row_number() OVER (
               PARTITION BY pr.pipeline, sr.stage, m.name, m.split, m.tag ORDER BY m.id DESC
           ) AS newest_first
    FROM metrics AS m
    JOIN stage_runs AS sr ON sr.id = m.stage_run
    LEFT JOIN pipeline_runs AS pr ON pr.id = sr.pipeline_run
)
WHERE newest_first = 1
ORDER BY pipeline, stage, name, split, tag;
"""#),
    ]

    /// The user_version of a store at the current schema.
    static var currentVersion: Int32 { migrations.last!.version }
}
