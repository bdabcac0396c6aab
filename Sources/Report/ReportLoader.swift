// Filling the results report from a store: every number comes from the metrics table, every
// picture from an image artifact a stage of the pipeline produced.
import Store

extension ResultsReport {
    /// The report of `pipeline` in `store`: its latest metrics, the step-indexed metrics of the
    /// newest run of each stage (loss curves), and the image outputs (sample grids) of the newest
    /// succeeded run of each stage.
    public static func load(store: Store, pipeline: String) throws -> Report {
        let latest = try store.latestMetrics(pipeline: pipeline).map { StageMetric(stage: $0.stage, $0.metric) }
        let history = try store.stepMetricsOfNewestRuns(pipeline: pipeline)
        let grids = try store.imageOutputs(pipeline: pipeline, mediaType: "image/png").map { output in
            ReportImage(caption: "\(output.stage): \(output.name)", png: try store.content(of: output.artifact.id))
        }
        let runs = Set(latest.map(\.stage)).count
        var report = build(pipeline: pipeline, latest: latest, history: history, grids: grids,
                           notes: ["Store: \(store.path). Metrics of \(runs) stages of pipeline “\(pipeline)”; each value is the newest the stage recorded."])
        if latest.contains(where: { $0.stage.contains("@") }), let sweep = try matrixMembers(store: store, pipeline: pipeline) {
            report.tables.append(sweep.reportTable(title: "Matrix members"))
            report.charts += sweep.sweepCharts()
        }
        return report
    }

    /// The experiments table of a pipeline's matrix members as of its newest run, with the
    /// metrics recorded once per run (evaluations, not training curves).
    static func matrixMembers(store: Store, pipeline: String) throws -> ExperimentTable? {
        guard let run = try store.pipelineRunSummaries(pipeline: pipeline, limit: 1).last?.run.id else { return nil }
        let stages = try ExperimentStage.asOf(run: run, store: store)
        let evaluations = Set(stages.flatMap { $0.metrics.filter { $0.step == nil }.map(\.name) }).sorted()
        let table = ExperimentTable.build(stages, grouping: .members, metrics: evaluations)
        return table.rows.isEmpty ? nil : table
    }
}

extension ExperimentStage {
    /// Every stage of pipeline run `run`'s pipeline as of that run (its newest succeeded run up to
    /// then), in the order the stages first ran.
    public static func asOf(run: Int64, store: Store) throws -> [ExperimentStage] {
        var metrics: [String: [Metric]] = [:]
        for m in try store.metricValues(asOf: run) { metrics[m.stage, default: []].append(m.metric) }
        return try store.succeededStageRuns(asOf: run).map { stageRun in
            ExperimentStage(stage: stageRun.stage, params: paramTexts(stageRun.params), metrics: metrics[stageRun.stage] ?? [])
        }
    }
}
