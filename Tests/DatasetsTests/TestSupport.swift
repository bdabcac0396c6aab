import ArrayFormats
import Foundation
import XCTest
@testable import Datasets

/// A fresh temporary folder per test, removed at tear-down.
class DatasetTestCase: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "lzn-datasets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Writes `bytes` to `name` inside the test folder (creating subfolders) and returns the path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs the built `lzn-ingest` executable (beside the test bundle) and collects its output.
    func lznIngest(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("lzn-ingest")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("\(binary.path) not built (swift test builds every product)")
            return (-1, "", "")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// Asserts that `body` throws exactly `expected`, and that its message names `mentioning`.
    func assertThrows<T>(_ expected: DatasetError, mentioning: String? = nil, _ body: () throws -> T,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? DatasetError, expected, file: file, line: line)
            if let mentioning {
                XCTAssertTrue("\(error)".contains(mentioning), "\"\(error)\" does not mention \(mentioning)", file: file, line: line)
            }
        }
    }
}

/// Builders for small source files in each format.
enum Fixture {
    static func idx(type: UInt8 = 0x08, dims: [Int], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return bytes + payload
    }

    /// `count` images of `height × width` with distinct deterministic pixels.
    static func pixels(count: Int, channels: Int = 1, height: Int, width: Int, salt: Int = 0) -> [UInt8] {
        (0..<(count * channels * height * width)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ salt &* 7 &+ $0 / 5) }
    }

    static func idxImages(_ pixels: [UInt8], count: Int, height: Int, width: Int) -> [UInt8] {
        idx(dims: [count, height, width], payload: pixels)
    }

    static func idxLabels(_ labels: [UInt8]) -> [UInt8] {
        idx(dims: [labels.count], payload: labels)
    }

    /// CIFAR-10 records: label byte + 3×32×32 channel-first pixels.
    static func cifarRecords(labels: [UInt8], salt: Int = 0) -> (file: [UInt8], images: [UInt8]) {
        let images = pixels(count: labels.count, channels: 3, height: 32, width: 32, salt: salt)
        var file: [UInt8] = []
        for (i, label) in labels.enumerated() {
            file.append(label)
            file += images[(i * 3072)..<((i + 1) * 3072)]
        }
        return (file, images)
    }

    /// A smooth image (JPEG keeps it within a few levels) of `channels × height × width`.
    static func smoothImage(channels: Int, height: Int, width: Int, phase: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { out.append(UInt8(clamping: 40 + (x + y) * 4 + c * 30 + phase * 10)) }
            }
        }
        return out
    }

    static func jpeg(_ chw: [UInt8], channels: Int, height: Int, width: Int) throws -> [UInt8] {
        try JPEGCodec.encode(chw, channels: channels, height: height, width: width, quality: 100)
    }
}
