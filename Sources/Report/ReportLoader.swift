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
        return build(pipeline: pipeline, latest: latest, history: history, grids: grids,
                     notes: ["Store: \(store.path). Metrics of \(runs) stages of pipeline “\(pipeline)”; each value is the newest the stage recorded."])
    }
}
