import Foundation
import XCTest
@testable import Pipeline

/// Pipeline errors keep their cause (an errno, the file system's error) and say it in their message.
final class PipelineErrorTests: XCTestCase {
    func testALockFileThatCannotBeOpenedKeepsItsErrno() throws {
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-lock-\(UUID().uuidString)")
        try Data("a file, not a folder".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let store = blocker.appendingPathComponent("store.sqlite").path
        XCTAssertThrowsError(try StoreLock.acquire(store: store, purpose: "test", wait: false)) { error in
            guard case PipelineError.storeLock(let path, .open, let code)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, store + ".lock")
            XCTAssertEqual(code, ENOTDIR)
            XCTAssertEqual("\(error)", "store: cannot open lock file \(store).lock: Not a directory")
        }
    }

    func testAnUnreadablePipelineFileKeepsTheFileSystemError() {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-missing-\(UUID().uuidString).toml").path
        XCTAssertThrowsError(try PipelineFile.load(path: missing)) { error in
            guard case PipelineError.unreadable(let path, let underlying)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
            XCTAssertEqual((underlying as? CocoaError)?.code, .fileReadNoSuchFile)
            XCTAssertTrue("\(error)".hasPrefix("cannot read \(missing): "), "\(error)")
        }
    }
}
