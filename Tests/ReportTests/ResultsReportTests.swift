import XCTest
import Store
@testable import Report

final class ResultsReportTests: XCTestCase {
    static let latest: [StageMetric] = [
        StageMetric(stage: "fid-rf", Metric("fid.euler10", 41.25, tag: "rf")),
        StageMetric(stage: "fid-rf", Metric("fid.rk45", 38.5, tag: "rf")),
        StageMetric(stage: "fid-rf-lzn", Metric("fid.euler10", 30.125, tag: "rf-lzn")),
        StageMetric(stage: "probe-pixels", Metric("probe_accuracy", 0.8123, split: "test", tag: "pixels")),
        StageMetric(stage: "probe-lzn", Metric("probe_accuracy", 0.845, split: "test", tag: "lzn")),
        StageMetric(stage: "acc-sup", Metric("class_accuracy", 0.9, split: "test", tag: "supervised")),
        StageMetric(stage: "acc-lzn", Metric("class_accuracy", 0.88, split: "test", tag: "lzn-conditional")),
        StageMetric(stage: "acc-lzn", Metric("class_accuracy_class_weights", 0.885, split: "test", tag: "lzn-conditional")),
        StageMetric(stage: "train-rf", Metric("training_seconds", 260.4, tag: "rf")),
        StageMetric(stage: "train-sup", Metric("training_seconds", 42, tag: "supervised")),
    ]
    static let history: [StageMetric] = [
        StageMetric(stage: "train-rf", Metric("loss", 0.4, step: 20)),
        StageMetric(stage: "train-rf", Metric("loss", 0.9, step: 0)),
        StageMetric(stage: "train-rf-lzn", Metric("loss", 1.0, step: 0)),
        StageMetric(stage: "train-rf", Metric("images_per_second", 300, step: 0)),
    ]

    func testTablesPutEveryModelBesideItsBaselines() {
        let report = ResultsReport.build(pipeline: "full", latest: Self.latest, history: Self.history, grids: [])
        XCTAssertEqual(report.tables.count, 3)
        let fid = report.tables[0]
        XCTAssertEqual(fid.columns, ["model", "FID, euler10", "FID, rk45", "training time"])
        XCTAssertEqual(fid.rows[0][3], .text("4m20s"))
        XCTAssertEqual(fid.rows[1][3], .missing)
        XCTAssertEqual(fid.rows.map { $0[0] }, [.text("RF (baseline)"), .text("RF + LZN"), .text("LZN conditional (case 3)")])
        XCTAssertEqual(fid.rows[0][1], .number(41.25, fractionDigits: 2))
        XCTAssertEqual(fid.rows[1][2], .missing)
        XCTAssertEqual(fid.rows[2][1], .missing, "a model without a metric is listed with a dash")
        XCTAssertTrue(fid.note!.contains("not Inception"))

        let probe = report.tables[1]
        XCTAssertEqual(probe.rows.map { $0[0] }, [.text("raw pixels"), .text("SimCLR"), .text("LZN (case 2)")])
        XCTAssertEqual(probe.rows[0][1], .number(81.23, fractionDigits: 2))
        XCTAssertEqual(probe.rows[1][1], .missing)

        let classification = report.tables[2]
        XCTAssertEqual(classification.rows.map { $0[0] },
                       [.text("supervised"), .text("LZN (case 3)"), .text("LZN (case 3), class weights")])
        XCTAssertEqual(classification.rows[2][1], .number(88.5, fractionDigits: 2))
        XCTAssertEqual(classification.rows[0][3], .text("42s"))
        XCTAssertNil(classification.note, "no conditional samples scored")
    }

    func testOneVerdictPerCaseStudyAgainstTheBestBaseline() {
        let conditional = StageMetric(stage: "fid-joint", Metric("conditional_sample_accuracy", 0.875, tag: "lzn-conditional"))
        let simclr = StageMetric(stage: "probe-simclr", Metric("probe_accuracy", 0.85, split: "test", tag: "simclr"))
        XCTAssertEqual(ResultsReport.verdicts(Self.latest + [conditional]), [
            "Case 1, generation: RF + LZN is better than RF, FID (euler10) 30.12 vs 41.25 (0.73×; lower is better).",
            "Case 2, representation: LZN is better than its best baseline, raw pixels: linear-probe test accuracy 84.5% vs 81.2%.",
            "Case 3, classification: LZN joint is worse than the supervised classifier: test accuracy 88.0% vs 90.0% (0.98×); "
                + "its class-conditional samples are classified as their class 87.5% of the time.",
        ])
        XCTAssertEqual(ResultsReport.verdicts(Self.latest + [simclr])[1],
                       "Case 2, representation: LZN is worse than its best baseline, SimCLR: linear-probe test accuracy 84.5% vs 85.0%.")
        XCTAssertEqual(ResultsReport.verdicts([]).map { $0.hasSuffix("needed).") }, [true, true, true])
        let html = ResultsReport.build(pipeline: "full", latest: Self.latest + [conditional], history: [], grids: []).html()
        XCTAssertTrue(html.contains("<h2>Verdicts</h2>"))
        XCTAssertTrue(html.contains("<li>Case 3, classification: LZN joint is worse"))
        XCTAssertTrue(html.contains("assigns to their class: 87.5%."))
    }

    func testATuningRoundsValidationAccuraciesGetTheirOwnColumnAndVerdicts() {
        let validation = Self.latest.map { record in
            record.split == "test" ? StageMetric(stage: record.stage, Metric(record.name, record.value, split: "validation", tag: record.tag)) : record
        }
        let report = ResultsReport.build(pipeline: "tune", latest: validation, history: [], grids: [])
        XCTAssertEqual(report.tables[1].columns, ["features", "validation", "train", "training time"])
        XCTAssertEqual(report.tables[1].rows[0][1], .number(81.23, fractionDigits: 2))
        XCTAssertEqual(report.tables[2].columns, ["classifier", "validation", "train", "training time"])
        XCTAssertEqual(ResultsReport.verdicts(validation)[1],
                       "Case 2, representation: LZN is better than its best baseline, raw pixels: linear-probe validation accuracy 84.5% vs 81.2%.")
        XCTAssertTrue(ResultsReport.verdicts(validation)[2].contains("validation accuracy 88.0% vs 90.0%"))
        XCTAssertEqual(ResultsReport.build(pipeline: "both", latest: Self.latest + validation, history: [], grids: []).tables[1].columns,
                       ["features", "test", "validation", "train", "training time"])
        XCTAssertTrue(ResultsReport.verdicts(Self.latest + validation)[1].contains("test accuracy"), "the test split wins when both are there")
    }

    func testLossCurvesComeFromStepIndexedLossMetricsOnePerStage() {
        let charts = ResultsReport.lossCharts(Self.history)
        XCTAssertEqual(charts.count, 1)
        XCTAssertEqual(charts[0].title, "loss")
        XCTAssertEqual(charts[0].series.map(\.name), ["train-rf", "train-rf-lzn"])
        XCTAssertEqual(charts[0].series[0].points.map(\.x), [0, 20], "points sorted by step")
    }

    func testUnknownTagsAreListedAfterTheExpectedOnes() {
        let extra = StageMetric(stage: "fid-x", Metric("fid.euler10", 1, tag: "my-model"))
        let table = ResultsReport.fidTable(Self.latest + [extra])
        XCTAssertEqual(table.rows.last?[0], .text("my-model"))
    }
}
