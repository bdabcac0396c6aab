import Store
import XCTest
@testable import Report

/// The experiments table on literal stage states: grouping, differing parameters, metric columns,
/// sorting, formats and the sweep charts.
final class ExperimentsTests: XCTestCase {
    let stages = [
        ExperimentStage(stage: "ingest", params: ["size": "512"], metrics: []),
        ExperimentStage(stage: "train@lr=0.001,batch=256", params: ["lr": "0.001", "batch": "256", "mode": "generation"],
                        metrics: [Metric("loss", 0.5, step: 100, split: "train")]),
        ExperimentStage(stage: "train@lr=0.01,batch=256", params: ["lr": "0.01", "batch": "256", "mode": "generation"],
                        metrics: [Metric("loss", 0.4, step: 100, split: "train")]),
        ExperimentStage(stage: "fid@lr=0.001,batch=256", params: ["count": "64"], metrics: [Metric("fid.euler10", 12.5, tag: "rf-lzn")]),
        ExperimentStage(stage: "fid@lr=0.01,batch=256", params: ["count": "128"], metrics: [Metric("fid.euler10", 9.25, tag: "rf-lzn")]),
        ExperimentStage(stage: "train@lr=0.0001,batch=256", params: ["lr": "0.0001", "batch": "256", "mode": "generation"], metrics: []),
    ]

    func testMemberRowsShowOnlyDifferingParametersAndTheChosenMetrics() {
        let table = ExperimentTable.build(stages, grouping: .members, metrics: ["fid.euler10", "loss"])
        XCTAssertEqual(table.rows.map(\.label), ["lr=0.0001,batch=256", "lr=0.001,batch=256", "lr=0.01,batch=256"], "numeric order")
        XCTAssertEqual(table.paramColumns, ["lr", "fid.count"], "batch and mode are the same everywhere")
        XCTAssertEqual(table.metricColumns, ["fid.euler10", "loss"])
        XCTAssertEqual(table.rows[1].metrics, ["fid.euler10": 12.5, "loss": 0.5])
        XCTAssertEqual(table.rows[0].metrics, [:])
        XCTAssertEqual(table.render(.csv), """
            member,lr,fid.count,fid.euler10,loss\r
            "lr=0.0001,batch=256",0.0001,,,\r
            "lr=0.001,batch=256",0.001,64,12.5,0.5\r
            "lr=0.01,batch=256",0.01,128,9.25,0.4\r

            """)
        XCTAssertEqual(table.render(.markdown).split(separator: "\n").prefix(3), [
            "| member | lr | fid.count | fid.euler10 | loss |", "|---|---|---|---:|---:|", "| lr=0.0001,batch=256 | 0.0001 | — | — | — |"])
        XCTAssertTrue(ExperimentTable.build(stages, grouping: .members, allParams: true).paramColumns.contains("batch"))
    }

    func testAStagesParametersDifferOnlyWhereTheirValuesDo() {
        // A round: the joint model in two variants and the supervised one in two warm-ups, two seeds
        // each; rows are grouped by label, so a row may lack either stage.
        var stages: [ExperimentStage] = []
        for seed in ["0", "1"] {
            for (variant, cutoff) in [("warmup=100", "0.2"), ("cutoff=0.5", "0.5")] {
                var params = ["lr": "0.003", "seed": seed, "cutoff": cutoff, "warmup": "100"]
                if variant.hasPrefix("cutoff") { params["cutoff"] = nil } else { params["warmup"] = nil }
                stages.append(ExperimentStage(stage: "joint@\(variant),seed=\(seed)", params: params, metrics: [Metric("acc", 0.88)]))
            }
            for warmup in ["100", "25"] {
                stages.append(ExperimentStage(stage: "supervised@warmup=\(warmup),seed=\(seed)", params: ["lr": "0.02", "seed": seed, "warmup": warmup],
                                              metrics: [Metric("acc", 0.9)]))
            }
        }
        let table = ExperimentTable.build(stages, grouping: .members)
        XCTAssertEqual(table.rows.count, 6)
        XCTAssertEqual(table.paramColumns, ["cutoff", "seed", "warmup"],
                       "joint.lr, supervised.lr, joint.warmup (cutoff rows) and joint.cutoff (warm-up rows) are one value each")
        XCTAssertEqual(table.rows.first { $0.label == "cutoff=0.5,seed=1" }?.params, ["cutoff": "0.5", "seed": "1"])
        XCTAssertTrue(ExperimentTable.build(stages, grouping: .members, allParams: true).paramColumns.contains("joint.lr"))
    }

    func testSortingAndStageRowsAndQualifiedMetricColumns() throws {
        let table = ExperimentTable.build(stages, grouping: .members, metrics: ["fid.euler10"])
        XCTAssertEqual(table.sorted(by: "fid.euler10")!.rows.map(\.label), ["lr=0.01,batch=256", "lr=0.001,batch=256", "lr=0.0001,batch=256"])
        XCTAssertEqual(table.sorted(by: "lr", descending: true)!.rows.map(\.label), ["lr=0.01,batch=256", "lr=0.001,batch=256", "lr=0.0001,batch=256"])
        XCTAssertNil(table.sorted(by: "nope"))

        let byStage = ExperimentTable.build(stages, grouping: .stages, metrics: ["loss"])
        XCTAssertEqual(byStage.rows.count, 6)
        XCTAssertEqual(byStage.rowColumn, "stage")

        // Two stages of one member record the same metric: the columns name their stage.
        let twice = [ExperimentStage(stage: "a@x=1", params: [:], metrics: [Metric("m", 1)]),
                     ExperimentStage(stage: "b@x=1", params: [:], metrics: [Metric("m", 2)]),
                     ExperimentStage(stage: "a@x=2", params: [:], metrics: [Metric("m", 3, split: "test"), Metric("m", 4, split: "train")])]
        XCTAssertEqual(ExperimentTable.build(twice, grouping: .members).metricColumns, ["a:m", "a:m[test]", "a:m[train]", "b:m"])
        XCTAssertEqual(ExperimentTable.build(twice, grouping: .stages).metricColumns, ["m", "m[test]", "m[train]"])

        let runs = ExperimentTable.runs([("1", [ExperimentStage(stage: "t", params: ["lr": "1", "k": "2"], metrics: [Metric("m", 1)])]),
                                         ("2", [ExperimentStage(stage: "t", params: ["lr": "3", "k": "2"], metrics: [Metric("m", 2)])])])
        XCTAssertEqual(runs.columns, ["run", "t.lr", "m"])
    }

    func testSweepChartsPlotEachMetricAgainstANumericSweptParameter() {
        let sweep = (0..<4).map { i -> ExperimentStage in
            let lr = [0.1, 0.2][i % 2], mode = ["a", "b"][i / 2]
            return ExperimentStage(stage: "t@lr=\(lr),mode=\(mode)", params: [:], metrics: [Metric("fid", Double(i))])
        }
        let charts = ExperimentTable.build(sweep, grouping: .members).sweepCharts()
        XCTAssertEqual(charts.count, 1, "mode is not numeric")
        XCTAssertEqual(charts[0].title, "fid against lr")
        XCTAssertEqual(charts[0].series.map(\.name), ["mode=a", "mode=b"])
        XCTAssertEqual(charts[0].series[1].points.map(\.y), [2, 3])
        XCTAssertTrue(charts[0].svg().contains("<svg"))
    }
}
