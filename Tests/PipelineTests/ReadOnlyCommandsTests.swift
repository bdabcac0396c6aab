import Foundation
import XCTest

/// The read-only commands (README: "they open the store read-only, so they never create or change
/// it") leave an existing store exactly as it was: the same files beside it, byte for byte.
final class ReadOnlyCommandsTests: XCTestCase {
    func testEveryReadOnlyCommandLeavesTheStoreByteIdentical() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain()
        let first = try h.lznPipe("run", p)
        XCTAssertEqual(first.exitCode, 0, first.stdout + first.stderr)
        let output = try XCTUnwrap(try h.query("SELECT id FROM artifacts WHERE name = 'fixture-c'").first?.first)

        let commands: [[String]] = [
            ["status", p],
            ["run", p, "--dry-run"],
            ["runs"],
            ["ls"],
            ["show", output],
            ["export", output, "--out", h.path("c.txt")],
            ["fsck"],
            ["log", "c"],
            ["metrics", p],
            ["report", p, "--out", h.path("report")],
            ["query", "SELECT stage, status FROM stage_runs"],
        ]
        let before = try storeFiles(h)
        XCTAssertFalse(before.isEmpty)
        for arguments in commands {
            let out = h.finish(try h.start(arguments))
            XCTAssertEqual(out.exitCode, 0, "\(arguments): \(out.stdout + out.stderr)")
            let after = try storeFiles(h)
            XCTAssertEqual(after.keys.sorted(), before.keys.sorted(), "\(arguments) changed the files beside the store")
            for (name, bytes) in before where after[name] != bytes {
                XCTFail("\(arguments) changed \(name) (\(bytes.count) → \(after[name]?.count ?? 0) bytes)")
            }
        }
        XCTAssertEqual(try String(contentsOfFile: h.path("c.txt"), encoding: .utf8), "|a|b|c", "export wrote the artifact")
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.path("report/index.html")), "report wrote its page")
    }

    /// The store file and its companions (-wal, -shm, .lock), by name.
    private func storeFiles(_ h: PipelineHarness) throws -> [String: Data] {
        let name = URL(fileURLWithPath: h.storePath).lastPathComponent
        var files: [String: Data] = [:]
        for entry in try FileManager.default.contentsOfDirectory(atPath: h.directory.path) where entry.hasPrefix(name) {
            files[entry] = try Data(contentsOf: h.directory.appendingPathComponent(entry))
        }
        return files
    }
}
