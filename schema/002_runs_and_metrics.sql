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
