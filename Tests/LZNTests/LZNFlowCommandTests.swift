import ArrayFormats
import Foundation
import TestSupport
import XCTest
@testable import LZN

/// End-to-end runs of the `lzn-flow` executable (built beside the test bundle by `swift test`).
final class LZNFlowCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-flow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// LZNTests depends on lzn-flow (Package.swift), so the build always puts it here; if it is
    /// missing the tests fail rather than skip.
    private func executable() throws -> URL {
        let url = Bundle.main.bundleURL.appendingPathComponent("lzn-flow")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw MissingExecutable(path: url.path)
        }
        return url
    }

    private struct MissingExecutable: Error, CustomStringConvertible {
        var path: String
        var description: String { "lzn-flow is not built beside the tests (\(path)): LZNTests must depend on it" }
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func save(_ m: FlowMatrix<Double>, _ name: String, float32: Bool) throws -> String {
        let array = float32 ? NDArray(float32: m.values.map { Float($0) }, shape: [m.rows, m.columns])
                            : NDArray(float64: m.values, shape: [m.rows, m.columns])
        try NPY.write(array, to: path(name))
        return path(name)
    }

    func testForwardAndReverseMatchTheLibraryInBothPrecisions() throws {
        for float32 in [false, true] {
            let anchors = try save(ChecklistData.anchors, "a.npy", float32: float32)
            let prior = try save(ChecklistData.prior, "z.npy", float32: float32)
            var result = try run(["forward", "--anchors", anchors, "--prior", prior, "--solver", "euler", "--steps", "20",
                                  "--out", path("latents.npy")])
            XCTAssertEqual(result.status, 0, result.stderr)
            let latents = try NPY.read(contentsOf: path("latents.npy"))
            XCTAssertEqual(latents.dtype, float32 ? .float32 : .float64)
            assertClose(FlowMatrix(rows: 3, columns: 2, values: latents.doubles()),
                        [[0.794624, -0.706361], [-0.180410, -0.135870], [-0.271773, 1.372681]], tolerance: 1e-5)

            let start = try save(ChecklistData.latents, "y.npy", float32: float32)
            try NPY.write(float32 ? NDArray(float32: [0.5, 0.3, 0.2], shape: [3]) : NDArray(float64: [0.5, 0.3, 0.2], shape: [3]),
                          to: path("w.npy"))
            result = try run(["reverse", "--anchors", anchors, "--start", start, "--solver", "euler", "--steps", "20",
                              "--weights", path("w.npy"), "--out", path("final.npy"), "--probs-out", path("probs.npy")])
            XCTAssertEqual(result.status, 0, result.stderr)
            let probabilities = try NPY.read(contentsOf: path("probs.npy"))
            XCTAssertEqual(probabilities.shape, [20, 3, 3])
            assertClose(Array(probabilities.doubles()[90..<99]), [0.922952, 0.032523, 0.044525, 0.258679, 0.682030,
                                                                   0.059290, 0.093208, 0.033085, 0.873708], tolerance: 1e-5)
        }
    }

    func testBadInputsFailWithTheFileNamed() throws {
        let anchors = try save(ChecklistData.anchors, "a.npy", float32: true)
        var nan = ChecklistData.prior
        nan[1, 1] = .nan
        let cases: [([String], String)] = [
            (["forward", "--anchors", anchors, "--prior", try save(nan, "nan.npy", float32: true)], "nan.npy"),
            (["forward", "--anchors", anchors, "--prior", try save(FlowMatrix([[1, 2]]), "short.npy", float32: true)], "short.npy"),
            (["reverse", "--anchors", anchors, "--start", try save(FlowMatrix([[1, 2, 3]]), "wide.npy", float32: false)], "wide.npy"),
            (["reverse", "--anchors", anchors, "--start", anchors, "--weights", try save(FlowMatrix([[1, 2]]), "w2.npy", float32: true)], "w2.npy"),
            (["reverse", "--anchors", path("missing.npy"), "--start", anchors], "missing.npy"),
        ]
        for (arguments, file) in cases {
            let result = try run(arguments + ["--solver", "euler", "--steps", "4", "--out", path("out.npy")])
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(file), "\(file): \(result.stderr)")
        }
        let unknown = try run(["forward", "--anchors", anchors, "--prior", anchors, "--solver", "rk4", "--steps", "4", "--out", path("o.npy")])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("rk4"), unknown.stderr)
    }
}
