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
    /// Linear-probe top-1 accuracy, split = train | test, tag = representation.
    public static let probeAccuracy = "probe_accuracy"
    /// Classification accuracy, split = train | test, tag = classifier.
    public static let classAccuracy = "class_accuracy"
    /// Case-3 accuracy with class weights from the batch's true labels (§6.4).
    public static let classAccuracyWeighted = "class_accuracy_class_weights"
    /// Share of class-conditional samples the FID feature network's classifier assigns to the
    /// class they were generated for (lzn-fid), tag = generative model.
    public static let conditionalSampleAccuracy = "conditional_sample_accuracy"

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
            }
        }
        return ReportTable(title: "Generation: FID (lower is better)", columns: ["model"] + columns.map { "FID, \($0)" }, rows: rows,
                           note: "Features from a classifier trained on the real training set, not Inception-V3: "
                               + "these FIDs compare models within this store, not with published numbers.")
    }

    static func probeTable(_ metrics: [StageMetric]) -> ReportTable {
        let probes = metrics.filter { $0.name == EvaluationMetrics.probeAccuracy }
        let rows = orderedTags(EvaluationMetrics.representations, present: probes.compactMap(\.tag)).map { tag, label in
            [ReportCell.text(label)] + ["test", "train"].map { split in
                percent(probes.first { $0.tag == tag && $0.split == split })
            }
        }
        return ReportTable(title: "Representation: linear-probe top-1 accuracy (%)", columns: ["features", "test", "train"], rows: rows)
    }

    static func classificationTable(_ metrics: [StageMetric]) -> ReportTable {
        var rows: [[ReportCell]] = []
        let plain = metrics.filter { $0.name == EvaluationMetrics.classAccuracy }
        let weighted = metrics.filter { $0.name == EvaluationMetrics.classAccuracyWeighted }
        for (tag, label) in orderedTags(EvaluationMetrics.classifiers + [("lzn-conditional", "LZN (case 3)")], present: plain.compactMap(\.tag)) {
            rows.append([.text(label)] + ["test", "train"].map { split in percent(plain.first { $0.tag == tag && $0.split == split }) })
            if weighted.contains(where: { $0.tag == tag }) || tag == "lzn-conditional" {
                rows.append([.text(label + ", class weights")]
                            + ["test", "train"].map { split in percent(weighted.first { $0.tag == tag && $0.split == split }) })
            }
        }
        return ReportTable(title: "Classification accuracy (%)", columns: ["classifier", "test", "train"], rows: rows)
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

    static func cell(_ record: StageMetric?, digits: Int) -> ReportCell {
        record.map { .number($0.value, fractionDigits: digits) } ?? .missing
    }

    static func percent(_ record: StageMetric?) -> ReportCell {
        record.map { .number(100 * $0.value, fractionDigits: 2) } ?? .missing
    }
}
