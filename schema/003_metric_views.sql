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
