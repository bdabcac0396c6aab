// Building the comparison report from metric rows (the store's metrics table) with the metric
// names the evaluation stages write (see EvaluationMetrics).
import Store

extension StageMetric {
    var name: String { metric.name }
    var value: Double { metric.value }
    var step: Int? { metric.step }
    var split: String? { metric.split }
    var tag: String? { metric.tag }
}

/// Metric names and tags the evaluation stages record, and the report reads.
public enum EvaluationMetrics {
    /// `fid.<sampler>` (e.g. `fid.euler10`, `fid.rk45`), tag = generative model.
    public static let fidPrefix = "fid."
    /// `nfe.<sampler>`: function evaluations per batch of the sampler.
    public static let nfePrefix = "nfe."
    /// `reconstruction_error.<sampler>` (§6.2).
    public static let reconstructionPrefix = "reconstruction_error."
    /// Linear-probe top-1 accuracy, split = train | test | validation (a holdout part), tag = representation.
    public static let probeAccuracy = "probe_accuracy"
    /// Classification accuracy, split = train | test | validation, tag = classifier.
    public static let classAccuracy = "class_accuracy"
    /// Case-3 accuracy with class weights from the batch's true labels (§6.4).
    public static let classAccuracyWeighted = "class_accuracy_class_weights"
    /// Share of class-conditional samples the FID feature network's classifier assigns to the
    /// class they were generated for (lzn-fid), tag = generative model.
    public static let conditionalSampleAccuracy = "conditional_sample_accuracy"
    /// Seconds a model spent in training steps (lzn-train), tag = the model.
    public static let trainingSeconds = "training_seconds"

    /// Tags in the order of the comparison, with their display names.
    public static let generativeModels = [("rf", "RF (baseline)"), ("rf-lzn", "RF + LZN"), ("lzn-conditional", "LZN conditional (case 3)")]
    public static let representations = [("pixels", "raw pixels"), ("simclr", "SimCLR"), ("lzn", "LZN (case 2)")]
    public static let classifiers = [("supervised", "supervised")]
}

public enum ResultsReport {
    /// The report of one pipeline: `latest` holds the newest value of each metric (one row per
    /// stage/name/split/tag), `history` the step-indexed training metrics for the loss curves.
    public static func build(pipeline: String, latest: [StageMetric], history: [StageMetric],
                             grids: [ReportImage], notes: [String] = []) -> Report {
        Report(title: "lzn-pipe results: \(pipeline)",
               notes: notes,
               verdicts: verdicts(latest),
               tables: [fidTable(latest), probeTable(latest), classificationTable(latest)],
               charts: lossCharts(history),
               images: grids)
    }

    static func fidTable(_ metrics: [StageMetric]) -> ReportTable {
        let fids = metrics.filter { $0.name.hasPrefix(EvaluationMetrics.fidPrefix) }
        let samplers = Set(fids.map { String($0.name.dropFirst(EvaluationMetrics.fidPrefix.count)) }).sorted()
        let columns = samplers.isEmpty ? ["euler10"] : samplers
        let rows = orderedTags(EvaluationMetrics.generativeModels, present: fids.compactMap(\.tag)).map { tag, label in
            [ReportCell.text(label)] + columns.map { sampler in
                cell(fids.first { $0.tag == tag && $0.name == EvaluationMetrics.fidPrefix + sampler }, digits: 2)
            } + [trainingTime(metrics, tag)]
        }
        return ReportTable(title: "Generation: FID (lower is better)", columns: ["model"] + columns.map { "FID, \($0)" } + ["training time"], rows: rows,
                           note: "Features from a classifier trained on the real training set, not Inception-V3: "
                               + "these FIDs compare models within this store, not with published numbers.")
    }

    /// The accuracy columns: the evaluation splits present (test, then validation; test when
    /// there are none), then train.
    static func accuracySplits(_ accuracies: [StageMetric]) -> [String] {
        let evaluated: [String] = ["test", "validation"].filter { split in accuracies.contains { $0.split == split } }
        return (evaluated.isEmpty ? ["test"] : evaluated) + ["train"]
    }

    static func probeTable(_ metrics: [StageMetric]) -> ReportTable {
        let probes = metrics.filter { $0.name == EvaluationMetrics.probeAccuracy }
        let splits = accuracySplits(probes)
        let rows = orderedTags(EvaluationMetrics.representations, present: probes.compactMap(\.tag)).map { tag, label in
            [ReportCell.text(label)] + splits.map { split in
                percent(probes.first { $0.tag == tag && $0.split == split })
            } + [trainingTime(metrics, tag)]
        }
        return ReportTable(title: "Representation: linear-probe top-1 accuracy (%)", columns: ["features"] + splits + ["training time"], rows: rows)
    }

    static func classificationTable(_ metrics: [StageMetric]) -> ReportTable {
        var rows: [[ReportCell]] = []
        let plain = metrics.filter { $0.name == EvaluationMetrics.classAccuracy }
        let weighted = metrics.filter { $0.name == EvaluationMetrics.classAccuracyWeighted }
        let splits = accuracySplits(plain)
        for (tag, label) in orderedTags(EvaluationMetrics.classifiers + [("lzn-conditional", "LZN (case 3)")], present: plain.compactMap(\.tag)) {
            rows.append([.text(label)] + splits.map { split in percent(plain.first { $0.tag == tag && $0.split == split }) }
                        + [trainingTime(metrics, tag)])
            if weighted.contains(where: { $0.tag == tag }) || tag == "lzn-conditional" {
                rows.append([.text(label + ", class weights")]
                            + splits.map { split in percent(weighted.first { $0.tag == tag && $0.split == split }) } + [.text("")])
            }
        }
        return ReportTable(title: "Classification accuracy (%)", columns: ["classifier"] + splits + ["training time"], rows: rows,
                           note: metrics.first { $0.name == EvaluationMetrics.conditionalSampleAccuracy && $0.tag == "lzn-conditional" }.map {
                               "Class-conditional samples of LZN (case 3) that the FID feature classifier assigns to their class: "
                                   + String(format: "%.1f%%", 100 * $0.value) + "."
                           })
    }

    /// One chart per training metric whose name contains "loss", one series per stage.
    static func lossCharts(_ history: [StageMetric]) -> [LineChart] {
        let losses = history.filter { $0.step != nil && $0.name.contains("loss") }
        return Set(losses.map(\.name)).sorted().map { name in
            let ofName = losses.filter { $0.name == name }
            let series = Set(ofName.map(\.stage)).sorted().map { stage in
                ChartSeries(name: stage, points: ofName.filter { $0.stage == stage }
                    .sorted { $0.step! < $1.step! }.map { (x: Double($0.step!), y: $0.value) })
            }
            return LineChart(title: name, xLabel: "iteration", yLabel: name, series: series)
        }
    }

    /// The expected tags first (always listed, so a missing model shows as "—"), then any others.
    static func orderedTags(_ expected: [(String, String)], present: [String]) -> [(String, String)] {
        let known = Set(expected.map(\.0))
        return expected + Set(present).subtracting(known).sorted().map { ($0, $0) }
    }

    /// One line per case study: LZN against its best baseline, better or worse, with the numbers.
    /// Accuracies are read on the test split, or on validation when a tuning round has no test.
    static func verdicts(_ metrics: [StageMetric]) -> [String] {
        let evaluated = accuracySplits(metrics.filter { [EvaluationMetrics.probeAccuracy, EvaluationMetrics.classAccuracy].contains($0.name) })[0]
        func value(_ name: String, _ tag: String, split: String? = nil) -> Double? {
            metrics.first { $0.name == name && $0.tag == tag && (split == nil || $0.split == split) }?.value
        }
        func percent(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
        var lines: [String] = []
        let fidName = EvaluationMetrics.fidPrefix + "euler10"
        if let lzn = value(fidName, "rf-lzn"), let rf = value(fidName, "rf") {
            lines.append("Case 1, generation: RF + LZN is \(lzn < rf ? "better" : "worse") than RF, FID (euler10) "
                         + String(format: "%.2f vs %.2f (%.2f×; lower is better)", lzn, rf, lzn / rf) + ".")
        } else {
            lines.append("Case 1, generation: not measured (FID euler10 of rf and rf-lzn needed).")
        }
        let baselines = [("simclr", "SimCLR"), ("pixels", "raw pixels")].compactMap { tag, label in
            value(EvaluationMetrics.probeAccuracy, tag, split: evaluated).map { (label, $0) }
        }
        if let lzn = value(EvaluationMetrics.probeAccuracy, "lzn", split: evaluated), let best = baselines.max(by: { $0.1 < $1.1 }) {
            lines.append("Case 2, representation: LZN is \(lzn > best.1 ? "better" : "worse") than its best baseline, \(best.0): "
                         + "linear-probe \(evaluated) accuracy \(percent(lzn)) vs \(percent(best.1)).")
        } else {
            lines.append("Case 2, representation: not measured (probe accuracy of lzn and a baseline needed).")
        }
        if let lzn = value(EvaluationMetrics.classAccuracy, "lzn-conditional", split: evaluated),
           let supervised = value(EvaluationMetrics.classAccuracy, "supervised", split: evaluated) {
            let samples = value(EvaluationMetrics.conditionalSampleAccuracy, "lzn-conditional")
                .map { "; its class-conditional samples are classified as their class \(percent($0)) of the time" } ?? ""
            lines.append("Case 3, classification: LZN joint is \(lzn > supervised ? "better" : "worse") than the supervised classifier: "
                         + "\(evaluated) accuracy \(percent(lzn)) vs \(percent(supervised)) (\(String(format: "%.2f×", lzn / supervised)))\(samples).")
        } else {
            lines.append("Case 3, classification: not measured (class accuracy of lzn-conditional and supervised needed).")
        }
        return lines
    }

    /// The model's training time (`training_seconds`) as "4m20s", or "—".
    static func trainingTime(_ metrics: [StageMetric], _ tag: String) -> ReportCell {
        guard let seconds = metrics.first(where: { $0.name == EvaluationMetrics.trainingSeconds && $0.tag == tag })?.value else { return .missing }
        let whole = Int(seconds.rounded())
        return .text(whole >= 60 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole)s")
    }

    static func cell(_ record: StageMetric?, digits: Int) -> ReportCell {
        record.map { .number($0.value, fractionDigits: digits) } ?? .missing
    }

    static func percent(_ record: StageMetric?) -> ReportCell {
        record.map { .number(100 * $0.value, fractionDigits: 2) } ?? .missing
    }
}
