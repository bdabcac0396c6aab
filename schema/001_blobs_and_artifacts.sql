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
