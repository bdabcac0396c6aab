import ArrayFormats
import Foundation
import XCTest

/// FileIO and ReadOnlyFile: the POSIX loops ArrayFormats, Datasets and Store share.
final class FileIOTests: XCTestCase {
    struct Failure: Error, Equatable { let reason: String }

    func testReadOnlyFileReadsAtOffsetsAndNamesEachFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-fileio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bytes").path
        try Data((0..<200).map { UInt8($0) }).write(to: URL(fileURLWithPath: path))

        let file = try ReadOnlyFile(path: path) { Failure(reason: $0) }
        defer { file.close() }
        XCTAssertEqual(file.size, 200)
        XCTAssertEqual(try file.read(at: 10, count: 3), [10, 11, 12])
        XCTAssertEqual(try file.read(at: 200, count: 0), [])
        XCTAssertThrowsError(try file.read(at: 190, count: 20)) { XCTAssertEqual($0 as? Failure, Failure(reason: "file shrank while reading")) }
        XCTAssertThrowsError(try ReadOnlyFile(path: dir.path) { Failure(reason: $0) }) {
            XCTAssertEqual($0 as? Failure, Failure(reason: "not a regular file"))
        }
        XCTAssertThrowsError(try ReadOnlyFile(path: dir.appendingPathComponent("missing").path) { Failure(reason: $0) }) {
            XCTAssertEqual($0 as? Failure, Failure(reason: "No such file or directory"))
        }
    }

    func testWriteAllAndReadSomeMoveEveryByteThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 * 7) }  // more than a pipe buffer holds at once
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let writer = Thread {
            bytes.withUnsafeBytes { try? FileIO.writeAll(writeEnd, $0) { Failure(reason: $0) } }
            close(writeEnd)
        }
        writer.start()
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let n = try chunk.withUnsafeMutableBytes({ try FileIO.readSome(readEnd, into: $0) { Failure(reason: $0) } }), n > 0 {
            received += chunk[..<n]
        }
        close(readEnd)
        XCTAssertEqual(received, bytes)
        XCTAssertThrowsError(try chunk.withUnsafeMutableBytes { try FileIO.readSome(-1, into: $0) { Failure(reason: $0) } }) {
            XCTAssertEqual($0 as? Failure, Failure(reason: "Bad file descriptor"))
        }
    }
}
