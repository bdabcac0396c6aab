import ArrayFormats
import Foundation
@testable import Store
import XCTest

/// A test case with a fresh temporary directory and store file, plus helpers shared by the store tests.
class StoreTestCase: XCTestCase {
    var dir: URL!
    var storePath: String { dir.appendingPathComponent("lzn/store.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Runs one read-only SQL query returning a single integer.
    func scalar(_ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int64 {
        let result = try ReadOnlyQuery.run(sql, storePath: storePath)
        guard case .integer(let v)? = result.rows.first?.first else {
            XCTFail("\(sql) returned \(result.rows)", file: file, line: line)
            return -1
        }
        return v
    }

    func count(_ table: String) throws -> Int64 { try scalar("SELECT count(*) FROM \(table)") }

    /// Whether the store file holds a blob with this address.
    func hasBlob(_ address: BlobAddress) throws -> Bool {
        try scalar("SELECT count(*) FROM blobs WHERE address = '\(address)'") == 1
    }

    /// Runs raw SQL on the store file with a separate, writable connection (to damage it on purpose).
    func tamper(_ sql: String) throws {
        let db = try Database(path: storePath, mode: .readWrite)
        defer { db.close() }
        try db.execute(sql)
    }

    /// The built `lzn-pipe` executable, which sits next to the test bundle.
    func lznPipe() throws -> URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for c in candidates {
            let url = c.appendingPathComponent("lzn-pipe")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestFailure("lzn-pipe is not built next to the tests (looked in \(candidates.map(\.path)))")
    }

    /// Runs `lzn-pipe --store <store> ARGS`; returns exit status and combined output.
    func runLZNPipe(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try lznPipe()
        process.arguments = arguments
        process.environment = ["LZN_STORE": storePath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Peak resident memory (VmHWM) in bytes since the last `resetPeakMemory()`.
    func peakMemory() throws -> Int { try procStatus("VmHWM") }
    func currentMemory() throws -> Int { try procStatus("VmRSS") }

    func resetPeakMemory() throws {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    private func procStatus(_ key: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else {
            throw TestFailure("/proc/self/status has no \(key)")
        }
        return kb * 1024
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
