import Foundation
import XCTest

/// `lzn-pipe run P --set STAGE.ranks=2`: the scheduler starts lzn-train as usual, the stage runs
/// itself under mpirun, rank 0's progress and metrics arrive as a single process's would, and the
/// run cache treats `ranks` like `threads`: another count is another computation (equal up to
/// floating-point summation order), so it runs, and each count's result is then reused.
final class DataParallelPipelineTests: XCTestCase {
    static let pipeline = """
        description = "data-parallel lzn-train through the scheduler"

        [stages.ingest_train]
        run = "lzn-ingest"
        params = { format = "fashion-mnist", split = "train", subset_size = 64, subset_seed = 1 }

        [stages.train_lzn]
        run = "lzn-train"
        inputs = { dataset = "ingest_train.dataset" }
        params = { mode = "generation", preset = "xs", batch = 16, iterations = 20, metrics_every = 5 }
        """

    /// Open MPI refuses to run as root (CI runs as root) unless told it may.
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    func testTwoRanksThroughTheScheduler() throws {
        let harness = try PipelineHarness()
        let file = try harness.write("dp.toml", Self.pipeline)
        let two = ["--set", "train_lzn.ranks=2", "--set", "train_lzn.mpirun_args=--oversubscribe"]
        let first = try harness.lznPipe(["run", file] + two)
        XCTAssertEqual(first.exitCode, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stdout.contains("train_lzn     ran in"), first.stdout)
        let metrics = try harness.query("SELECT name, value FROM latest_metrics WHERE stage = 'train_lzn'")
        let values = Dictionary(metrics.map { ($0[0], Double($0[1]) ?? .nan) }) { a, _ in a }
        XCTAssertEqual(values["world_size"], 2)
        XCTAssertEqual(values["iterations"], 20)
        XCTAssertNotNil(values["communication_share"])
        XCTAssertEqual(values["loss"].map { $0.isFinite }, true)
        let log = try harness.lznPipe("log", "train_lzn")
        XCTAssertTrue(log.stdout.contains("2 ranks × 8 rows"), log.stdout)
        XCTAssertTrue(log.stdout.contains(#"@progress {"done":20"#), "rank 0's progress reaches the scheduler: \(log.stdout)")

        let again = try harness.lznPipe(["run", file] + two)
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("Nothing to do"), again.stdout)

        let one = try harness.lznPipe("run", file)
        XCTAssertEqual(one.exitCode, 0, one.stdout + one.stderr)
        XCTAssertTrue(one.stdout.contains("▶ train_lzn") && one.stdout.contains("param ranks changed"),
                      "ranks is in the signature: \(one.stdout)")
        let twoAgain = try harness.lznPipe(["run", file] + two)
        XCTAssertEqual(twoAgain.exitCode, 0, twoAgain.stderr)
        XCTAssertFalse(twoAgain.stdout.contains("▶ train_lzn"), "the 2-rank result is reused: \(twoAgain.stdout)")
    }
}

extension PipelineHarness {
    func lznPipe(_ arguments: [String]) throws -> Output {
        let began = Date()
        return finish(try start(arguments, environment: DataParallelPipelineTests.environment), since: began)
    }

    func lznPipe(_ arguments: String...) throws -> Output {
        try lznPipe(arguments)
    }
}
