import Foundation
import XCTest
import Store

/// Drives the real `lzn-pipe` binary (built next to this test bundle, together with the stage
/// executables) against a real store in a fresh temporary directory.
final class PipelineHarness {
    let directory: URL
    var storePath: String { directory.appendingPathComponent("store.sqlite").path }

    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    static func executable(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    struct Output {
        var exitCode: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Starts `lzn-pipe ARGS --store STORE` (`dag` reads no store, so it gets no `--store`).
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable("lzn-pipe"))
        process.arguments = arguments + (arguments.first == "dag" ? [] : ["--store", storePath])
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    func finish(_ started: (Process, Pipe, Pipe), since: Date = Date()) -> Output {
        let (process, out, err) = started
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), seconds: Date().timeIntervalSince(since))
    }

    func lznPipe(_ arguments: String..., environment: [String: String] = [:]) throws -> Output {
        let began = Date()
        return finish(try start(arguments, environment: environment), since: began)
    }

    /// Waits until a file exists (a stage's `touch` parameter says it started).
    func waitFor(_ file: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: file) { return true }
            usleep(20_000)
        }
        return false
    }

    func query(_ sql: String) throws -> [[String]] {
        try ReadOnlyQuery.run(sql, storePath: storePath).rows.map { row in
            row.map { value -> String in
                switch value {
                case .null: return "NULL"
                case .integer(let i): return String(i)
                case .real(let d): return String(d)
                case .text(let s): return s
                case .blob: return "<blob>"
                }
            }
        }
    }

    /// (stage, status) of every stage run, in order.
    func stageRuns() throws -> [String] {
        try query("SELECT stage || ':' || status FROM stage_runs ORDER BY id").map { $0[0] }
    }

    /// The text of stage `stage`'s newest succeeded output `out`.
    func outputText(_ stage: String) throws -> String {
        let rows = try query("""
            SELECT o.artifact FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run
            WHERE s.stage = '\(stage)' AND s.status = 'succeeded' ORDER BY s.id DESC LIMIT 1
            """)
        let store = try Store.open(storePath)
        defer { store.close() }
        return try store.text(of: ArtifactID(rows[0][0])!)
    }
}

extension PipelineHarness {
    /// chain.toml, four fixture stages: a ─▶ b ─▶ c, a ─▶ d; `b` and `c` are appended to those
    /// stages' parameters (", sleep_ms = 100"). Returns its path.
    func writeChain(b: String = "", c: String = "") throws -> String {
        try write("chain.toml", """
        description = "fixture chain"
        [stages.a]
        run = "lzn-stage-fixture"
        params = { text = "a" }

        [stages.b]
        run = "lzn-stage-fixture"
        inputs = { source = "a.out" }
        params = { text = "b"\(b) }

        [stages.c]
        run = "lzn-stage-fixture"
        inputs = { source = "b.out" }
        params = { text = "c"\(c) }

        [stages.d]
        run = "lzn-stage-fixture"
        inputs = { source = "a.out" }
        params = { text = "d" }
        """)
    }
}

/// `stage` lines of the run's output that say it started ("▶ NAME: running ...").
func startedStages(_ output: PipelineHarness.Output) -> [String] {
    output.stdout.split(separator: "\n").compactMap { line in
        guard let range = line.range(of: "▶ ") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != ":" })
    }
}
